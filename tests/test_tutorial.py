"""The docs stay true: the Python code of the tutorial and the recording page runs, block after block.

Each page's ``.. code-block:: python`` blocks run in order in one namespace, as a reader would type
them; what they print is checked where the page states it. The network-file example in
:mod:`conex.config`'s docstring is built too.
"""

import re
import textwrap
from pathlib import Path

import pytest

from conex import config

DOCS = Path(__file__).resolve().parents[1] / "docs"


def python_blocks(page: str) -> list[str]:
    """The bodies of the page's ``.. code-block:: python`` directives, dedented."""
    text = (DOCS / page).read_text(encoding="utf-8")
    found = re.findall(r"^\.\. code-block:: python\n\n((?:(?:[ ]{3}.*)?\n)+)", text, re.M)
    return [textwrap.dedent(block) for block in found]


def run_page(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.chdir(tmp_path)  # files the page writes land here
    namespace: dict = {}
    blocks = python_blocks(page)
    assert blocks, f"{page} has no python code blocks"
    for i, block in enumerate(blocks):
        exec(compile(block, f"{page} block {i + 1}", "exec"), namespace)
    return namespace


def test_the_recording_page_runs(tmp_path, monkeypatch, capsys):
    pytest.importorskip("neo")
    pytest.importorskip("matplotlib")
    ns = run_page("recording.rst", tmp_path, monkeypatch)
    assert ns["v"].shape == (400, 10)
    assert ns["events"].shape[1] == 2
    assert len(ns["trains"]) == 10
    assert sum(len(t) for t in ns["trains"]) == ns["events"].shape[0]
    assert "ms" in capsys.readouterr().out


def test_the_tutorial_runs_and_its_console_commands_do_what_it_says(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from click.testing import CliRunner

    from conex.cli import main

    ns = run_page("tutorial.rst", tmp_path, monkeypatch)
    assert ns["net"].iteration == 400
    assert ns["rate"] > 10  # the excitatory neurons fire
    assert (ns["syn"].weights - ns["w0"]).abs().mean() > 1e-3  # and STDP learned
    assert ns["summary"].index("LIF") < ns["summary"].index("Fire") < ns["summary"].index("SimpleSTDP")
    assert 15 < float(ns["poisson"].spike_count.mean()) < 26  # about 100 Hz x 0.2 s
    assert all((tmp_path / f).stat().st_size > 0 for f in ("raster.png", "weights.png", "fields.png"))
    out = tmp_path / "runs" / "tutorial"
    runner = CliRunner()
    result = runner.invoke(main, ["run", "net.toml", "--steps", "400", "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    for name in ("summary.json", "spikes.pt", "raster.png", "rates.png", "weights.png", "fields_input_exc.png"):
        assert (out / name).is_file(), name
    result = runner.invoke(main, ["run", "--resume", str(out), "--steps", "400", "--no-progress"])
    assert result.exit_code == 0, result.output


def test_the_config_docstring_example_builds():
    (example,) = re.findall(r"data, never code::\n\n((?:(?:[ ]{4}.*)?\n)+)", config.__doc__)
    net = config.build_network(config.parse_config(textwrap.dedent(example)))
    assert [g.tag for g in net.neuron_groups] == ["input", "exc"]
    assert net.replicas == 8
    assert net.synapse_groups[0].behavior[500].a_plus == 0.01
