"""The compiled dense learning update: the same weights as the eager formulation, and eager where compiling fails."""

import numpy as np
import pytest
import torch

import conex_std.synapses.fused as fused
from conex import Network, NeuronGroup, ParameterError, SynapseGroup
from conex.behaviors import SimpleiSTDP, SimpleRSTDP, SimpleSTDP, SparseSTDP
from conex_std.synapses import topology
from conex_std.synapses.topology import Dense

S, D = 40, 30


def synapse(seed):
    net = Network(dtype=torch.float64, seed=seed)
    syn = SynapseGroup(net, NeuronGroup(S, net), NeuronGroup(D, net))
    rng = np.random.default_rng(seed)
    syn.weights = torch.from_numpy(rng.uniform(0, 1, (S, D)))
    syn.pre_trace_tau = syn.post_trace_tau = 20.0
    return syn, rng


def learn(rule, steps=4):
    """Weights after ``steps`` updates of ``rule`` on random dense spikes (compiled when the rule says so)."""
    syn, rng = synapse(3)
    rule.initialize(syn)
    if rule.compiled:
        assert rule.layout.compile_min_weights == Dense.fused_min_weights
        rule.layout.compile_min_weights = 0  # these small weights too
    else:
        assert rule.layout.compile_min_weights is None
    rule.layout.event_fraction = rule.layout.fused_event_fraction = 0.0  # always the dense formulation
    for _ in range(steps):
        syn.pre_spike = torch.from_numpy(rng.random(S) < 0.5)
        syn.post_spike = torch.from_numpy(rng.random(D) < 0.5)
        syn.pre_trace = torch.from_numpy(rng.uniform(0, 1.5, S))
        syn.post_trace = torch.from_numpy(rng.uniform(0, 1.5, D))
        syn.network.dopamine_concentration = 0.5
        rule.forward(syn)
    return syn.weights.clone()


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


@pytest.mark.parametrize("name", RULES)
def test_the_compiled_update_gives_the_eager_weights(name, monkeypatch):
    fused_calls = []

    def counted(*args):
        done = fused.add_fused(*args)
        fused_calls.append(done)
        return done

    monkeypatch.setattr(topology, "add_fused", counted)
    eager = learn(RULES[name]())
    assert fused_calls == []  # compiled=False never reaches it
    compiled = learn(RULES[name](compiled=True))
    if not fused.fused_available():
        pytest.skip(f"torch.compile does not work here: {fused._failed}")
    assert len(fused_calls) == 4  # one dense update per step (events are off), each compiled
    assert all(fused_calls)
    assert (compiled - synapse(3)[0].weights).abs().max() > 1e-3  # it learned
    torch.testing.assert_close(compiled, eager, rtol=1e-12, atol=1e-14)


def test_a_failing_compiler_warns_once_and_leaves_the_eager_update(monkeypatch):
    def broken(function, **kwargs):
        raise RuntimeError("no C++ compiler\nmore detail")

    monkeypatch.setattr(fused, "_compiled", None)
    monkeypatch.setattr(fused, "_failed", None)
    monkeypatch.setattr(torch, "compile", broken)
    eager = learn(RULES["soft and hard bounds"]())
    with pytest.warns(RuntimeWarning, match=r"compiling the dense learning update failed \(RuntimeError: no C\+\+"):
        result = learn(RULES["soft and hard bounds"](compiled=True))
    torch.testing.assert_close(result, eager, rtol=0, atol=0)
    assert not fused.fused_available()


def test_large_weights_visit_events_only_at_lower_rates_while_the_compiled_update_works(monkeypatch):
    syn, _ = synapse(1)
    layout = Dense(SimpleSTDP(0.1, 0.1), syn)
    layout.compile_min_weights = S * D
    monkeypatch.setattr(fused, "_failed", None)
    assert layout.visited_fraction() == Dense.fused_event_fraction
    layout.compile_min_weights = S * D + 1  # below it: the eager formulation's threshold
    assert layout.visited_fraction() == Dense.event_fraction
    layout.compile_min_weights = S * D
    monkeypatch.setattr(fused, "_failed", "RuntimeError: no compiler")
    assert layout.visited_fraction() == Dense.event_fraction


def test_compiled_is_refused_for_weights_that_are_not_dense():
    net = Network(dtype=torch.float64)
    syn = SynapseGroup(net, NeuronGroup(4, net), NeuronGroup(3, net))
    syn.weights = torch.ones(4, 3).to_sparse()
    with pytest.raises(ParameterError, match=r"^SparseSTDP on .*: parameter compiled: expected False: only dense "):
        SparseSTDP(0.1, 0.1, compiled=True).initialize(syn)
