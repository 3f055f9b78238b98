"""The compiled dense learning update: the same weights as the eager formulation, and eager where compiling fails."""

import numpy as np
import pytest
import torch

from conex import Network, NeuronGroup, ParameterError, SynapseGroup
from conex.behaviors import SimpleiSTDP, SimpleRSTDP, SimpleSTDP, SparseSTDP
from conex_std.synapses.topology import Dense, bind_topology

S, D = 40, 30


def synapse(seed):
    net = Network(dtype=torch.float64, seed=seed)
    syn = SynapseGroup(net, NeuronGroup(S, net), NeuronGroup(D, net))
    rng = np.random.default_rng(seed)
    syn.weights = torch.from_numpy(rng.uniform(0, 1, (S, D)))
    syn.pre_trace_tau = syn.post_trace_tau = 20.0
    return syn, rng


def learn(rule, steps=4):
    """Weights after ``steps`` updates of ``rule`` on random dense spikes (compiled when the rule says so),
    and the synapse's topology."""
    syn, rng = synapse(3)
    rule.initialize(syn)
    topology = syn.topology
    if rule.compiled:
        assert topology.compile_min_weights == Dense.fused_min_weights
        topology.compile_min_weights = 0  # these small weights too
    else:
        assert topology.compile_min_weights is None
    topology.event_fraction = topology.fused_event_fraction = 0.0  # always the dense formulation
    for _ in range(steps):
        syn.pre_spike = torch.from_numpy(rng.random(S) < 0.5)
        syn.post_spike = torch.from_numpy(rng.random(D) < 0.5)
        syn.pre_trace = torch.from_numpy(rng.uniform(0, 1.5, S))
        syn.post_trace = torch.from_numpy(rng.uniform(0, 1.5, D))
        syn.network.dopamine_concentration = 0.5
        rule.forward(syn)
    return syn.weights.clone(), topology


RULES = {
    "soft and hard bounds": lambda **c: SimpleSTDP(
        0.3, 0.2, positive_bound="soft_bound", negative_bound="hard_bound", **c
    ),
    "no bounds": lambda **c: SimpleSTDP(0.3, 0.2, **c),
    "iSTDP (a vector term)": lambda **c: SimpleiSTDP(rho=8.0, lr=0.05, **c),
    "R-STDP (into c)": lambda **c: SimpleRSTDP(
        0.3, 0.2, 4.0, positive_bound="soft_bound", negative_bound="soft_bound", **c
    ),
}


def counting_compiles(monkeypatch):
    """Patch ``torch.compile`` so that every call of a compiled function is counted in the returned list."""
    real, calls = torch.compile, []

    def compile_and_count(function, **kwargs):
        compiled = real(function, **kwargs)

        def run(*args):
            calls.append(function.__name__)
            return compiled(*args)

        return run

    monkeypatch.setattr(torch, "compile", compile_and_count)
    return calls


@pytest.mark.parametrize("name", RULES)
def test_the_compiled_update_gives_the_eager_weights(name, monkeypatch):
    calls = counting_compiles(monkeypatch)
    eager, _ = learn(RULES[name]())
    assert calls == []  # compiled=False never compiles
    compiled, topology = learn(RULES[name](compiled=True))
    if topology.compile_failure is not None:
        pytest.skip(f"torch.compile does not work here: {topology.compile_failure}")
    assert calls == ["dense_change"] * 4  # the evaluator's own dense formulation, once per step (events are off)
    assert (compiled - synapse(3)[0].weights).abs().max() > 1e-3  # it learned
    torch.testing.assert_close(compiled, eager, rtol=1e-12, atol=1e-14)


def test_a_failing_compiler_warns_once_and_leaves_the_eager_update(monkeypatch):
    def broken(function, **kwargs):
        raise RuntimeError("no C++ compiler\nmore detail")

    monkeypatch.setattr(torch, "compile", broken)
    eager, _ = learn(RULES["soft and hard bounds"]())
    with pytest.warns(RuntimeWarning, match=r"update of .* failed \(RuntimeError: no C\+\+"):
        result, topology = learn(RULES["soft and hard bounds"](compiled=True))
    torch.testing.assert_close(result, eager, rtol=0, atol=0)
    assert topology.compile_failure == "RuntimeError: no C++ compiler"


def test_a_compile_failure_stays_with_its_synapse(monkeypatch):
    def broken(function, **kwargs):
        raise RuntimeError("no C++ compiler")

    monkeypatch.setattr(torch, "compile", broken)
    with pytest.warns(RuntimeWarning):
        _, failed = learn(RULES["no bounds"](compiled=True))
    syn, _ = synapse(2)
    SimpleSTDP(0.1, 0.1, compiled=True).initialize(syn)
    assert failed.compile_failure is not None
    assert syn.topology.compile_failure is None  # another network's synapse still compiles


def test_large_weights_visit_events_only_at_lower_rates_while_the_compiled_update_works():
    syn, _ = synapse(1)
    layout = bind_topology(SimpleSTDP(0.1, 0.1), syn, Dense)
    layout.compile_min_weights = S * D
    assert layout.visited_fraction() == Dense.fused_event_fraction
    layout.compile_min_weights = S * D + 1  # below it: the eager formulation's threshold
    assert layout.visited_fraction() == Dense.event_fraction
    layout.compile_min_weights = S * D
    layout.compile_failure = "RuntimeError: no compiler"
    assert layout.visited_fraction() == Dense.event_fraction


def test_compiled_is_refused_for_weights_that_are_not_dense():
    net = Network(dtype=torch.float64)
    syn = SynapseGroup(net, NeuronGroup(4, net), NeuronGroup(3, net))
    syn.weights = torch.ones(4, 3).to_sparse()
    with pytest.raises(ParameterError, match=r"^SparseSTDP.compiled on .*: expected False: only dense "):
        SparseSTDP(0.1, 0.1, compiled=True).initialize(syn)
