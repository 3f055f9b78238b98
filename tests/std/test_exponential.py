"""ELIF, AELIF and VoltageBaseHomeostasis against NumPy oracles of CoNeX's equations (forward Euler, dt = 1)."""

import numpy as np
import pytest
import torch

from conex import Network, NeuronGroup
from conex.behaviors import AELIF, ELIF, Fire, VoltageBaseHomeostasis
from conex.errors import ParameterError

F64 = torch.float64
PARAMS = {"R": 2.0, "threshold": -40.0, "tau": 8.0, "v_reset": -70.0, "v_rest": -65.0, "delta": 2.0, "theta_rh": -50.0}
CURRENT = np.array([0.0, 6.0, 9.0, 14.0])


def run(dynamics, steps, fire=True, extra=None):
    net = Network(dtype=F64)
    behaviors = {260: dynamics, **({340: Fire()} if fire else {}), **(extra or {})}
    group = NeuronGroup(len(CURRENT), net, behavior=behaviors)
    net.initialize()
    group.I.copy_(torch.tensor(CURRENT))
    trace = []
    for _ in range(steps):
        net.simulate_iteration()
        trace.append((group.v.numpy().copy(), group.spikes.numpy().copy(), getattr(group, "omega", None)))
    return group, trace


def oracle(steps, alpha=0.0, beta=0.0, w_tau=1.0, adaptive=False, v0=-65.0):
    p = PARAMS
    v, omega, out = np.full(len(CURRENT), v0), np.zeros(len(CURRENT)), []
    for _ in range(steps):
        drive = p["v_rest"] - v + p["delta"] * np.exp((v - p["theta_rh"]) / p["delta"]) + p["R"] * CURRENT
        v = v + (drive - (p["R"] * omega if adaptive else 0)) / p["tau"]
        spikes = v >= p["threshold"]
        v = np.where(spikes, p["v_reset"], v)
        if adaptive:  # CoNeX: inside Fire, after the reset
            omega = omega + (alpha * (v - p["v_rest"]) - omega + beta * w_tau * spikes) / w_tau
        out.append((v.copy(), spikes.copy(), omega.copy()))
    return out


def test_elif_follows_the_exponential_integrate_and_fire_equation():
    _, trace = run(ELIF(**PARAMS), 60)
    expected = oracle(60)
    for (v, spikes, _), (v_ref, spikes_ref, _) in zip(trace, expected, strict=True):
        np.testing.assert_allclose(v, v_ref, rtol=1e-12)
        np.testing.assert_array_equal(spikes, spikes_ref)
    assert sum(s.sum() for _, s, _ in trace) > 3  # the driven neurons fire


def test_aelif_adapts_after_each_firing_as_coNeX_does():
    adaptation = {"alpha": 0.3, "beta": 1.5, "w_tau": 30.0}
    group, trace = run(AELIF(**PARAMS, **adaptation), 80)
    expected = oracle(80, **adaptation, adaptive=True)
    for (v, spikes, _), (v_ref, spikes_ref, _) in zip(trace, expected, strict=True):
        np.testing.assert_allclose(v, v_ref, rtol=1e-12)
        np.testing.assert_array_equal(spikes, spikes_ref)
    # omega follows one update behind CoNeX's: it is applied just before the next step of v
    np.testing.assert_allclose(group.omega.numpy(), expected[-2][2], rtol=1e-10)
    assert group.omega.abs().max() > 0.1


def test_aelif_without_fire_never_adapts():
    group, _ = run(AELIF(**PARAMS, alpha=0.3, beta=1.5, w_tau=30.0), 10, fire=False)
    assert torch.equal(group.omega, torch.zeros(4, dtype=F64))


def test_voltage_homeostasis_pulls_v_into_its_range():
    eta, low, high = 0.01, -62.0, -60.0
    homeostasis = VoltageBaseHomeostasis(min_ta=low, max_ta=high, eta_ip=eta)
    group, trace = run(ELIF(**PARAMS), 40, fire=True, extra={301: homeostasis})
    p, v, exhaustion = PARAMS, np.full(4, -65.0), np.zeros(4)
    for step in range(40):
        v = v + (p["v_rest"] - v + p["delta"] * np.exp((v - p["theta_rh"]) / p["delta"]) + p["R"] * CURRENT) / p["tau"]
        exhaustion += eta * (np.maximum(v - high, 0) + np.minimum(v - low, 0))
        v = v - exhaustion
        spikes = v >= p["threshold"]
        v = np.where(spikes, p["v_reset"], v)
        np.testing.assert_allclose(trace[step][0], v, rtol=1e-12)
    np.testing.assert_allclose(group.exhaustion.numpy(), exhaustion, rtol=1e-12)


def test_voltage_homeostasis_needs_its_range():
    with pytest.raises(
        ParameterError, match=r"VoltageBaseHomeostasis\.max_ta: expected a float, or target_voltage given"
    ):
        VoltageBaseHomeostasis()
    with pytest.raises(ParameterError, match="max_ta: expected a float >= min_ta"):
        VoltageBaseHomeostasis(min_ta=1.0, max_ta=0.0)
    assert VoltageBaseHomeostasis(target_voltage=-60.0).priority == 301
