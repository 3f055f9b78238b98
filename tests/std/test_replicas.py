"""Replicas: R independent copies of a plastic network in one simulation.

Each replica of an R = 4 network, driven by its own spike train from its own initial weights, must
give what a one-replica network gives with that train and those weights; one replica must give
exactly what conex gave before replicas existed (stored digests); per-replica parameters must act
as separate runs with each value; weights shared by the replicas serve many inputs at once.
"""

import hashlib

import numpy as np
import pytest
import torch

from conex import ConexError, Network, NeuronGroup, ParameterError, SynapseGroup
from conex.behaviors import (
    NeuronAxon,
    PreSpikeCatcher,
    PreTrace,
    SimpleDendriticInput,
    SimpleSTDP,
    SpikeTrainInput,
    SynapseInit,
    WeightInitializer,
)
from tests.std.plastic_cases import CASES, build, run, train_of

R = 4

# sha256 prefixes of the weights and the destination spikes after the 200 steps of each case with
# one replica, computed with conex before replicas were added (commit 798a19e)
BEFORE_REPLICAS = {
    "dense": ("843abb39f230f4af", "52738c2205b639e1", 747),
    "sparse": ("12f5dc2fa23c2b10", "3d59f2b1790ca83d", 604),
    "one2one": ("1c63187ef1572b61", "b315e71aa70042ff", 133),
    "conv2d": ("e1fb360f4147d38d", "1636212c288d1234", 298),
    "local2d": ("f0be3bd50af4ce1e", "835ce4ab396f354d", 855),
    "rstdp": ("f51ae86517d89549", "2a8c51825d107e2c", 828),
}


def digest(tensor):
    tensor = tensor.coalesce() if tensor.is_sparse else tensor
    parts = [tensor.values(), tensor.indices()] if tensor.is_sparse else [tensor]
    h = hashlib.sha256()
    for part in parts:
        h.update(part.detach().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def dense(weights):
    return weights.to_dense() if weights.is_sparse else weights


@pytest.mark.parametrize("layout", CASES)
def test_one_replica_gives_exactly_what_conex_gave_before_replicas(layout):
    net, syn = build(layout, train_of(layout))
    spikes = run(net, syn)
    assert (digest(syn.weights), digest(spikes), int(spikes.sum())) == BEFORE_REPLICAS[layout]


@pytest.mark.parametrize("layout", CASES)
def test_each_replica_equals_a_one_replica_run_of_its_train_and_weights(layout):
    train = train_of(layout, replicas=R, seed=11)
    net, syn = build(layout, train, replicas=R, seed=3)
    initial = syn.weights.clone()
    spikes = run(net, syn)
    assert spikes.shape[1] == R
    assert len({digest(initial[r]) for r in range(R)}) == R  # every replica drew weights of its own
    for r in range(R):
        single_net, single = build(layout, train[:, r], weights=initial[r])
        single_spikes = run(single_net, single)
        assert torch.equal(spikes[:, r], single_spikes), f"replica {r} spikes"
        assert int(single_spikes.sum()) > 0
        torch.testing.assert_close(dense(syn.weights)[r], dense(single.weights), rtol=0, atol=1e-5)
        assert (dense(single.weights) - dense(initial[r])).abs().max() > 1e-3  # it learned


def test_per_replica_learning_rates_equal_single_runs_with_each_value():
    a_plus = [0.0, 0.01, 0.03, 0.08]
    train = train_of("dense", replicas=R, seed=5)
    net, syn = build("dense", train, replicas=R, a_plus=a_plus)
    initial = syn.weights.clone()
    run(net, syn)
    finals = []
    for r, value in enumerate(a_plus):
        single_net, single = build("dense", train[:, r], weights=initial[r], a_plus=value)
        run(single_net, single)
        torch.testing.assert_close(syn.weights[r], single.weights, rtol=0, atol=1e-12)
        finals.append(float(single.weights.mean()))
    assert finals == sorted(finals)  # more potentiation, larger weights: the values were really used


def test_a_wrong_count_of_per_replica_values_is_refused_naming_the_parameter():
    with pytest.raises(ParameterError) as info:
        build("dense", train_of("dense", replicas=R), replicas=R, a_plus=[0.01, 0.02])
    assert str(info.value) == (
        "SimpleSTDP.a_plus on synapse src=>dst: expected one value or 4 (one per replica of network), got [0.01, 0.02]"
    )


def test_per_replica_values_are_checked_one_by_one_at_construction():
    with pytest.raises(ParameterError, match=r"^PreTrace.tau_s: expected a float > 0, got -1.0$"):
        PreTrace([20.0, -1.0])


def shared_network(weights, train, shared=True):
    net = Network(dtype=torch.float64, replicas=train.shape[1], seed=0)
    src = NeuronGroup(weights.shape[0], net, tag="src", behavior=[SpikeTrainInput(train, loop=False), NeuronAxon()])
    dst = NeuronGroup(weights.shape[1], net, tag="dst")
    syn = SynapseGroup(
        net,
        src,
        dst,
        behavior=[
            SynapseInit(),
            WeightInitializer(weights=weights, shared=shared),
            SimpleDendriticInput(),
            PreSpikeCatcher(),
        ],
    )
    net.initialize()
    return net, syn


def test_shared_weights_serve_many_inputs_through_one_tensor():
    weights = torch.from_numpy(np.random.default_rng(0).uniform(0, 1, (6, 3)))
    train = torch.rand((4, 5, 6), generator=torch.Generator().manual_seed(1)) < 0.5
    net, syn = shared_network(weights, train)
    assert syn.weights.shape == (6, 3)  # one tensor, not one per replica
    currents = []
    for _ in range(4):
        net.simulate_iteration()
        currents.append(syn.I.clone())
    for step in range(1, 4):  # the current of step t is the spikes of step t - 1 through the weights
        expected = train[step - 1].double() @ weights
        torch.testing.assert_close(currents[step], expected, rtol=1e-12, atol=1e-12)


def test_learning_on_shared_weights_is_refused():
    weights = torch.ones(6, 3, dtype=torch.float64)
    net = Network(dtype=torch.float64, replicas=2)
    src = NeuronGroup(6, net, tag="src", behavior=[NeuronAxon()])
    dst = NeuronGroup(3, net, tag="dst", behavior=[NeuronAxon()])
    SynapseGroup(
        net, src, dst, behavior=[SynapseInit(), WeightInitializer(weights=weights, shared=True), SimpleSTDP(0.1, 0.1)]
    )
    with pytest.raises(
        ConexError, match=r"^SimpleSTDP on synapse src=>dst: weights shared by the 2 replicas do not learn"
    ):
        net.initialize()
