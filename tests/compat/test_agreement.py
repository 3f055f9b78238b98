"""conex against CoNeX 0.1.5 on one network (agreement_net.py): equal spikes over 100 iterations, weights within 1e-5.

CoNeX runs as a subprocess of its own environment (``CONEX_PEER_PYTHON``, by default the peer
environment of these machines); the test skips where there is none. The main-branch form runs on conex
only: it equals CoNeX 0.1.5's run because main's spike catchers and synaptic traces compute what 0.1.5's
neuron traces do (same time constants, learning after the traces in both).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).with_name("agreement_net.py")
PEER = Path(os.environ.get("CONEX_PEER_PYTHON", "/work/peers/conex-peer/bin/python"))


def _run(python, out, form):
    env = {k: v for k, v in os.environ.items() if k != "CONEX_DIALECT"}
    subprocess.run([str(python), str(SCRIPT), str(out), form], check=True, capture_output=True, cwd=out.parent, env=env)
    return torch.load(out)


@pytest.fixture(scope="module")
def peer_run(tmp_path_factory):
    if not PEER.exists():
        pytest.skip(f"no CoNeX environment at {PEER} (set CONEX_PEER_PYTHON)")
    return _run(PEER, tmp_path_factory.mktemp("peer") / "run.pt", "0.1.5")


@pytest.mark.parametrize("form", ["0.1.5", "main"])
def test_conex_and_conex_0_1_5_agree_on_spikes_and_weights(peer_run, tmp_path, form):
    ours = _run(sys.executable, tmp_path / "run.pt", form)
    assert len(ours["spikes"]) == len(peer_run["spikes"]) == 5
    for theirs, mine in zip(peer_run["spikes"], ours["spikes"], strict=True):
        assert mine.shape == theirs.shape == (100, mine.shape[1])
        assert torch.equal(mine.bool(), theirs.bool())
    assert sum(int(s.sum()) for s in ours["spikes"][1:]) > 1000  # the network is busy, not silent
    for theirs, mine in zip(peer_run["weights"], ours["weights"], strict=True):
        assert torch.allclose(mine, theirs, rtol=0, atol=1e-5)
    assert (ours["weights"][-1] - ours["initial"][-1]).abs().max() > 1e-2  # the conv kernel learned
