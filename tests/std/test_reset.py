"""Network.reset between trials: dynamic state back to where initialize left it, learned state and recordings
kept, so a reset network runs exactly as a fresh one given what the first one learned."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conex import Network, NeuronGroup, Phase, SynapseGroup
from conex.behaviors import (
    KWTA,
    LIF,
    AdaptiveThreshold,
    DelayInitializer,
    Dopamine,
    Fire,
    NeuronAxon,
    Payoff,
    PostSpikeCatcher,
    PostTrace,
    PreSpikeCatcher,
    PreTrace,
    Recorder,
    SimpleDendriteComputation,
    SimpleDendriteStructure,
    SimpleDendriticInput,
    SimpleSTDP,
    SpikeTrace,
    SpikeTrainInput,
    SynapseInit,
    WeightInitializer,
)

F64 = torch.float64
INPUTS, NEURONS = 16, 6
TRAIN = torch.as_tensor(np.random.default_rng(0).random((25, INPUTS)) < 0.3)
SRC_DELAYS = torch.as_tensor(np.random.default_rng(1).integers(0, 4, INPUTS))
DST_DELAYS = torch.tensor([0, 1, 0, 1, 1, 0])
INITIAL_V = torch.linspace(-70.0, -60.0, NEURONS, dtype=F64)


def trial_network(*, seed=0, init_v=INITIAL_V, weights=None, theta=0.0):
    """Spike trains through delayed, plastic synapses onto LIF neurons with dendritic delays, a decaying
    current, k-winners-take-all, a spike trace and adaptive thresholds; dopamine on the network."""
    net = Network(
        dtype=F64, seed=seed, behavior=[Payoff(initial_payoff=0.5, function=_reward), Dopamine(tau_dopamine=3.0)]
    )
    source = NeuronGroup(INPUTS, net, tag="input", behavior=[SpikeTrainInput(TRAIN), NeuronAxon(max_delay=4)])
    neurons = NeuronGroup(
        NEURONS,
        net,
        tag="exc",
        behavior=[
            SimpleDendriteStructure(Proximal_max_delay=2),
            SimpleDendriteComputation(I_tau=4.0),
            LIF(init_v=init_v),
            KWTA(k=2),
            Fire(),
            SpikeTrace(5.0),
            AdaptiveThreshold(theta_plus=0.5, tau_theta=200.0, init_theta=theta),
            NeuronAxon(max_delay=2),
            Recorder(("v", "spikes"), max_steps=500),
        ],
    )
    initial = WeightInitializer(mode="uniform(0.2, 1)") if weights is None else WeightInitializer(weights=weights)
    synapse = SynapseGroup(
        net,
        source,
        neurons,
        tag="Proximal",
        behavior={
            Phase.SYNAPSE_INIT: SynapseInit(),
            Phase.WEIGHT_INIT: initial,
            Phase.DELAY_INIT: DelayInitializer(delays=SRC_DELAYS),
            Phase.DELAY_INIT + 0.5: DelayInitializer(delays=DST_DELAYS, destination=True),
            Phase.DENDRITIC_INPUT: SimpleDendriticInput(current_coef=4.0),
            Phase.PRE_SPIKE_CATCHER: PreSpikeCatcher(),
            Phase.POST_SPIKE_CATCHER: PostSpikeCatcher(),
            Phase.PRE_TRACE: PreTrace(5.0),
            Phase.POST_TRACE: PostTrace(5.0),
            Phase.LEARNING: SimpleSTDP(a_plus=0.05, a_minus=0.03),
        },
    )
    net.initialize()
    return net, source, neurons, synapse


def _reward(network):
    return 1.0 if network.iteration % 5 == 0 else -0.1


def spikes_of(net, group, steps):
    """``(steps, size)``: the group's spikes in each of the next ``steps`` iterations, as its recorder saw them."""
    net.simulate_iterations(steps)
    return group.behavior[Phase.RECORDER].data("spikes")[-steps:]


def test_reset_puts_the_dynamic_state_back_and_keeps_what_was_learned_and_recorded():
    net, source, neurons, synapse = trial_network(init_v="uniform(-70, -60)", seed=3)
    initial_v = neurons.v.clone()
    dendrite = neurons.behavior[Phase.DENDRITE_STRUCTURE]
    recorder = neurons.behavior[Phase.RECORDER]
    net.simulate_iterations(32)
    for value in (neurons.trace, neurons.I, synapse.pre_trace, synapse.post_trace):
        assert value.any()
    assert any(buffer.any() for buffer in dendrite._pending.values())
    assert not torch.equal(neurons.v, initial_v)
    learned = {"weights": synapse.weights, "theta": neurons.theta, "threshold": neurons.threshold}
    learned = {name: value.clone() for name, value in learned.items()}
    recorded = recorder.data("v")
    generator = net.generator.get_state()

    net.reset()

    assert torch.equal(neurons.v, initial_v)  # a random init_v is put back, not drawn again
    for group in (source, neurons):
        assert not group.spikes.any()
        assert not group.axon.spike_history.any()
    assert not neurons.axon.trace_history.any()
    assert not neurons.trace.any()
    for name in ("I", "I_proximal", "I_distal", "I_apical"):
        assert not getattr(neurons, name).any(), name
    assert not any(buffer.any() for buffer in dendrite._pending.values())
    for name in ("I", "pre_spike", "post_spike", "pre_trace", "post_trace"):
        assert not getattr(synapse, name).any(), name
    for name, value in learned.items():
        assert torch.equal(getattr(synapse if name == "weights" else neurons, name), value), name
    assert (net.payoff, net.dopamine_concentration) == (0.5, 0.5)
    assert torch.equal(recorder.data("v"), recorded)
    assert net.iteration == 32
    assert torch.equal(net.generator.get_state(), generator)
    net.simulate_iteration()
    assert torch.equal(source.spikes, TRAIN[0])  # the spike train starts again


@pytest.mark.parametrize("learning", [True, False], ids=["learning", "frozen"])
def test_a_reset_network_runs_as_a_fresh_one_given_its_weights_and_thresholds(learning):
    net, _, neurons, synapse = trial_network(seed=4)
    first = spikes_of(net, neurons, 30)
    assert first.any()
    net.reset()
    fresh, _, fresh_neurons, fresh_synapse = trial_network(seed=5, weights=synapse.weights, theta=neurons.theta)
    fresh_neurons.threshold.copy_(neurons.threshold)  # base + theta, summed as the first run summed it
    for model in (net, fresh):
        model.synapse_groups[0].behavior[Phase.LEARNING].behavior_enabled = learning

    trial = spikes_of(net, neurons, 40)
    assert trial.any()
    assert torch.equal(trial, spikes_of(fresh, fresh_neurons, 40))
    assert torch.equal(synapse.weights, fresh_synapse.weights)
    assert torch.equal(neurons.theta, fresh_neurons.theta)
    assert torch.equal(neurons.v, fresh_neurons.v)


def test_without_a_reset_the_first_trial_leaks_into_the_second():
    """The control of the test above: the state a reset clears does change what follows."""
    net, _, neurons, synapse = trial_network(seed=4)
    spikes_of(net, neurons, 30)
    fresh, _, fresh_neurons, _ = trial_network(seed=5, weights=synapse.weights, theta=neurons.theta)
    fresh_neurons.threshold.copy_(neurons.threshold)
    assert not torch.equal(spikes_of(net, neurons, 40), spikes_of(fresh, fresh_neurons, 40))
