"""Small plastic networks on every learning layout, built the same way with one replica or many.

Each case is a source group replaying a given spike train (``(T, size)``, or ``(T, R, size)`` with
replicas) into a LIF group through one plastic synapse of the case's layout; R-STDP gets a dopamine
signal from a fixed schedule. Used by the replica tests (each replica equals a one-replica run of
its train and weights) and by the stored-values test of the one-replica results.
"""

from __future__ import annotations

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
    SimpleRSTDP,
    SimpleSTDP,
    SparseDendriticInput,
    SparseSTDP,
    SpikeTrainInput,
    SynapseInit,
    WeightClip,
    WeightInitializer,
    WeightNormalization,
)

STEPS = 200
BOUNDS = {"w_min": 0.0, "w_max": 1.0, "positive_bound": "soft_bound", "negative_bound": "soft_bound"}

# layout -> (source shape, destination shape, current_coef, synapse behaviors besides the rule's inputs)
CASES = {
    "dense": ((1, 1, 30), (1, 1, 12), 30.0),
    "sparse": ((1, 1, 30), (1, 1, 12), 60.0),
    "one2one": ((1, 1, 12), (1, 1, 12), 150.0),
    "conv2d": ((1, 6, 6), (2, 4, 4), 20.0),
    "local2d": ((1, 6, 6), (2, 4, 4), 40.0),
    "rstdp": ((1, 1, 30), (1, 1, 12), 30.0),
}


def _size(shape):
    return shape[0] * shape[1] * shape[2]


def weight_init(layout: str, weights: torch.Tensor | None = None) -> WeightInitializer:
    """The initializer of ``layout``: drawn from the network's generator, or the given ``weights``."""
    src, dst, _ = CASES[layout]
    source = {"mode": "uniform(0.2, 0.8)"} if weights is None else {"weights": weights}
    if layout == "sparse":  # given sparse weights carry their synapses; drawn ones keep 40%
        return WeightInitializer(**source, **({"density": 0.4} if weights is None else {}))
    if layout == "one2one":
        return WeightInitializer(**source, weight_shape=(_size(src),))
    if layout == "conv2d":
        return WeightInitializer(**source, weight_shape=(dst[0], src[0], 3, 3))
    if layout == "local2d":
        return WeightInitializer(**source, kernel_shape=(dst[0], dst[1], dst[2], src[0], 3, 3))
    return WeightInitializer(**source)


def rule_and_input(layout: str, a_plus: float | list[float] = 0.02) -> tuple[list, object]:
    """``(dendritic input and weight maintenance, learning rule)`` of ``layout``."""
    coef = CASES[layout][2]
    if layout == "dense":
        return [SimpleDendriticInput(current_coef=coef)], SimpleSTDP(a_plus, 0.024, **BOUNDS)
    if layout == "sparse":
        return [SparseDendriticInput(current_coef=coef), WeightClip(w_min=0.0, w_max=1.0)], SparseSTDP(
            a_plus, 0.024, **BOUNDS
        )
    if layout == "one2one":
        return [One2OneDendriticInput(current_coef=coef)], One2OneSTDP(a_plus, 0.024, **BOUNDS)
    if layout == "conv2d":
        return [Conv2dDendriticInput(current_coef=coef), WeightNormalization(norm=4.0)], Conv2dSTDP(
            a_plus, 0.024, **BOUNDS
        )
    if layout == "local2d":
        return [Local2dDendriticInput(current_coef=coef)], Local2dSTDP(a_plus, 0.024, **BOUNDS)
    return [SimpleDendriticInput(current_coef=coef)], SimpleRSTDP(a_plus, 0.024, 10.0, external_dopamine=True, **BOUNDS)


def train_of(layout: str, steps: int = STEPS, seed: int = 0, replicas: int | None = None) -> torch.Tensor:
    """A random source train ``(steps, size)``, or ``(steps, replicas, size)``, at 15% per step."""
    size = _size(CASES[layout][0])
    shape = (steps, size) if replicas is None else (steps, replicas, size)
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed)) < 0.15


def dopamine(step: int) -> float:
    """The R-STDP case's dopamine in iteration ``step``: a reward every 25 iterations."""
    return 1.0 if step % 25 == 0 else 0.0


def build(
    layout: str,
    train: torch.Tensor,
    *,
    replicas: int = 1,
    weights: torch.Tensor | None = None,
    a_plus: float | list[float] = 0.02,
    seed: int = 0,
) -> tuple[Network, SynapseGroup]:
    """The initialized case network of ``layout`` driven by ``train``."""
    src_shape, dst_shape, _ = CASES[layout]
    options = {} if replicas == 1 else {"replicas": replicas}
    net = Network(dt=1.0, dtype=torch.float64, seed=seed, **options)
    src = NeuronGroup(src_shape, net, tag="src", behavior=[SpikeTrainInput(train, loop=False), NeuronAxon()])
    dst = NeuronGroup(
        dst_shape,
        net,
        tag="dst",
        behavior=[
            SimpleDendriteStructure(),
            SimpleDendriteComputation(),
            LIF(tau=10.0, threshold=-55.0, v_reset=-70.0, v_rest=-65.0, init_v=-65.0),
            Fire(),
            NeuronAxon(),
        ],
    )
    inputs, rule = rule_and_input(layout, a_plus)
    behaviors = [SynapseInit(), weight_init(layout, weights), *inputs, PreSpikeCatcher(), PostSpikeCatcher()]
    behaviors += [PreTrace(15.0), PostTrace(15.0), rule]
    syn = SynapseGroup(net, src, dst, tag="Proximal", behavior=behaviors)
    net.initialize()
    return net, syn


def run(net: Network, syn: SynapseGroup, steps: int = STEPS) -> torch.Tensor:
    """Simulate ``steps`` iterations; the destination's spikes of each, ``(steps, [R,] size)``."""
    spikes = []
    for step in range(1, steps + 1):
        net.dopamine_concentration = dopamine(step)
        net.simulate_iteration()
        spikes.append(syn.dst.spikes.clone())
    return torch.stack(spikes)
