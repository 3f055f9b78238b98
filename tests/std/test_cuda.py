"""The same plastic network on the CPU and on CUDA: the same inputs and weights give the same spikes and weights.

Inputs are replayed spike trains and the weights are given, so nothing depends on the devices'
different random generators; float64 keeps rounding differences far below the tolerance. The
comparison is skipped without a CUDA device; the check that each network is active (it spikes and
its weights move, so the comparison means something) runs everywhere.
"""

import numpy as np
import pytest
import torch

from conex import Network, NeuronGroup, SynapseGroup
from conex.behaviors import (
    LIF,
    Conv2dDendriticInput,
    Conv2dSTDP,
    Fire,
    Local2dDendriticInput,
    Local2dSTDP,
    NeuronAxon,
    One2OneDendriticInput,
    One2OneSTDP,
    PostSpikeCatcher,
    PostTrace,
    PreSpikeCatcher,
    PreTrace,
    SimpleDendriteComputation,
    SimpleDendriteStructure,
    SimpleDendriticInput,
    SimpleSTDP,
    SparseDendriticInput,
    SparseSTDP,
    SpikeTrainInput,
    SynapseInit,
    WeightInitializer,
)

STEPS = 60


def layout(name, rng):
    """``(source shape, destination shape, dendritic input, rule, weights)`` of one layout."""
    if name == "dense":  # above Dense.event_min_weights: the event-driven paths run at these rates
        return 300, 300, SimpleDendriticInput(current_coef=1.5), SimpleSTDP, rng.uniform(0, 1, (300, 300))
    if name == "sparse":
        mask = rng.random((200, 300)) < 0.1
        weights = torch.from_numpy(np.where(mask, rng.uniform(0, 1, (200, 300)), 0.0)).to_sparse()
        return 200, 300, SparseDendriticInput(current_coef=15.0), SparseSTDP, weights
    if name == "one2one":
        return 300, 300, One2OneDendriticInput(current_coef=400.0), One2OneSTDP, rng.uniform(0, 1, 300)
    if name == "conv2d":
        behavior = Conv2dDendriticInput(current_coef=15.0, stride=1, padding=1)
        return (2, 12, 12), (4, 12, 12), behavior, Conv2dSTDP, rng.uniform(0, 1, (4, 2, 3, 3))
    behavior = Local2dDendriticInput(current_coef=30.0, stride=2, padding=0)
    return (2, 12, 12), (3, 5, 5), behavior, Local2dSTDP, rng.uniform(0, 1, (3, 25, 18))


def run(name, device):
    """Spike count of the destination and its final weights (dense, on the CPU) after ``STEPS`` steps."""
    rng = np.random.default_rng(5)
    src_shape, dst_shape, dendritic_input, rule, weights = layout(name, rng)
    net = Network(dtype=torch.float64, device=device, seed=0)
    src_size = int(np.prod(src_shape))
    train = torch.from_numpy(rng.random((STEPS, src_size)) < 0.1)
    src = NeuronGroup(src_shape, net, behavior=[SpikeTrainInput(train), NeuronAxon()])
    dst_behaviors = [SimpleDendriteStructure(), SimpleDendriteComputation(), LIF(tau=10.0), Fire(), NeuronAxon()]
    dst = NeuronGroup(dst_shape, net, behavior=dst_behaviors)
    given = {"weights": torch.as_tensor(weights)}
    if name == "local2d":
        given["kernel_shape"] = (3, 5, 5, 2, 3, 3)
    syn = SynapseGroup(
        net,
        src,
        dst,
        tag="Proximal",
        behavior=[
            SynapseInit(),
            WeightInitializer(**given),
            dendritic_input,
            PreSpikeCatcher(),
            PostSpikeCatcher(),
            PreTrace(20.0),
            PostTrace(20.0),
            rule(0.05, 0.06, positive_bound="soft_bound", negative_bound="soft_bound"),
        ],
    )
    net.initialize()
    spikes = 0
    for _ in range(STEPS):
        net.simulate_iteration()
        spikes += int(dst.spikes.sum())
    final = syn.weights.to_dense() if syn.weights.is_sparse else syn.weights
    return spikes, final.cpu(), torch.as_tensor(weights.to_dense() if name == "sparse" else weights)


NAMES = ["dense", "sparse", "one2one", "conv2d", "local2d"]


@pytest.mark.parametrize("name", NAMES)
def test_each_network_spikes_and_learns_so_the_comparison_means_something(name):
    spikes, final, start = run(name, "cpu")
    assert spikes > 20
    assert (final - start).abs().max() > 1e-3


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", NAMES)
def test_cuda_gives_the_cpus_spikes_and_weights(name):
    cpu_spikes, cpu_weights, _ = run(name, "cpu")
    cuda_spikes, cuda_weights, _ = run(name, "cuda")
    assert cuda_spikes == cpu_spikes
    torch.testing.assert_close(cuda_weights, cpu_weights, rtol=1e-9, atol=1e-11)
