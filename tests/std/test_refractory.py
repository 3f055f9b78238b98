"""LIF's absolute refractory period against a NumPy reimplementation of LIF + Fire with a refractory counter."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from conex import Network, NeuronGroup, ParameterError
from conex.behaviors import ELIF, LIF, Fire

F64 = torch.float64
PARAMS = {"R": 1.0, "tau": 10.0, "threshold": -50.0, "v_reset": -70.0, "v_rest": -65.0}


def simulate(drive: np.ndarray, steps: int, dt: float, refractory: float, replicas: int = 1):
    """conex: LIF + Fire under a constant drive ``(R, size)``; returns (spikes, v), each (steps, R, size)."""
    net = Network(dt=dt, dtype=F64, replicas=replicas)
    group = NeuronGroup(drive.shape[-1], net, behavior=[LIF(**PARAMS, refractory=refractory), Fire()])
    net.initialize()
    group.I = torch.as_tensor(drive if replicas > 1 else drive[0], dtype=F64)
    spikes, v = [], []
    for _ in range(steps):
        net.simulate_iteration()
        spikes.append(group.spikes.reshape(replicas, -1).numpy().copy())
        v.append(group.v.reshape(replicas, -1).numpy().copy())
    return np.stack(spikes), np.stack(v)


def oracle(drive: np.ndarray, steps: int, dt: float, refractory: float):
    """NumPy: Euler step, hold v at v_reset for n = ceil(refractory / dt) iterations after a spike, fire."""
    n = math.ceil(round(refractory / dt, 9))
    v = np.full(drive.shape, PARAMS["v_rest"])
    left = np.zeros(drive.shape, int)
    fired = np.zeros(drive.shape, bool)
    spikes, vs = [], []
    for _ in range(steps):
        v = v + (PARAMS["v_rest"] - v + PARAMS["R"] * drive) * dt / PARAMS["tau"]
        left = np.where(fired, n, left)
        held = left > 0
        v = np.where(held, PARAMS["v_reset"], v)
        left = left - held
        fired = v >= PARAMS["threshold"]
        v = np.where(fired, PARAMS["v_reset"], v)
        spikes.append(fired)
        vs.append(v)
    return np.stack(spikes), np.stack(vs)


@pytest.mark.parametrize(("dt", "refractory", "steps"), [(0.1, 2.0, 600), (0.1, 0.25, 400), (1.0, 5.0, 200)])
@pytest.mark.parametrize("replicas", [1, 3])
def test_matches_numpy_under_constant_drive(dt, refractory, steps, replicas):
    drive = np.array([[16.0, 25.0, 200.0, 3000.0]]) + np.arange(replicas)[:, None] * 7.0  # each replica its own
    spikes, v = simulate(drive, steps, dt, refractory, replicas)
    want_spikes, want_v = oracle(drive, steps, dt, refractory)
    np.testing.assert_array_equal(spikes, want_spikes)
    np.testing.assert_allclose(v, want_v, rtol=0, atol=1e-9)
    assert spikes.sum() > 10
    n = math.ceil(round(refractory / dt, 9))
    for r in range(replicas):
        for j in range(drive.shape[1]):
            times = np.flatnonzero(spikes[:, r, j])
            if len(times) > 1:
                assert np.diff(times).min() >= n + 1  # no spike within the period
            for t in times:  # v clamped at v_reset through the period
                np.testing.assert_array_equal(v[t : t + n + 1, r, j], PARAMS["v_reset"])
    # the strongest drive crosses threshold in one step: it fires once every n + 1 iterations
    strongest = np.flatnonzero(spikes[:, 0, 3])
    assert set(np.diff(strongest)) == {n + 1}


def test_replicas_are_independent():
    drive = np.array([[30.0, 80.0], [50.0, 20.0], [90.0, 40.0]])
    batch, _ = simulate(drive, 300, 0.1, 1.5, replicas=3)
    for r in range(3):
        alone, _ = simulate(drive[r : r + 1], 300, 0.1, 1.5)
        np.testing.assert_array_equal(batch[:, r], alone[:, 0])


def test_zero_refractory_is_the_plain_lif():
    drive = np.array([[200.0, 40.0]])
    spikes, v = simulate(drive, 100, 1.0, 0.0)
    want_spikes, want_v = oracle(drive, 100, 1.0, 0.0)
    np.testing.assert_array_equal(spikes, want_spikes)
    np.testing.assert_allclose(v, want_v, rtol=0, atol=1e-9)
    assert np.diff(np.flatnonzero(spikes[:, 0, 0])).min() == 1  # without a period it may fire every iteration


def test_reset_clears_the_period():
    net = Network(dt=1.0, dtype=F64)
    group = NeuronGroup(1, net, behavior=[LIF(**PARAMS, refractory=10.0), Fire()])
    net.initialize()
    group.I = torch.tensor([500.0], dtype=F64)
    net.simulate_iterations(3)
    assert int(group.refractory_left[0]) > 0
    net.reset()
    assert int(group.refractory_left[0]) == 0


def test_elif_holds_too():
    net = Network(dt=0.5, dtype=F64)
    group = NeuronGroup(1, net, behavior=[ELIF(**PARAMS, refractory=3.0), Fire()])
    net.initialize()
    group.I = torch.tensor([300.0], dtype=F64)
    fired = []
    for _ in range(200):
        net.simulate_iteration()
        fired.append(bool(group.spikes[0]))
    assert np.diff(np.flatnonzero(fired)).min() >= 7
    assert sum(fired) > 5


def test_negative_refractory_is_an_error():
    with pytest.raises(ParameterError, match=r"LIF\.refractory.*>= 0"):
        LIF(refractory=-1.0)
