"""One topology per synapse: bound once, shared by every behavior of the synapse, geometry in one place."""

import gc

import numpy as np
import pytest
import torch

from conex import ConexError
from conex.behaviors import (
    Conv2dDendriticInput,
    Conv2dSTDP,
    PostSpikeCatcher,
    PostTrace,
    PreSpikeCatcher,
    PreTrace,
    SimpleSTDP,
    SparseDendriticInput,
    SparseSTDP,
    SynapseInit,
    WeightClip,
    WeightInitializer,
    WeightNormalization,
)
from conex_std.synapses.topology import Conv2d, Sparse, Topology
from tests.std.wiring import spike_train, wire

PLASTIC = [PreSpikeCatcher(), PostSpikeCatcher(), PreTrace(20.0), PostTrace(20.0)]


def topologies_of(syn):
    """Every live Topology object bound to ``syn``."""
    gc.collect()
    return [obj for obj in gc.get_objects() if issubclass(type(obj), Topology) and obj.synapse is syn]


def test_a_sparse_synapse_with_input_stdp_normalization_and_clip_builds_one_index():
    synapse = [
        SynapseInit(),
        WeightInitializer(mode="uniform", density=0.3),
        SparseDendriticInput(),
        *PLASTIC,
        SparseSTDP(0.01, 0.01),
        WeightNormalization(norm=2.0),
        WeightClip(w_min=0.0, w_max=0.5),
    ]
    net, _, _, syn = wire(30, 20, synapse, src_train=spike_train(10, 30), dst_train=spike_train(10, 20, seed=1))
    found = topologies_of(syn)
    assert len(found) == 1
    assert found[0] is syn.topology
    assert isinstance(syn.topology, Sparse)
    assert syn.topology.bound_by == "SparseDendriticInput"  # the first to initialize (priority 180)
    net.simulate_iterations(5)
    assert len(topologies_of(syn)) == 1
    values = syn.weights.coalesce().values()
    assert values.max() <= 0.5


def test_a_rule_on_another_layout_than_the_bound_one_is_refused_naming_both():
    synapse = [SynapseInit(), WeightInitializer(mode="uniform", density=0.3), SparseDendriticInput(), *PLASTIC]
    with pytest.raises(ConexError) as info:
        wire(6, 4, [*synapse, SimpleSTDP(0.01, 0.01)], src_train=spike_train(3, 6))
    assert str(info.value) == (
        "SimpleSTDP on synapse inp=>out: works on dense weights, but SparseDendriticInput bound them as sparse: "
        "use the behaviors of one layout on a synapse"
    )


def test_the_conv_geometry_is_declared_by_the_input_and_shared_with_the_rule():
    kernel = torch.from_numpy(np.random.default_rng(0).uniform(0, 1, (2, 1, 3, 3)))
    synapse = [
        SynapseInit(),
        WeightInitializer(weights=kernel),
        Conv2dDendriticInput(stride=2, padding=1),
        *PLASTIC,
        Conv2dSTDP(0.01, 0.01),
    ]
    _, _, _, syn = wire((1, 7, 7), (2, 4, 4), synapse, src_train=spike_train(3, 49))
    assert isinstance(syn.topology, Conv2d)
    assert (syn.topology.geometry.stride, syn.topology.geometry.padding) == ((2, 2), (1, 1))
    assert (syn.topology.geometry.kernel_hw, syn.topology.positions) == ((3, 3), 16)
    assert (syn.stride, syn.padding) == ((2, 2), (1, 1))  # mirrored on the synapse, as CoNeX code reads it


def test_a_second_input_with_another_geometry_is_refused():
    kernel = torch.ones(2, 1, 3, 3, dtype=torch.float64)
    synapse = {
        2: SynapseInit(),
        3: WeightInitializer(weights=kernel),
        180: Conv2dDendriticInput(stride=2, padding=1),
        181: Conv2dDendriticInput(stride=1, padding=1),
    }
    with pytest.raises(ConexError) as info:
        wire((1, 7, 7), (2, 4, 4), synapse, src_train=spike_train(3, 49))
    assert str(info.value) == (
        "Conv2dDendriticInput on synapse inp=>out: stride (1, 1) differs from the (2, 2) "
        "Conv2dDendriticInput bound the weights with: give one geometry"
    )
