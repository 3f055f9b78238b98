"""Event-driven learning and input: visiting only the weights of spiking neurons gives the dense result.

Each learning rule is run on dense and sparse weights with random binary spikes at several rates,
once with the event-driven path forced, once with the dense formulation forced, and checked against
a NumPy computation of the rule over the full matrix (written here, pair by pair in matrix form).
The automatic choice is checked to pick each path, and the blocked dense path not to make
temporaries larger than a block.
"""

import numpy as np
import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from conex import Network, NeuronGroup, SynapseGroup
from conex.behaviors import (
    LIF,
    Fire,
    NeuronAxon,
    PoissonInput,
    PostSpikeCatcher,
    PostTrace,
    PreSpikeCatcher,
    PreTrace,
    SimpleDendriteComputation,
    SimpleDendriteStructure,
    SimpleDendriticInput,
    SimpleiSTDP,
    SimpleRSTDP,
    SimpleSTDP,
    SparseDendriticInput,
    SparseiSTDP,
    SparseRSTDP,
    SparseSTDP,
    SynapseInit,
    WeightInitializer,
)
from conex_std.spikes import SilenceChecks, as_numbers
from conex_std.synapses.terms import Term, add_terms, hard_bound, soft_bound, visited_side
from conex_std.synapses.topology import Dense, Sparse, bind_topology

F64 = torch.float64
S, D = 70, 60  # 4200 weights: above the sparse threshold; the tests lower the dense one
RATES = [0.0, 0.02, 0.1, 0.25, 0.7]
RULES = {
    "dense": {"stdp": SimpleSTDP, "istdp": SimpleiSTDP, "rstdp": SimpleRSTDP},
    "sparse": {"stdp": SparseSTDP, "istdp": SparseiSTDP, "rstdp": SparseRSTDP},
}
BOUNDS = {"soft_bound": soft_bound, "hard_bound": hard_bound}


def make_rule(family, layout):
    cls = RULES[layout][family]
    bounds = {"w_min": 0.05, "w_max": 0.95, "positive_bound": "soft_bound", "negative_bound": "hard_bound"}
    if family == "istdp":
        return cls(rho=8.0, lr=0.05, is_inhibitory=True)
    if family == "rstdp":
        return cls(0.3, 0.2, 4.0, init_c_mode=0.02, **bounds)
    return cls(0.3, 0.2, **bounds)


class Synapse:
    """One synapse of ``layout`` with random weights (sparse: a random third of the entries stored)."""

    def __init__(self, layout, rng):
        self.layout = layout
        self.net = Network(dtype=F64, seed=1)
        self.src = NeuronGroup(S, self.net, tag="src")
        self.dst = NeuronGroup(D, self.net, tag="dst")
        self.syn = SynapseGroup(self.net, self.src, self.dst)
        self.mask = rng.random((S, D)) < (0.35 if layout == "sparse" else 1.0)
        weights = torch.from_numpy(np.where(self.mask, rng.uniform(0, 1, (S, D)), 0.0))
        self.syn.weights = weights.to_sparse() if layout == "sparse" else weights
        self.syn.pre_trace_tau = self.syn.post_trace_tau = 20.0

    def dense_weights(self):
        w = self.syn.weights
        return (w.to_dense() if w.is_sparse else w).numpy().copy()

    def feed(self, rng, pre_rate, post_rate):
        pre_s, post_s = rng.random(S) < pre_rate, rng.random(D) < post_rate
        pre_t, post_t = rng.uniform(0, 1.5, S), rng.uniform(0, 1.5, D)
        self.syn.pre_spike, self.syn.post_spike = torch.from_numpy(pre_s), torch.from_numpy(post_s)
        self.syn.pre_trace, self.syn.post_trace = torch.from_numpy(pre_t), torch.from_numpy(post_t)
        return pre_s.astype(float), pre_t, post_s.astype(float), post_t


def force(layout, path):
    """Make the bound topology always take ``path`` ("event" or "dense")."""
    layout.event_min_weights = 0
    layout.event_fraction = layout.current_fraction = 1.0 if path == "event" else 0.0


def numpy_change(family, w, pre_s, pre_t, post_s, post_t):
    """The rule over the full matrix: outer products and element-wise bounds, as the rule is defined."""
    if family == "istdp":
        alpha = 2 * 8.0 * 20.0 / 1000
        return 0.05 * (np.outer(pre_s, (alpha - post_t) * -1.0) + np.outer(pre_t, post_s))
    soft = (w - 0.05) * (0.95 - w)
    hard = ((w > 0.05) & (w < 0.95)).astype(float)
    return 0.3 * np.outer(pre_t, post_s) * soft - 0.2 * np.outer(pre_s, post_t) * hard


@pytest.mark.parametrize("path", ["event", "dense"])
@pytest.mark.parametrize("family", ["stdp", "istdp", "rstdp"])
@pytest.mark.parametrize("layout", ["dense", "sparse"])
def test_both_paths_follow_the_full_matrix_rule_at_every_rate(layout, family, path):
    rng = np.random.default_rng(3)
    case = Synapse(layout, rng)
    rule = make_rule(family, layout)
    rule.initialize(case.syn)
    force(case.syn.topology, path)
    w = start = case.dense_weights()
    c = np.where(case.mask, 0.02, 0.0)
    for pre_rate in RATES:
        for post_rate in RATES[::-1]:
            spikes_and_traces = case.feed(rng, pre_rate, post_rate)
            dopamine = float(rng.uniform(-1, 1))
            case.net.dopamine_concentration = dopamine
            dw = numpy_change(family, w, *spikes_and_traces) * case.mask
            if family == "rstdp":
                c = c * (1 - 1 / 4.0) + dw
                w = w + c * dopamine
            else:
                w = w + dw
            rule.forward(case.syn)
            np.testing.assert_allclose(case.dense_weights(), w, rtol=1e-12, atol=1e-14)
    assert np.abs(w - start).max() > 0.01


@pytest.mark.parametrize("layout", ["dense", "sparse"])
def test_a_rule_with_two_binary_sides_gives_the_same_result_on_rows_columns_and_dense(layout):
    rng = np.random.default_rng(8)
    results = {}
    for path, column_cost in (("rows", 1e3), ("columns", 1e-3), ("dense", None)):
        case = Synapse(layout, np.random.default_rng(8))
        rule = make_rule("stdp", layout)
        rule.initialize(case.syn)
        topology = case.syn.topology
        force(topology, "dense" if column_cost is None else "event")
        if column_cost is not None:
            topology.column_cost = column_cost
        pre = torch.from_numpy(rng.random(S) < 0.2)
        post = torch.from_numpy(rng.random(D) < 0.2)
        term = Term(0.4, pre, post, soft_bound, 0.0, 1.0, pre_events=pre, post_events=post)
        chosen = visited_side(topology, term)
        assert (chosen and chosen[0]) == {"rows": "pre", "columns": "post", "dense": None}[path]
        add_terms(topology, topology.values, [term])
        results[path] = case.dense_weights()
        rng = np.random.default_rng(8)
    np.testing.assert_allclose(results["rows"], results["dense"], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(results["columns"], results["dense"], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("layout", ["dense", "sparse"])
def test_the_automatic_choice_picks_each_path(layout):
    rng = np.random.default_rng(0)
    case = Synapse(layout, rng)
    rule = make_rule("stdp", layout)
    rule.initialize(case.syn)
    topology = case.syn.topology
    stored = topology.values.numel()
    topology.event_min_weights = stored  # as if these weights were just large enough to pay
    trace = torch.from_numpy(rng.uniform(0, 1, S))
    few = torch.zeros(S, dtype=torch.bool)
    few[[3, 40]] = True
    many = torch.from_numpy(rng.random(S) < 0.9)
    few_post = torch.zeros(D, dtype=torch.bool)
    few_post[[7]] = True

    ones = torch.ones(D, dtype=F64)
    side, index = visited_side(topology, Term(1.0, few, ones, pre_events=few))
    assert side == "pre"
    assert index.tolist() == [3, 40]
    side, index = visited_side(topology, Term(1.0, trace, few_post, post_events=few_post))
    assert side == "post"
    assert index.tolist() == [7]
    assert visited_side(topology, Term(1.0, many, ones, pre_events=many)) is None  # high rate: dense
    assert visited_side(topology, Term(1.0, few, ones)) is None  # no event side stated: dense
    topology.event_min_weights = stored + 1  # small weights: dense without looking at the spikes
    assert visited_side(topology, Term(1.0, few, ones, pre_events=few)) is None


def test_default_thresholds_keep_tiny_dense_groups_dense_and_use_events_for_large_ones():
    for size, expected in ((16, None), (400, "pre")):
        net = Network(dtype=torch.float32, seed=0)
        src, dst = NeuronGroup(size, net), NeuronGroup(size, net)
        syn = SynapseGroup(net, src, dst)
        syn.weights = torch.rand(size, size)
        spikes = torch.zeros(size, dtype=torch.bool)
        spikes[0] = True
        topology = bind_topology(SimpleSTDP(0.1, 0.1), syn, Dense)
        event = visited_side(topology, Term(1.0, spikes, torch.ones(size), pre_events=spikes))
        assert (event and event[0]) == expected


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("layout", ["dense", "sparse"])
def test_event_driven_current_equals_spikes_times_weights(layout, rate):
    rng = np.random.default_rng(int(rate * 100))
    case = Synapse(layout, rng)
    inputs = {"dense": SimpleDendriticInput, "sparse": SparseDendriticInput}
    for path in ("event", "dense"):
        behavior = inputs[layout](current_coef=0.7)
        case.syn.topology = None  # a fresh binding for each path
        topology = bind_topology(behavior, case.syn, Dense if layout == "dense" else Sparse)
        force(topology, path)
        if layout == "dense":
            topology.block_weights = 5 * D  # several chunks of rows when many sources spike
        spikes = rng.random(S) < rate
        expected = spikes.astype(float) @ case.dense_weights()
        np.testing.assert_allclose(topology.current(torch.from_numpy(spikes)).numpy(), expected, rtol=1e-12, atol=1e-14)


class Operators(TorchDispatchMode):
    """Records the names of the torch operators run while active."""

    def __init__(self):
        super().__init__()
        self.names = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.names.append(func.__name__)
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("layout", ["dense", "sparse"])
def test_the_current_reads_only_spiking_rows_at_low_rates_and_all_weights_at_high_ones(layout):
    rng = np.random.default_rng(12)
    case = Synapse(layout, rng)
    behavior = (SimpleDendriticInput if layout == "dense" else SparseDendriticInput)()
    topology = bind_topology(behavior, case.syn, Dense if layout == "dense" else Sparse)
    topology.event_min_weights = topology.values.numel()
    # the event path gathers the rows of the spiking sources (dense) or their synapses' ranges (sparse)
    marker = "index_select" if layout == "dense" else "repeat_interleave"
    for rate, reads_rows in ((0.05, True), (0.9, False)):
        spikes = rng.random(S) < rate
        with Operators() as ops:
            current = topology.current(torch.from_numpy(spikes))
        assert any(name.startswith(marker) for name in ops.names) == reads_rows
        np.testing.assert_allclose(current.numpy(), spikes.astype(float) @ case.dense_weights(), rtol=1e-12)


class LargestOutput(TorchDispatchMode):
    """Records the largest tensor any torch operation returns while active."""

    def __init__(self):
        super().__init__()
        self.largest = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(t, torch.Tensor):
                self.largest = max(self.largest, t.numel())
        return out


@pytest.mark.parametrize("pre_rate", [0.05, 0.9])
def test_blocked_dense_learning_makes_no_temporary_larger_than_a_block(pre_rate):
    rng = np.random.default_rng(4)
    case = Synapse("dense", rng)
    rule = make_rule("stdp", "dense")
    rule.initialize(case.syn)
    case.syn.topology.block_weights = 8 * D
    case.syn.topology.event_min_weights = 0
    w = case.dense_weights()
    spikes_and_traces = case.feed(rng, pre_rate, 0.5)
    with LargestOutput() as recorder:
        rule.forward(case.syn)
    assert 0 < recorder.largest <= 8 * D
    expected = w + numpy_change("stdp", w, *spikes_and_traces)
    np.testing.assert_allclose(case.dense_weights(), expected, rtol=1e-12, atol=1e-14)


def test_sparse_weights_assigned_after_initialize_are_indexed_again():
    rng = np.random.default_rng(6)
    case = Synapse("sparse", rng)
    rule = make_rule("stdp", "sparse")
    rule.initialize(case.syn)
    force(case.syn.topology, "event")
    mask = rng.random((S, D)) < 0.2
    w = np.where(mask, rng.uniform(0, 1, (S, D)), 0.0)
    case.syn.weights = torch.from_numpy(w).to_sparse()
    spikes_and_traces = case.feed(rng, 0.3, 0.3)
    rule.forward(case.syn)
    np.testing.assert_allclose(case.dense_weights(), w + numpy_change("stdp", w, *spikes_and_traces) * mask)


def ei_network(n_exc, seed):
    """Poisson input -> excitatory LIF with plastic input and recurrent dense synapses (float64)."""
    net = Network(dtype=F64, seed=seed)
    inp = NeuronGroup(50, net, tag="input", behavior=[PoissonInput(1.0, scale=100.0), NeuronAxon()])
    exc = NeuronGroup(
        n_exc,
        net,
        tag="exc",
        behavior=[
            SimpleDendriteStructure(),
            SimpleDendriteComputation(),
            LIF(tau=10.0, threshold=-55.0, v_reset=-70.0, v_rest=-65.0),
            Fire(),
            NeuronAxon(),
        ],
    )
    for src, scale in ((inp, 1.0), (exc, 0.2)):
        SynapseGroup(
            net,
            src,
            exc,
            tag="Proximal",
            behavior=[
                SynapseInit(),
                WeightInitializer(mode="uniform", scale=scale),
                SimpleDendriticInput(current_coef=12.0),
                PreSpikeCatcher(),
                PostSpikeCatcher(),
                PreTrace(15.0),
                PostTrace(15.0),
                SimpleSTDP(0.02, 0.02, positive_bound="soft_bound", negative_bound="soft_bound"),
            ],
        )
    net.initialize()
    return net


def test_a_network_runs_the_same_with_events_and_with_the_dense_formulation():
    runs = {}
    for path in ("event", "dense"):
        net = ei_network(150, seed=5)
        for syn in net.synapse_groups:
            force(syn.topology, path)
        spikes = 0
        for _ in range(40):
            net.simulate_iteration()
            spikes += int(net.neuron_groups[1].spikes.sum())
        runs[path] = ([syn.weights.clone() for syn in net.synapse_groups], spikes)
    assert runs["event"][1] == runs["dense"][1] > 20
    for event, dense in zip(runs["event"][0], runs["dense"][0], strict=True):
        torch.testing.assert_close(event, dense, rtol=1e-12, atol=1e-14)


def test_silent_is_remembered_per_tensor_version_and_sees_in_place_writes():
    silent = Network().shared(SilenceChecks)
    row = torch.zeros(5, dtype=torch.bool)
    assert silent(row)
    with Operators() as ops:
        assert silent(row)  # remembered: no second look at the data
    assert ops.names == []
    row.copy_(torch.tensor([False, False, True, False, False]))  # the axon writes the row in place
    assert not silent(row)
    row.zero_()
    assert silent(row)
    assert not silent(torch.zeros(5))  # a float vector is not a spike vector
    with torch.inference_mode():
        inference = torch.ones(3, dtype=torch.bool)
    assert not silent(inference)
    large = torch.zeros(10_000, dtype=torch.bool)  # read as bytes
    assert silent(large)
    large[-1] = True
    assert not silent(large)


def test_silence_answers_belong_to_their_network():
    first, second = Network().shared(SilenceChecks), Network().shared(SilenceChecks)
    row = torch.zeros(3, dtype=torch.bool)
    assert first(row)
    row.numpy()[1] = True  # a write torch does not see: the first network keeps its answer
    assert first(row)
    assert not second(row)  # the second network has answers of its own
    net = Network()
    assert net.shared(SilenceChecks) is net.shared(SilenceChecks)  # one table per network


def test_spikes_as_numbers_are_a_uint8_view_with_the_same_values():
    spikes = torch.tensor([True, False, True])
    numbers = as_numbers(spikes)
    assert numbers.dtype == torch.uint8
    assert numbers.data_ptr() == spikes.data_ptr()
    assert torch.zeros(3).add_(numbers, alpha=0.5).tolist() == [0.5, 0.0, 0.5]
    floats = torch.ones(3)
    assert as_numbers(floats) is floats
