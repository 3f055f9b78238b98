"""The gallery (examples/gallery): every example's short form runs and lands its figure of merit in range.

The short forms are scaled-down runs of the scripts the docs pages show (docs/gallery); the full runs
make the figures in docs/_static/gallery. Each check below is one the short run can fail.
"""

from __future__ import annotations

import importlib
import itertools
from pathlib import Path
from types import ModuleType

import pytest
import torch

GALLERY = Path(__file__).resolve().parents[1] / "examples" / "gallery"


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch):
    """Import a gallery script by name, with the gallery folder on the path as when it runs as a script.

    Torch runs on one thread meanwhile, as the scripts' ``main`` does: on a busy 2-core machine two
    threads made the sparse example's short form 40 times slower.
    """
    monkeypatch.syspath_prepend(str(GALLERY))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)

    def load(name: str) -> ModuleType:
        return importlib.import_module(name)

    yield load
    torch.set_num_threads(threads)


def short_run(example, name: str, tmp_path: Path) -> dict:
    result = example(name).run(short=True, out=tmp_path)
    assert result["figure"] == tmp_path / f"{name}.png"
    assert result["figure"].stat().st_size > 10_000
    assert all(len(row) == 3 for row in result["rows"])
    return result


def test_song_stdp_drives_weights_to_the_bounds_and_lowers_the_rate(example, tmp_path):
    result = short_run(example, "song_stdp", tmp_path)
    # 25 s of the 400: the weights have started to leave the middle, the rate has fallen
    assert result["near_bounds_20"] > result["near_bounds_20_before"] + 0.05
    assert result["final_rate"] < 0.7 * result["first_rate"]


def test_vogels_istdp_brings_each_replica_to_its_target(example, tmp_path):
    result = short_run(example, "vogels_istdp", tmp_path)
    targets, final, initial = result["targets"], result["final_rates"], result["initial_rates"]
    assert final == sorted(final)  # a higher target, a higher rate
    assert all(rate < 0.5 * start for rate, start in zip(final, initial, strict=True))
    assert final[-1] == pytest.approx(targets[-1], rel=0.25)  # 20 Hz is reached within 8 s
    assert all(rate / rho < 1.8 for rate, rho in zip(final, targets, strict=True))


def test_ei_balanced_network_is_asynchronous_and_irregular(example, tmp_path):
    result = short_run(example, "ei_balanced", tmp_path)
    assert 2.0 < result["exc_rate"] < 40.0
    assert 2.0 < result["inh_rate"] < 40.0
    assert result["cv_mean"] > 0.6
    assert result["synchrony"] < 1.0


def test_triplet_rule_turns_depression_into_potentiation_at_high_frequency(example, tmp_path):
    result = short_run(example, "triplet_frequency", tmp_path)
    for form in ("all", "nearest"):
        assert 20.0 < result[f"crossover_{form}"] < 45.0
        plus, minus = result[f"plus_{form}"], result[f"minus_{form}"]
        assert all(b > a for a, b in itertools.pairwise(plus))  # +10 ms: more potentiation the higher the frequency
        assert plus[-1] > 0.3
        assert minus[0] < -0.1
        assert minus[-1] > 0.3


def test_conv2d_stdp_learns_orientation_selective_kernels(example, tmp_path):
    result = short_run(example, "conv_orientation", tmp_path)
    # 120 gratings of the full run's 1200: the kernels are already clearly more selective than random ones
    assert result["osi_rf"] > result["osi_rf_before"] + 0.1
    assert 0.12 < result["osi_drive"] < 0.6
    assert result["osi_drive"] > 2 * result["osi_drive_before"]
    assert result["distinct"] >= 3


def test_sparse_stdp_network_saves_memory_and_learns(example, tmp_path):
    result = short_run(example, "sparse_stdp", tmp_path)
    assert 6.0 < result["memory_ratio_ee"] < 8.0  # 4 bytes per possible synapse vs ~28 per stored one at 2%
    assert 2.5 < result["memory_ratio"] < 3.5
    assert result["synapses"] == 51200  # an exact count: 2% of 1600 x 1600
    # 2 s of the 30: the weights have started to spread out, the network stays at low rates
    assert result["w_std_after"] > result["w_std_before"] + 0.005
    assert 0.01 < result["mean_abs_change"] < 0.1
    assert 3.0 < result["exc_rate"] < 30.0
    assert 3.0 < result["inh_rate"] < 30.0


def test_rstdp_rewards_follow_pairings_and_the_rewarded_synapse_pulls_ahead(example, tmp_path):
    result = short_run(example, "rstdp_distal_reward", tmp_path)
    # 20 s of the 300: every pairing is rewarded within 1 s, the unrewarded synapses sink under dopamine,
    # the rewarded one has not (it climbs to w_max only after ~150 s)
    assert 5 <= result["rewards"] <= result["pairings"] <= result["rewards"] + 2
    assert result["others_mean"] < 0.2  # from 0.24
    assert result["chosen"] > 1.2 * result["others_mean"]
