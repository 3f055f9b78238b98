"""SynapticConductance and SynapticCurrent against closed forms and a NumPy reimplementation.

Two source groups replay chosen spike trains, one excitatory and one tagged ``inh``, onto a LIF group
whose input is filtered by the behavior under test. A spike fired in iteration t enters the synapses'
``I`` in iteration t+1 (conex's step order); the conductance (or current) then jumps and decays exactly.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from conex import ConexError, Network, NeuronGroup, ParameterError, SynapseGroup
from conex.behaviors import (
    LIF,
    DelayInitializer,
    NeuronAxon,
    PreSpikeCatcher,
    SimpleDendriteComputation,
    SimpleDendriticInput,
    SparseDendriticInput,
    SpikeTrainInput,
    SynapseInit,
    SynapticConductance,
    SynapticCurrent,
    WeightInitializer,
)
from conex.cli import main
from conex.config import build_network, load_config

F64 = torch.float64
LIF_ARGS = {"R": 0.1, "tau": 20.0, "threshold": 100.0, "v_reset": -60.0, "v_rest": -60.0}  # threshold: never fires


def source(net: Network, tag: str, train: np.ndarray) -> NeuronGroup:
    return NeuronGroup(
        train.shape[-1],
        net,
        tag=tag,
        behavior=[SpikeTrainInput(torch.as_tensor(train), loop=False), NeuronAxon(max_delay=1)],
    )


def synapse(net, src, dst, weights, dendritic_input=SimpleDendriticInput, coef=1.0, extra=()):
    w = torch.as_tensor(weights, dtype=F64)
    init = WeightInitializer(weights=w.to_sparse() if dendritic_input is SparseDendriticInput else w)
    behaviors = [SynapseInit(), init, dendritic_input(current_coef=coef), PreSpikeCatcher(), *extra]
    return SynapseGroup(net, src, dst, tag="Proximal", behavior=behaviors)


def network(behavior, exc_train, inh_train, w_exc, w_inh, replicas=1, dt=0.5, dendritic_input=SimpleDendriticInput):
    """(net, target): sources replaying the trains ((T, n) or (T, R, n)) onto 2 LIF neurons."""
    net = Network(dt=dt, dtype=F64, seed=0, replicas=replicas)
    exc, inh = source(net, "exc", exc_train), source(net, "inh", inh_train)
    target = NeuronGroup(2, net, tag="target", behavior=[behavior, LIF(**LIF_ARGS, init_v=-65.0)])
    synapse(net, exc, target, w_exc, dendritic_input, coef=2.0)
    synapse(net, inh, target, w_inh, dendritic_input)
    net.initialize()
    return net, target


def run(net, target, steps, names):
    """Each name's value (R, 2) after every iteration, stacked: (steps, R, 2)."""
    out = {name: [] for name in names}
    for _ in range(steps):
        net.simulate_iteration()
        for name in names:
            out[name].append(getattr(target, name).reshape(-1, 2).clone().numpy())
    return {name: np.stack(values) for name, values in out.items()}


def arrivals(train: np.ndarray, weights: np.ndarray, steps: int, coef: float) -> np.ndarray:
    """(steps, R, 2): the jump of iteration m+1 (index m): the spikes of iteration m through the weights."""
    train = train if train.ndim == 3 else train[:, None, :]
    jumps = np.zeros((steps, train.shape[1], weights.shape[1]))
    for m in range(1, steps):
        if m - 1 < len(train):
            jumps[m] = coef * train[m - 1].astype(float) @ weights
    return jumps


def filtered(jumps: np.ndarray, tau: float, dt: float) -> np.ndarray:
    """Decay-then-add with exact exponential decay."""
    state, out = np.zeros(jumps.shape[1:]), []
    for jump in jumps:
        state = state * math.exp(-dt / tau) + jump
        out.append(state)
    return np.stack(out)


def test_single_spike_is_the_closed_form_of_one_exponential_synapse():
    """One excitatory spike (iteration 3) and one inhibitory (iteration 6): g(t) = w exp(-(t - t_s) / tau)."""
    steps, dt, tau_e, tau_i = 40, 0.5, 3.0, 7.0
    exc_train, inh_train = np.zeros((steps, 1), bool), np.zeros((steps, 1), bool)
    exc_train[2, 0] = inh_train[5, 0] = True  # rows 2 and 5: fired in iterations 3 and 6
    w_exc, w_inh = np.array([[0.6, 0.3]]), np.array([[6.7, 1.0]])
    net, target = network(SynapticConductance(tau_e=tau_e, tau_i=tau_i), exc_train, inh_train, w_exc, w_inh, dt=dt)
    got = run(net, target, steps, ("g_e", "g_i"))
    iteration = np.arange(1, steps + 1)[:, None]
    for name, arrival, w, tau in (("g_e", 4, 2.0 * w_exc[0], tau_e), ("g_i", 7, w_inh[0], tau_i)):
        closed = np.where(iteration >= arrival, w * np.exp(-(iteration - arrival) * dt / tau), 0.0)
        np.testing.assert_allclose(got[name][:, 0], closed, rtol=1e-12, atol=1e-15)
    assert got["g_e"][3, 0, 0] == pytest.approx(1.2)
    assert got["g_e"][2, 0, 0] == 0.0


@pytest.mark.parametrize(
    ("replicas", "dendritic_input"),
    [(1, SimpleDendriticInput), (3, SimpleDendriticInput), (1, SparseDendriticInput)],
)
def test_conductance_and_voltage_match_numpy(replicas, dendritic_input):
    steps, dt, tau_e, tau_i, e_e, e_i = 60, 0.5, 5.0, 10.0, 0.0, -80.0
    rng = np.random.default_rng(1)
    shape = (steps, replicas, 3) if replicas > 1 else (steps, 3)
    exc_train, inh_train = rng.random(shape) < 0.3, rng.random((*shape[:-1], 2)) < 0.2
    w_exc, w_inh = rng.uniform(0.2, 1.0, (3, 2)), rng.uniform(1.0, 7.0, (2, 2))
    behavior = SynapticConductance(tau_e=tau_e, tau_i=tau_i, E_e=e_e, E_i=e_i)
    net, target = network(behavior, exc_train, inh_train, w_exc, w_inh, replicas, dt, dendritic_input)
    got = run(net, target, steps, ("g_e", "g_i", "v", "I"))
    g_e = filtered(arrivals(exc_train, w_exc, steps, 2.0), tau_e, dt)
    g_i = filtered(arrivals(inh_train, w_inh, steps, 1.0), tau_i, dt)
    np.testing.assert_allclose(got["g_e"], g_e, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(got["g_i"], g_i, rtol=1e-12, atol=1e-14)
    v, vs, currents = np.full((replicas, 2), -65.0), [], []
    for m in range(steps):
        current = g_e[m] * (e_e - v) + g_i[m] * (e_i - v)  # from the voltage before this step
        v = v + (LIF_ARGS["v_rest"] - v + LIF_ARGS["R"] * current) * dt / LIF_ARGS["tau"]
        vs.append(v)
        currents.append(current)
    np.testing.assert_allclose(got["I"], np.stack(currents), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got["v"], np.stack(vs), rtol=1e-12, atol=1e-10)
    assert np.ptp(np.stack(vs)) > 1.0  # the input moved the voltage


@pytest.mark.parametrize("replicas", [1, 3])
def test_current_based_synapses_have_their_own_time_constants(replicas):
    steps, dt, tau_e, tau_i = 50, 1.0, 5.0, 10.0
    rng = np.random.default_rng(2)
    shape = (steps, replicas, 2) if replicas > 1 else (steps, 2)
    exc_train, inh_train = rng.random(shape) < 0.3, rng.random(shape) < 0.3
    w_exc, w_inh = rng.uniform(0, 1, (2, 2)), rng.uniform(0, 1, (2, 2))
    net, target = network(SynapticCurrent(tau_e=tau_e, tau_i=tau_i), exc_train, inh_train, w_exc, w_inh, replicas, dt)
    got = run(net, target, steps, ("I_e", "I_i", "I"))
    i_e = filtered(arrivals(exc_train, w_exc, steps, 2.0), tau_e, dt)
    i_i = filtered(arrivals(inh_train, -w_inh, steps, 1.0), tau_i, dt)  # inhibitory input is negative
    np.testing.assert_allclose(got["I_e"], i_e, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(got["I_i"], i_i, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(got["I"], i_e + i_i, rtol=1e-12, atol=1e-14)
    assert got["I_i"].min() < 0 < got["I_e"].max()


def test_per_replica_time_constants_and_reversal_potentials():
    """Replica r with tau_e[r], E_i[r] gives what a one-replica network with those values gives."""
    steps, taus, reversals = 30, [2.0, 5.0, 9.0], [-90.0, -80.0, -70.0]
    rng = np.random.default_rng(3)
    exc_train, inh_train = rng.random((steps, 2)) < 0.4, rng.random((steps, 2)) < 0.4
    w_exc, w_inh = rng.uniform(0, 1, (2, 2)), rng.uniform(0, 5, (2, 2))
    batch = run(
        *network(SynapticConductance(tau_e=taus, E_i=reversals), exc_train, inh_train, w_exc, w_inh, 3), steps, ("v",)
    )["v"]
    for r in range(3):
        alone = SynapticConductance(tau_e=taus[r], E_i=reversals[r])
        single = run(*network(alone, exc_train, inh_train, w_exc, w_inh), steps, ("v",))["v"]
        np.testing.assert_allclose(batch[:, r], single[:, 0], rtol=1e-12)
    assert not np.allclose(batch[:, 0], batch[:, 2])


def test_reset_clears_the_conductances():
    train = np.ones((5, 1), bool)
    net, target = network(SynapticConductance(), train, train, np.ones((1, 2)), np.ones((1, 2)))
    net.simulate_iterations(4)
    assert float(target.g_e.sum()) > 0
    assert float(target.g_i.sum()) > 0
    net.reset()
    assert float(target.g_e.abs().sum() + target.g_i.abs().sum() + target.I.abs().sum()) == 0.0


def test_errors():
    with pytest.raises(ParameterError, match=r"SynapticConductance\.E_e.*> E_i"):
        SynapticConductance(E_e=-80.0, E_i=-70.0)
    with pytest.raises(ParameterError, match=r"SynapticConductance\.E_e.*in replica 1"):
        SynapticConductance(E_e=[0.0, -90.0], E_i=-80.0)
    with pytest.raises(ParameterError, match=r"SynapticCurrent\.tau_i"):
        SynapticCurrent(tau_i=0.0)
    with pytest.raises(ParameterError, match=r"SynapticConductance\.dendrite"):
        SynapticConductance(dendrite="Basal")
    train = np.zeros((3, 1), bool)
    with pytest.raises(ParameterError, match=r"SynapticConductance\.tau_e.*>= dt = 0.5"):
        network(SynapticConductance(tau_e=0.2), train, train, np.ones((1, 2)), np.ones((1, 2)))

    net = Network(dt=1.0, dtype=F64)
    src = source(net, "exc", train)
    both = {239: SimpleDendriteComputation(), 240: SynapticConductance(), 260: LIF(**LIF_ARGS)}
    target = NeuronGroup(2, net, tag="target", behavior=both)
    synapse(net, src, target, np.ones((1, 2)))
    with pytest.raises(ConexError, match="SynapticConductance on neuron group target: SimpleDendriteComputation"):
        net.initialize()

    net = Network(dt=1.0, dtype=F64)
    src = source(net, "exc", train)
    target = NeuronGroup(2, net, tag="target", behavior=[SynapticCurrent(), LIF(**LIF_ARGS)])
    synapse(net, src, target, np.ones((1, 2)), extra=[DelayInitializer(delays=[0, 1], destination=True)])
    with pytest.raises(ConexError, match=r"SynapticCurrent on neuron group target: .*dst_delay up to 1"):
        net.initialize()


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "coba.toml"


def test_the_coba_example_runs_from_the_command_line(tmp_path):
    out = tmp_path / "run"
    args = ["run", str(EXAMPLE), "--steps", "20", "--no-plots", "--no-progress", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (out / "summary.json").exists()


def test_the_coba_example_fires_at_the_benchmarks_rates():
    """After 100 ms of warm-up, 100 ms of COBA: both populations fire asynchronously at a few to ~20 Hz."""
    net = build_network(load_config(EXAMPLE), initialize=True)
    exc, inh = net.neuron_groups
    assert (exc.size, inh.size) == (3200, 800)
    net.simulate_iterations(1000)
    counts = {"exc": 0, "inh": 0}
    for _ in range(1000):
        net.simulate_iteration()
        counts["exc"] += int(exc.spikes.sum())
        counts["inh"] += int(inh.spikes.sum())
    rates = {"exc": counts["exc"] / (3200 * 0.1), "inh": counts["inh"] / (800 * 0.1)}  # Hz over 100 ms
    assert 3.0 < rates["exc"] < 25.0, rates
    assert 3.0 < rates["inh"] < 25.0, rates
