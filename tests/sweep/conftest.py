"""One local Ray for all sweep tests (starting Ray takes seconds), with the test metrics plugin installed."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conex.registry import reset_registry

HERE = Path(__file__).parent

NETWORK = """
[network]
dt = 1.0
seed = 0

[groups.input]
size = 20
[groups.input.PoissonInput]
intensity = 1.0
scale = 20.0
[groups.input.NeuronAxon]

[groups.exc]
size = 10
[groups.exc.SimpleDendriteStructure]
[groups.exc.SimpleDendriteComputation]
[groups.exc.LIF]
tau = 10.0
threshold = -55.0
v_rest = -65.0
v_reset = -70.0
[groups.exc.Fire]
[groups.exc.NeuronAxon]

[synapses.input_exc]
src = "input"
dst = "exc"
tag = "Proximal"
[synapses.input_exc.SynapseInit]
[synapses.input_exc.WeightInitializer]
mode = "normal(0.5, 0.1)"
[synapses.input_exc.SimpleDendriticInput]
current_coef = 40.0
[synapses.input_exc.PreSpikeCatcher]
[synapses.input_exc.PostSpikeCatcher]
[synapses.input_exc.PreTrace]
tau_s = 20.0
[synapses.input_exc.PostTrace]
tau_s = 20.0
[synapses.input_exc.SimpleSTDP]
a_plus = 0.01
a_minus = 0.012
[synapses.input_exc.WeightClip]
w_min = 0.0
w_max = 1.0
"""


@pytest.fixture(scope="session")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the test metrics plugin as an installed distribution (on PYTHONPATH and sys.path)."""
    folder = tmp_path_factory.mktemp("sweep_plugin")
    shutil.copy(HERE / "sweep_metrics_plugin.py", folder)
    info = folder / "conex_sweep_test_metrics-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: conex-sweep-test-metrics\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[conex]\nsweeptest = sweep_metrics_plugin\n")
    return folder


@pytest.fixture(scope="session")
def calls_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The file the test plugin's ``count`` metric appends a line to per trial (in Ray's workers)."""
    return tmp_path_factory.mktemp("sweep_log") / "calls.log"


@pytest.fixture(scope="session")
def ray_cluster(plugin_path: Path, calls_log: Path) -> Iterator[str]:
    """Start one local Ray whose workers see the test plugin; its address, for sweeps run in a subprocess.

    The workers inherit the environment Ray starts with; this process's is put back at once.
    """
    import ray

    saved = {key: os.environ.get(key) for key in ("PYTHONPATH", "CONEX_SWEEP_TEST_LOG")}
    os.environ["PYTHONPATH"] = _plugin_environment(plugin_path)["PYTHONPATH"]
    os.environ["CONEX_SWEEP_TEST_LOG"] = str(calls_log)
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    finally:  # Ray's own settings (RAY_AUTH_MODE, which a second driver needs) stay
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key)
            else:
                os.environ[key] = value
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def _plugin_environment(plugin_path: Path) -> dict[str, str]:
    paths = [str(plugin_path), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, paths))}


@pytest.fixture
def plugin_env(plugin_path: Path) -> dict[str, str]:
    """This process's environment with the test plugin on ``PYTHONPATH``, for a ``conex`` subprocess."""
    return _plugin_environment(plugin_path)


@pytest.fixture
def with_plugin(plugin_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test metrics plugin installed in this process too (the sweep checks its metrics here)."""
    monkeypatch.syspath_prepend(str(plugin_path))
    reset_registry()
    yield
    monkeypatch.undo()
    reset_registry()


@pytest.fixture
def sweep_files(tmp_path: Path) -> Callable[[str], Path]:
    """``write(sweep_text) -> path``: a sweep file beside the test network ``net.toml``."""
    (tmp_path / "net.toml").write_text(NETWORK)

    def write(text: str) -> Path:
        path = tmp_path / "sweep.toml"
        path.write_text(text)
        return path

    return write
