"""conex against CoNeX on one network (agreement_net.py): equal spikes over 100 iterations, weights within 1e-5.

CoNeX runs as a subprocess of its own environment; each comparison skips where its environment is
missing:

* CoNeX 0.1.5 (``CONEX_PEER_PYTHON``, by default ``/work/peers/conex-peer``) runs the 0.1.5 form. conex
  runs both forms against it: the main-branch form equals CoNeX 0.1.5's run because main's spike
  catchers and synaptic traces compute what 0.1.5's neuron traces do (same time constants, learning
  after the traces in both).
* CoNeX's main branch (``CONEX_MAIN_PEER_PYTHON``, by default ``/work/peers/conex-main``) runs the
  main-branch form, which conex runs too. The main branch is not on PyPI: that environment is
  assembled from CoNeX's sources (docs/migrating.rst says which).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).with_name("agreement_net.py")
PEER = Path(os.environ.get("CONEX_PEER_PYTHON", "/work/peers/conex-peer/bin/python"))
MAIN_PEER = Path(os.environ.get("CONEX_MAIN_PEER_PYTHON", "/work/peers/conex-main/bin/python"))


def _run(python, out, form):
    env = {k: v for k, v in os.environ.items() if k != "CONEX_DIALECT"}
    subprocess.run([str(python), str(SCRIPT), str(out), form], check=True, capture_output=True, cwd=out.parent, env=env)
    return torch.load(out)


def _peer(python, tmp_path_factory, form, variable):
    if not python.exists():
        pytest.skip(f"no CoNeX environment at {python} (set {variable})")
    return _run(python, tmp_path_factory.mktemp("peer") / "run.pt", form)


@pytest.fixture(scope="module")
def peer_run(tmp_path_factory):
    return _peer(PEER, tmp_path_factory, "0.1.5", "CONEX_PEER_PYTHON")


@pytest.fixture(scope="module")
def main_peer_run(tmp_path_factory):
    return _peer(MAIN_PEER, tmp_path_factory, "main", "CONEX_MAIN_PEER_PYTHON")


def _assert_agree(theirs_run, ours):
    assert len(ours["spikes"]) == len(theirs_run["spikes"]) == 5
    for theirs, mine in zip(theirs_run["spikes"], ours["spikes"], strict=True):
        assert mine.shape == theirs.shape == (100, mine.shape[1])
        assert torch.equal(mine.bool(), theirs.bool())
    assert sum(int(s.sum()) for s in ours["spikes"][1:]) > 1000  # the network is busy, not silent
    for theirs, mine in zip(theirs_run["initial"], ours["initial"], strict=True):
        assert torch.equal(mine, theirs)  # both sides started from the same weights
    assert len(ours["weights"]) == len(theirs_run["weights"]) == 6
    for theirs, mine in zip(theirs_run["weights"], ours["weights"], strict=True):
        assert mine.shape == theirs.shape
        assert torch.allclose(mine, theirs, rtol=0, atol=1e-5)
    assert (ours["weights"][-1] - ours["initial"][-1]).abs().max() > 1e-2  # the conv kernel learned


@pytest.mark.parametrize("form", ["0.1.5", "main"])
def test_conex_and_conex_0_1_5_agree_on_spikes_and_weights(peer_run, tmp_path, form):
    _assert_agree(peer_run, _run(sys.executable, tmp_path / "run.pt", form))


def test_conex_and_conex_main_branch_agree_on_spikes_and_weights(main_peer_run, tmp_path):
    _assert_agree(main_peer_run, _run(sys.executable, tmp_path / "run.pt", "main"))
