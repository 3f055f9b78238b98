"""A run that diverges ends with a located error, never silently with NaN or infinite state."""

from __future__ import annotations

import pytest
import torch

from conex import Behavior, ConexError, Network, NeuronGroup, SynapseGroup, param
from conex.behaviors import (
    LIF,
    Fire,
    NeuronAxon,
    PoissonInput,
    PreSpikeCatcher,
    SimpleDendriteComputation,
    SimpleDendriteStructure,
    SimpleDendriticInput,
    SynapseInit,
    WeightInitializer,
)
from conex.config import build_network


class Amplify(Behavior):
    """A user's rule that multiplies the weights by ``factor`` each step: overflows float32 within 40 steps."""

    factor: float = param(10.0)

    def forward(self, synapse: SynapseGroup) -> None:
        synapse.weights.mul_(self.factor)


def amplified(factor: float, **network: object) -> tuple[Network, SynapseGroup]:
    """Poisson input onto LIF neurons through weights that a rule multiplies by ``factor`` every step."""
    net = Network(dt=1.0, seed=0, **network)
    inp = NeuronGroup(20, net=net, tag="input", behavior=[PoissonInput(intensity=1.0, scale=200.0), NeuronAxon()])
    exc = NeuronGroup(
        5,
        net=net,
        tag="exc",
        behavior=[SimpleDendriteStructure(), SimpleDendriteComputation(), LIF(), Fire(), NeuronAxon()],
    )
    syn = SynapseGroup(
        net=net,
        src=inp,
        dst=exc,
        tag="Proximal",
        behavior={
            2: SynapseInit(),
            3: WeightInitializer(mode="uniform(0.2, 0.8)"),
            180: SimpleDendriticInput(current_coef=40.0),
            420: PreSpikeCatcher(),
            500: Amplify(factor=factor),
        },
    )
    net.initialize()
    return net, syn


def test_a_diverging_run_raises_naming_the_tensor() -> None:
    net, syn = amplified(10.0)
    with pytest.raises(
        ConexError,
        match=r"after iteration 100 in neuron group exc: I_proximal; .*synapse input=>exc: weights",
    ):
        net.simulate_iterations(100)
    assert not torch.isfinite(syn.weights).all()  # the state is left as it was, for inspection


def test_the_check_can_be_switched_off() -> None:
    net, syn = amplified(10.0, check_finite=False)
    net.simulate_iterations(100)
    assert not torch.isfinite(syn.weights).all()


def test_a_valid_run_passes_the_check() -> None:
    net, syn = amplified(1.0)
    net.simulate_iterations(300)
    assert torch.isfinite(syn.weights).all()
    assert net.iteration == 300


def test_a_network_file_can_switch_it_off() -> None:
    net = build_network({"network": {"dt": 1.0, "check_finite": False}, "groups": {"g": {"size": 3}}})
    assert net.check_finite is False


def test_single_steps_are_checked_every_hundred_iterations() -> None:
    net, syn = amplified(10.0)
    for _ in range(99):
        net.simulate_iteration()
    assert not torch.isfinite(syn.weights).all()  # diverged, not yet looked at
    with pytest.raises(ConexError, match=r"after iteration 100 in"):
        net.simulate_iteration()
    with pytest.raises(ConexError, match=r"after iteration 100 in"):
        net.assert_finite()


def test_a_non_finite_float_attribute_is_found_too() -> None:
    net, _ = amplified(1.0)
    net.dopamine_concentration = float("inf")
    with pytest.raises(ConexError, match=r"in network: dopamine_concentration"):
        net.assert_finite()
