"""Per-synapse delays against an independent NumPy event simulation.

Each test drives a source and a destination group with chosen spike trains (so both sides' spikes
are known), runs a synapse with per-synapse delays, and replays the same run in NumPy from the
initial weights and delays the network drew: the current ``I`` of every iteration (a spike fired in
iteration t through a synapse of delay d enters ``I`` in iteration t + 1 + d) and, with learning, the
weights after every iteration, with the pairings at the times each synapse sees the spikes
(axonal: the pre side ``d`` late; dendritic: the post side ``d`` late, the current ``d`` late).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from conex import ConexError, Network, NeuronGroup, SynapseGroup
from conex.behaviors import (
    Conv2dDendriticInput,
    DelayInitializer,
    NeuronAxon,
    One2OneDendriticInput,
    One2OneSTDP,
    PostSpikeCatcher,
    PostTrace,
    PreSpikeCatcher,
    PreTrace,
    SimpleDendriticInput,
    SimpleiSTDP,
    SimpleRSTDP,
    SimpleSTDP,
    SparseDendriticInput,
    SparseiSTDP,
    SparseRSTDP,
    SparseSTDP,
    SpikeTrainInput,
    SynapseInit,
    WeightInitializer,
)
from conex.checkpoint import load_checkpoint, restore_state, save_checkpoint
from conex.errors import ParameterError, ParameterTypeError

F64 = torch.float64
STEPS = 100
S, D = 7, 5
TAU, A_PLUS, A_MINUS, LR, ALPHA, TAU_C, DOPAMINE = 8.0, 0.02, 0.015, 0.01, 0.2, 5.0, 0.05
ROOT = Path(__file__).resolve().parents[2]

INPUTS = {"dense": SimpleDendriticInput, "sparse": SparseDendriticInput, "one2one": One2OneDendriticInput}
RULES = {
    ("stdp", "dense"): SimpleSTDP,
    ("stdp", "sparse"): SparseSTDP,
    ("stdp", "one2one"): One2OneSTDP,
    ("istdp", "dense"): SimpleiSTDP,
    ("istdp", "sparse"): SparseiSTDP,
    ("rstdp", "dense"): SimpleRSTDP,
    ("rstdp", "sparse"): SparseRSTDP,
}


def silent(size: int) -> SpikeTrainInput:
    return SpikeTrainInput(torch.zeros(1, size, dtype=torch.bool), loop=False)


def weights_for(layout: str) -> WeightInitializer:
    if layout == "sparse":
        return WeightInitializer(mode="uniform(0.2, 0.8)", density=0.5)
    if layout == "one2one":
        return WeightInitializer(mode="uniform(0.2, 0.8)", weight_shape=(S,))
    return WeightInitializer(mode="uniform(0.2, 0.8)")


def build(
    layout,
    kind,
    rule=None,
    *,
    replicas=1,
    steps=STEPS,
    delay_mode="uniform(0, 7)",
    max_delay=8,
    seed=0,
    per_synapse=True,
):
    """Source and destination replaying random trains, one synapse with per-synapse delays; returns
    ``(net, syn, src_train, dst_train)`` with trains ``(T, R, size)``."""
    dst_size = S if layout == "one2one" else D
    rng = np.random.default_rng(seed)
    src_train = rng.random((steps, replicas, S)) < 0.3
    dst_train = rng.random((steps, replicas, dst_size)) < 0.3
    net = Network(dt=1.0, dtype=F64, seed=seed, replicas=replicas)

    def train(x):
        return torch.as_tensor(x if replicas > 1 else x[:, 0])

    src = NeuronGroup(
        S, net, tag="inp", behavior=[SpikeTrainInput(train(src_train), loop=False), NeuronAxon(max_delay=max_delay)]
    )
    dst = NeuronGroup(
        dst_size,
        net,
        tag="out",
        behavior=[SpikeTrainInput(train(dst_train), loop=False), NeuronAxon(max_delay=max_delay)],
    )
    behaviors = [
        SynapseInit(),
        weights_for(layout),
        DelayInitializer(per_synapse=True, mode=delay_mode, kind=kind) if per_synapse else DelayInitializer(mode=0),
        INPUTS[layout](),
        PreSpikeCatcher(),
        PostSpikeCatcher(),
        PreTrace(tau_s=TAU),
        PostTrace(tau_s=TAU),
    ]
    if rule == "stdp":
        behaviors.append(RULES[rule, layout](a_plus=A_PLUS, a_minus=A_MINUS, positive_bound="soft_bound"))
    elif rule == "istdp":
        behaviors.append(RULES[rule, layout](lr=LR, alpha=ALPHA, is_inhibitory=False))
    elif rule == "rstdp":
        behaviors.append(
            RULES[rule, layout](A_PLUS, A_MINUS, TAU_C, positive_bound="soft_bound", external_dopamine=True)
        )
    syn = SynapseGroup(net, src, dst, tag="Proximal", behavior=behaviors)
    net.initialize()
    net.dopamine_concentration = DOPAMINE
    return net, syn, src_train, dst_train


def dense_state(syn, layout: str, replicas: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The network's weights, synapse mask and delays as dense ``(R, S, D)`` arrays."""
    delays = getattr(syn, "synapse_delay", torch.zeros_like(syn.topology.values)).long()  # none: per-neuron path
    if layout == "dense":
        w, d = syn.weights.reshape(replicas, S, D), delays.reshape(replicas, S, D)
        return w.numpy().copy(), np.ones(w.shape, bool), d.numpy().copy()
    if layout == "one2one":
        w, d = syn.weights.reshape(replicas, S), delays.reshape(replicas, S)
        eye = np.eye(S, dtype=bool)
        return w.numpy()[:, :, None] * eye, np.broadcast_to(eye, (replicas, S, S)).copy(), d.numpy()[:, :, None] * eye
    coo = syn.weights.coalesce()
    index = coo.indices() if replicas > 1 else torch.cat((torch.zeros_like(coo.indices()[:1]), coo.indices()))
    w, mask, d = np.zeros((replicas, S, D)), np.zeros((replicas, S, D), bool), np.zeros((replicas, S, D), int)
    r, i, j = index.numpy()
    w[r, i, j], mask[r, i, j], d[r, i, j] = coo.values().numpy(), True, delays.numpy()
    return w, mask, d


def from_network(syn, layout: str, replicas: int) -> np.ndarray:
    return dense_state(syn, layout, replicas)[0]


def oracle(w0, mask, delays, src, dst, kind, rule):
    """The NumPy event simulation of one replica: ``(I per iteration (T, D), weights after each (T, S, D))``.

    ``src``/``dst`` are ``(T, size)`` trains (row n-1 fires in iteration n). Order within iteration n:
    current (from the previous iterations), traces, learning; a trace adds the spike, then decays.
    """
    steps, decay = len(src), 1.0 - 1.0 / TAU
    s = np.vstack([np.zeros((1, src.shape[1])), src.astype(float)])  # s[n] fires in iteration n; s[0] = 0
    p = np.vstack([np.zeros((1, dst.shape[1])), dst.astype(float)])
    x, y = np.zeros_like(s), np.zeros_like(p)  # traces after iteration n
    weights = [w0.copy()]  # weights[n]: after the learning of iteration n
    currents, c = [], np.zeros_like(w0)
    cols = np.arange(w0.shape[1])

    rows = np.arange(w0.shape[0])[:, None]
    for n in range(1, steps + 1):
        emitted = n - 1 - delays  # the iteration whose spikes arrive in this iteration's current
        ok = emitted >= 1
        spike = np.where(ok, s[np.clip(emitted, 0, None), rows], 0.0)
        if kind == "axonal":  # weights of arrival: after the previous iteration's learning
            contribution = weights[n - 1] * spike
        else:  # weights of emission: the synapse saw the spike in iteration `emitted`
            w_then = np.stack([weights[max(e, 0)] for e in range(n)])  # (n, S, D)
            contribution = w_then[np.clip(emitted, 0, n - 1), rows, cols] * spike
        currents.append((contribution * mask).sum(0))
        x[n] = (x[n - 1] + s[n]) * decay
        y[n] = (y[n - 1] + p[n]) * decay
        if rule is None:
            weights.append(weights[n - 1].copy())
            continue
        seen = np.clip(n - delays, 0, None)  # the iteration the delayed side's spike/trace is seen from
        if kind == "axonal":
            pre_s, pre_x = s[seen, rows], x[seen, rows]
            post_s, post_y = np.broadcast_to(p[n], delays.shape), np.broadcast_to(y[n], delays.shape)
        else:
            pre_s, pre_x = np.broadcast_to(s[n][:, None], delays.shape), np.broadcast_to(x[n][:, None], delays.shape)
            post_s, post_y = p[seen, cols], y[seen, cols]
        w = weights[n - 1]
        if rule in ("stdp", "rstdp"):
            dw = (A_PLUS * pre_x * post_s * w * (1 - w) - A_MINUS * pre_s * post_y) * mask
        else:
            dw = LR * (pre_s * (ALPHA - post_y) + pre_x * post_s) * mask
        if rule == "rstdp":  # the eligibility filters the pair change, dopamine turns it into weight
            c = c * (1 - 1 / TAU_C) + dw
            dw = c * DOPAMINE
        weights.append(w + dw)
    return np.array(currents), np.array(weights[1:])


def run(net, syn, layout, replicas):
    currents, weights = [], []
    for _ in range(STEPS):
        net.simulate_iteration()
        currents.append(syn.I.reshape(replicas, -1).numpy().copy())
        weights.append(from_network(syn, layout, replicas))
    return np.array(currents), np.array(weights)


def check_against_oracle(layout, kind, rule, replicas=1):
    net, syn, src_train, dst_train = build(layout, kind, rule, replicas=replicas)
    w0, mask, delays = dense_state(syn, layout, replicas)
    assert delays.max() > 2  # heterogeneous delays, really
    assert len(np.unique(delays[mask])) > 3
    currents, weights = run(net, syn, layout, replicas)
    assert np.abs(currents).sum() > 0
    for r in range(replicas):
        expected_i, expected_w = oracle(w0[r], mask[r], delays[r], src_train[:, r], dst_train[:, r], kind, rule)
        np.testing.assert_allclose(currents[:, r], expected_i, rtol=0, atol=1e-12)
        np.testing.assert_allclose(weights[:, r], expected_w, rtol=0, atol=1e-12)
    return w0, weights


@pytest.mark.parametrize("kind", ["axonal", "dendritic"])
@pytest.mark.parametrize("layout", ["dense", "sparse", "one2one"])
def test_each_spike_arrives_d_iterations_later(layout, kind):
    check_against_oracle(layout, kind, None)


@pytest.mark.parametrize("kind", ["axonal", "dendritic"])
@pytest.mark.parametrize(
    ("rule", "layout"),
    [
        ("stdp", "dense"),
        ("stdp", "sparse"),
        ("stdp", "one2one"),
        ("istdp", "dense"),
        ("istdp", "sparse"),
        ("rstdp", "dense"),
        ("rstdp", "sparse"),
    ],
)
def test_learning_pairs_the_spikes_as_the_synapse_sees_them(rule, layout, kind):
    w0, weights = check_against_oracle(layout, kind, rule)
    assert np.abs(weights[-1] - w0).max() > 1e-3  # the rule did learn


@pytest.mark.parametrize("kind", ["axonal", "dendritic"])
@pytest.mark.parametrize("layout", ["dense", "sparse"])
def test_replicas_are_independent(layout, kind):
    """R=3: each replica has delays, weights and events of its own and matches its own oracle."""
    _, syn, *_ = build(layout, kind, "stdp", replicas=3, steps=2)
    _, mask, delays = dense_state(syn, layout, 3)
    assert not np.array_equal(delays[0][mask[0]], delays[1][mask[1]])  # drawn per replica
    check_against_oracle(layout, kind, "stdp", replicas=3)


@pytest.mark.parametrize("kind", ["axonal", "dendritic"])
def test_delays_zero_equal_the_per_neuron_path(kind):
    """Per-synapse delays of 0 deliver and learn exactly what the per-neuron path does."""
    runs = [
        run(*build("sparse", kind, "stdp", delay_mode=0, per_synapse=flag)[:2], "sparse", 1) for flag in (True, False)
    ]
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(runs[0][1], runs[1][1], rtol=0, atol=1e-12)


def test_given_delays_and_reset():
    """Delays given as the weights' logical shape land on the stored synapses; reset empties the ring."""
    given = torch.arange(S * D).reshape(S, D) % 5
    net = Network(dt=1.0, dtype=F64, seed=1)
    src = NeuronGroup(
        S, net, behavior=[SpikeTrainInput(torch.ones(3, S, dtype=torch.bool), loop=False), NeuronAxon(max_delay=6)]
    )
    dst = NeuronGroup(D, net, behavior=[silent(D), NeuronAxon(max_delay=6)])
    syn = SynapseGroup(
        net,
        src,
        dst,
        tag="Proximal",
        behavior=[
            SynapseInit(),
            WeightInitializer(mode=1.0, density=0.6),
            DelayInitializer(per_synapse=True, delays=given),
            SparseDendriticInput(),
            PreSpikeCatcher(),
        ],
    )
    net.initialize()
    rows, cols = syn.weights.coalesce().indices()
    assert torch.equal(syn.synapse_delay.long(), given[rows, cols])
    assert syn.synapse_delay.dtype == torch.uint8  # one byte per synapse
    first = []
    for _ in range(6):
        net.simulate_iteration()
        first.append(syn.I.clone())
    assert syn.delay_buffer.pending_events() > 0
    net.reset()
    assert syn.delay_buffer.pending_events() == 0
    for expected in first:  # the same run again, from an empty ring
        net.simulate_iteration()
        assert torch.equal(syn.I, expected)
    # all 3 iterations spike: synapse ij delivers 1.0 in iterations 2 + d .. 4 + d
    counts = [int(((given[rows, cols] + 2 <= n) & (n <= given[rows, cols] + 4)).sum()) for n in range(1, 7)]
    assert [float(i.sum()) for i in first] == counts


@pytest.mark.parametrize("kind", ["axonal", "dendritic"])
def test_checkpoint_keeps_the_spikes_in_flight(tmp_path, kind):
    """A checkpoint saves the pending events and histories: a restored run continues bit for bit."""
    net, syn, *_ = build("sparse", kind, "stdp")
    net.simulate_iterations(30)
    assert syn.delay_buffer.pending_events() > 0
    path = save_checkpoint(tmp_path / "state.pt", net)
    expected = run(net, syn, "sparse", 1)
    again, syn_again, *_ = build("sparse", kind, "stdp")
    restore_state(again, load_checkpoint(path)["state"])
    restored = run(again, syn_again, "sparse", 1)
    np.testing.assert_array_equal(restored[0], expected[0])
    np.testing.assert_array_equal(restored[1], expected[1])


def _errors_network(delay: DelayInitializer, *, weights=None, dendritic_input=SimpleDendriticInput, max_delay=5):
    net = Network(dt=1.0, seed=0)
    src = NeuronGroup((1, 4, 4), net, tag="inp", behavior=[silent(16), NeuronAxon(max_delay=max_delay)])
    dst_shape = (1, 4, 4) if dendritic_input is Conv2dDendriticInput else 16
    dst = NeuronGroup(dst_shape, net, behavior=[silent(16), NeuronAxon(max_delay=max_delay)])
    syn = SynapseGroup(
        net,
        src,
        dst,
        tag="Proximal,delayed",
        behavior={
            1: SynapseInit(),
            3: weights or WeightInitializer(mode=0.5),
            4: delay,
            180: dendritic_input(**({"padding": 1} if dendritic_input is Conv2dDendriticInput else {})),
            420: PreSpikeCatcher(),
            440: PostSpikeCatcher(),
        },
    )
    return net, syn


@pytest.mark.parametrize(
    ("delay", "words"),
    [
        (DelayInitializer(per_synapse=True, delays=5), ("NeuronAxon.max_delay", "5", "inp=>")),
        (DelayInitializer(per_synapse=True, delays=-1), ("delays", "-1", ">= 0")),
        (DelayInitializer(per_synapse=True, delays=1.5), ("delays", "whole numbers")),
        (DelayInitializer(per_synapse=True, delays=torch.zeros(3, 3)), ("delays", "(3, 3)", "(16, 16)")),
        (DelayInitializer(per_synapse=True, kind="dendritic", delays=7), ("dendritic", "7", "max_delay")),
    ],
)
def test_bad_delays_are_errors_at_initialize(delay, words):
    net, _ = _errors_network(delay)
    with pytest.raises(ValueError, match=words[0]) as caught:
        net.initialize()
    message = str(caught.value)
    assert "DelayInitializer" in message
    for word in words:
        assert word in message


def test_unsupported_topology_is_a_conex_error():
    weights = WeightInitializer(mode=0.5, weight_shape=(1, 1, 3, 3))
    net, _ = _errors_network(
        DelayInitializer(per_synapse=True, delays=1), weights=weights, dendritic_input=Conv2dDendriticInput
    )
    with pytest.raises(ConexError, match=r"not supported on conv2d weights.*per-neuron delays"):
        net.initialize()


def test_bad_parameters_at_construction():
    with pytest.raises(ParameterError, match="kind"):
        DelayInitializer(per_synapse=True, mode="random", kind="somatic")
    with pytest.raises(ParameterError, match="destination"):
        DelayInitializer(per_synapse=True, mode="random", destination=True)
    with pytest.raises(ParameterError, match="kind"):
        DelayInitializer(mode="random", kind="dendritic")
    with pytest.raises(ParameterTypeError, match="delays"):
        DelayInitializer(per_synapse=True, delays=object())


def test_memory_is_about_the_weights_plus_pending_events():
    """A sparse 1000 x 1000 synapse at 2% with delays 1..20: the delay structures stay a fraction of the weights."""
    net = Network(dt=1.0, seed=0)
    n = 1000
    train = torch.rand(30, n, generator=torch.Generator().manual_seed(0)) < 0.02
    src = NeuronGroup(n, net, behavior=[SpikeTrainInput(train), NeuronAxon(max_delay=21)])
    dst = NeuronGroup(n, net, behavior=[silent(n), NeuronAxon(max_delay=21)])
    behaviors = [
        SynapseInit(),
        WeightInitializer(mode="uniform(0, 1)", density=0.02),
        DelayInitializer(per_synapse=True, mode="uniform(1, 21)"),
        SparseDendriticInput(),
        PreSpikeCatcher(),
    ]
    syn = SynapseGroup(net, src, dst, tag="Proximal", behavior=behaviors)
    net.initialize()
    net.simulate_iterations(30)
    weights = syn.weights.values().numel() * syn.weights.values().element_size()
    memory = syn.delay_buffer.memory()
    assert memory["delays"] == weights // 4  # uint8 against float32
    assert memory["histories"] <= 21 * n  # per neuron, not per synapse
    # in flight: about rate * max delay of the synapses, far from a (max_delay, src, dst) tensor
    assert 0 < memory["pending"] < weights
    assert sum(memory.values()) < 2 * weights


def test_polychronous_example_runs(tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "conex", "run", str(ROOT / "examples" / "polychronous.toml")]
    command += ["--steps", "20", "--no-plots", "--no-progress", "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
