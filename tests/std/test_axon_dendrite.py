"""NeuronAxon and the dendrite behaviors against NumPy, and conex's delay semantics end to end."""

import numpy as np
import pytest
import torch

from conex import Behavior, ConexError, Network, NeuronGroup, ParameterError, SynapseGroup, param
from conex.behaviors import (
    DelayInitializer,
    NeuronAxon,
    PreSpikeCatcher,
    SimpleDendriteComputation,
    SimpleDendriteStructure,
    SimpleDendriticInput,
    SpikeTrace,
    SpikeTrainInput,
    SynapseInit,
    WeightInitializer,
)

from .wiring import F64, delayed, row, spike_train, wire

# -- NeuronAxon -----------------------------------------------------------------------------------


def axon_group(train, *extra, max_delay=4, **axon):
    net = Network(dtype=F64, seed=0)
    behavior = [SpikeTrainInput(torch.as_tensor(train), loop=False), *extra, NeuronAxon(max_delay=max_delay, **axon)]
    group = NeuronGroup(train.shape[1], net, tag="g", behavior=behavior)
    net.initialize()
    return net, group


def test_the_axon_serves_each_neurons_spike_of_its_delay_iterations_ago():
    train = spike_train(13, 6, p=0.5)
    net, group = axon_group(train)
    mixed = np.array([3, 0, 1, 2, 3, 1])
    assert group.axon.get_spike(group, torch.tensor(mixed)).tolist() == [False] * 6  # silent before the run
    for t in range(1, 14):  # longer than the history: the ring wraps around three times
        net.simulate_iteration()
        for delays in [np.full(6, d) for d in range(4)] + [mixed]:
            got = group.axon.get_spike(group, torch.tensor(delays))
            assert got.dtype == torch.bool
            np.testing.assert_array_equal(got.numpy(), delayed(train, t - 1, delays))


def test_the_axon_keeps_the_trace_when_the_group_has_one():
    train, tau, dt = spike_train(9, 4, p=0.5, seed=1), 5.0, 1.0
    net, group = axon_group(train, SpikeTrace(tau), max_delay=3)
    traces, trace = [], np.zeros(4)
    for t in range(1, 10):
        trace = (trace + row(train, t - 1)) * (1 - dt / tau)
        traces.append(trace)
        net.simulate_iteration()
        for d in range(3):
            expected = traces[t - 1 - d] if t - 1 - d >= 0 else np.zeros(4)
            got = group.axon.get_spike_trace(group, torch.full((4,), d))
            np.testing.assert_allclose(got.numpy(), expected, atol=1e-12)


def test_trace_history_only_when_asked_or_available():
    train = np.zeros((2, 3), bool)
    _, group = axon_group(train, SpikeTrace(5.0), have_trace=False)
    with pytest.raises(ConexError, match="NeuronAxon on neuron group g: get_spike_trace needs have_trace=True"):
        group.axon.get_spike_trace(group, torch.zeros(3, dtype=torch.long))
    with pytest.raises(
        ConexError, match=r"NeuronAxon on neuron group g: have_trace=True needs neurons\.trace, which Spike"
    ):
        axon_group(train, have_trace=True)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_delay": 0}, "NeuronAxon.max_delay: expected an int >= 1, got 0"),
        ({"max_delay": 2, "distal_min_delay": 2}, "NeuronAxon.distal_min_delay: expected < max_delay = 2, got 2"),
        ({"proximal_min_delay": -1}, "NeuronAxon.proximal_min_delay: expected an int >= 0, got -1"),
    ],
)
def test_axon_parameters_are_checked_at_construction(kwargs, message):
    with pytest.raises(ParameterError) as info:
        NeuronAxon(**kwargs)
    assert str(info.value) == message


def test_update_min_delay_takes_the_smallest_source_delay_of_each_kind():
    net = Network()
    inp = NeuronGroup(3, net, tag="inp", behavior=[SpikeTrainInput(np.zeros((1, 3), bool)), NeuronAxon(max_delay=6)])
    out = NeuronGroup(2, net, tag="out")
    for tag, delays in [("Proximal", [4, 2, 5]), ("Proximal", [3, 3, 3]), ("Distal", [5, 4, 5])]:
        SynapseGroup(net, inp, out, tag=tag, behavior=[SynapseInit(), DelayInitializer(delays=delays)])
    net.initialize()
    inp.axon.update_min_delay(inp)
    assert (inp.axon.proximal_min_delay, inp.axon.distal_min_delay, inp.axon.apical_min_delay) == (2, 4, 0)


# -- SimpleDendriteStructure ----------------------------------------------------------------------


class SetCurrent(Behavior):
    """Test helper: in iteration t the synapse's ``I`` is row t-1 of ``rows`` (at the dendritic-input slot)."""

    rows: object = param(positional=True)

    def forward(self, synapse):
        synapse.I = torch.as_tensor(self.rows[synapse.network.iteration - 1])


class SetMembrane(Behavior):
    """Test helper: gives the group LIF-like state, ``v`` being row t-1 of ``rows`` in iteration t."""

    rows: object = param(positional=True)

    def initialize(self, neurons):
        neurons.v_rest, neurons.threshold, neurons.tau, neurons.R = -65.0, -50.0, 10.0, 2.0
        neurons.v = neurons.vector()

    def forward(self, neurons):
        neurons.v.copy_(torch.as_tensor(self.rows[neurons.network.iteration - 1]))


SIZE, STEPS = 4, 10
RNG = np.random.default_rng(3)
# (tag, dst delays, currents per iteration)
AFFERENTS = [
    ("Proximal", np.array([0, 1, 2, 0]), RNG.normal(size=(STEPS, SIZE))),
    ("Proximal", np.array([2, 2, 0, 1]), RNG.normal(size=(STEPS, SIZE))),
    ("Distal", np.array([1, 0, 1, 0]), RNG.normal(size=(STEPS, SIZE))),
    ("Apical", np.array([0, 1, 1, 0]), RNG.normal(size=(STEPS, SIZE))),
]


def dendrite_network(behaviors, afferents=AFFERENTS, dt=1.0):
    net = Network(dt=dt, dtype=F64, seed=0)
    inp = NeuronGroup(2, net, tag="inp")
    out = NeuronGroup(SIZE, net, tag="out", behavior=behaviors)
    for tag, delays, currents in afferents:
        init = [SynapseInit(), DelayInitializer(delays=torch.tensor(delays), destination=True)]
        SynapseGroup(net, inp, out, tag=tag, behavior={2: init[0], 4: init[1], 180: SetCurrent(currents)})
    net.initialize()
    return net, out


def arriving(kind, t):
    """What reaches the ``kind`` dendrite in iteration t: each synapse's current of t - dst_delay."""
    total = np.zeros(SIZE)
    for tag, delays, currents in AFFERENTS:
        if tag == kind:
            total += [row(currents, t - 1 - d)[j] for j, d in enumerate(delays)]
    return total


def test_the_structure_sums_each_dendrites_currents_after_their_dendritic_delays():
    structure = SimpleDendriteStructure(Proximal_max_delay=3, Distal_max_delay=2, Apical_max_delay=2)
    net, out = dendrite_network([structure])
    for t in range(1, STEPS + 1):
        net.simulate_iteration()
        for kind in ("Proximal", "Distal", "Apical"):
            np.testing.assert_allclose(getattr(out, f"I_{kind.lower()}").numpy(), arriving(kind, t), atol=1e-12)


def test_structure_update_min_delay_takes_the_smallest_destination_delay_of_each_kind():
    afferents = [
        ("Proximal", np.array([2, 1, 2, 3]), np.zeros((1, SIZE))),
        ("Proximal", np.array([3, 3, 2, 2]), np.zeros((1, SIZE))),
        ("Distal", np.array([3, 2, 3, 3]), np.zeros((1, SIZE))),
    ]
    structure = SimpleDendriteStructure(Proximal_max_delay=4, Distal_max_delay=4, Apical_max_delay=4)
    _, out = dendrite_network([structure], afferents=afferents)
    assert structure.min_delays == {"Proximal": 0, "Distal": 0, "Apical": 1}
    structure.update_min_delay(out)
    assert structure.min_delays == {"Proximal": 1, "Distal": 2, "Apical": 1}


def test_the_computation_decays_adds_proximal_and_primes_with_apical_and_distal():
    v_rows = RNG.uniform(-70, -45, (STEPS, SIZE))
    structure = SimpleDendriteStructure(Proximal_max_delay=3, Distal_max_delay=2, Apical_max_delay=2)
    computation = SimpleDendriteComputation(I_tau=4.0, apical_provocativeness=0.5, distal_provocativeness=0.8)
    net, out = dendrite_network({220: structure, 230: SetMembrane(v_rows), 240: computation}, dt=0.5)
    current = np.zeros(SIZE)
    for t in range(1, STEPS + 1):
        net.simulate_iteration()
        v = v_rows[t - 1]
        current = current - current / 4.0 * 0.5 + arriving("Proximal", t)
        for kind, level in (("Apical", 0.5), ("Distal", 0.8)):
            room = np.maximum(-65.0 + level * 15.0 - v, 0)
            current = current + 10.0 / 2.0 * np.tanh(arriving(kind, t)) * room
        np.testing.assert_allclose(out.I.numpy(), current, atol=1e-10)


def test_without_i_tau_the_current_is_this_iterations_proximal_input():
    structure = SimpleDendriteStructure(Proximal_max_delay=3, Distal_max_delay=2, Apical_max_delay=2)
    net, out = dendrite_network([structure, SimpleDendriteComputation()])
    for t in range(1, STEPS + 1):
        net.simulate_iteration()
        np.testing.assert_allclose(out.I.numpy(), arriving("Proximal", t), atol=1e-12)


def test_dendrite_errors_name_the_group_the_synapse_and_the_parameter():
    with pytest.raises(ParameterError) as info:
        dendrite_network([SimpleDendriteStructure(Proximal_max_delay=3, Distal_max_delay=0, Apical_max_delay=2)])
    assert str(info.value) == (
        "SimpleDendriteStructure.Distal_max_delay on neuron group out: "
        "expected >= 1: synapse inp=>out is tagged Distal, got 0"
    )
    with pytest.raises(ConexError) as info:
        dendrite_network([SimpleDendriteStructure(Proximal_max_delay=2, Distal_max_delay=2, Apical_max_delay=2)])
    assert str(info.value) == (
        "SimpleDendriteStructure on synapse inp=>out: dst_delay 2 does not fit Proximal_max_delay of neuron group "
        "out = 2: it keeps 2 iterations, so delays must be < 2"
    )
    no_current = [("Proximal", np.zeros(SIZE, int), np.zeros((1, SIZE)))]
    net = Network()
    out = NeuronGroup(SIZE, net, tag="out", behavior=[SimpleDendriteStructure()])
    SynapseGroup(net, out, out, tag="Proximal")
    with pytest.raises(ConexError, match="on neuron group out: Proximal synapse out=>out has no current I"):
        net.initialize()
    with pytest.raises(ConexError, match="SimpleDendriteComputation on neuron group out needs v, which"):
        dendrite_network(
            [SimpleDendriteStructure(), SimpleDendriteComputation(distal_provocativeness=0.5)], afferents=no_current
        )
    with pytest.raises(ParameterError) as info:
        dendrite_network([SimpleDendriteStructure(), SimpleDendriteComputation(I_tau=0.5)], afferents=no_current)
    assert str(info.value) == (
        "SimpleDendriteComputation.I_tau on neuron group out: expected >= dt = 1.0 ms (a shorter one oscillates), "
        "got 0.5"
    )


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (
            SimpleDendriteStructure,
            {"Proximal_max_delay": 2, "proximal_min_delay": 2},
            "SimpleDendriteStructure.proximal_min_delay: expected < Proximal_max_delay = 2, got 2",
        ),
        (
            SimpleDendriteStructure,
            {"Distal_max_delay": 0},
            "SimpleDendriteStructure.apical_min_delay: expected < Apical_max_delay = 1 "
            "(Distal_max_delay + 1: give Apical_max_delay, 0 for no apical), got 1",
        ),
        (
            SimpleDendriteStructure,
            {"Proximal_max_delay": -1},
            "SimpleDendriteStructure.Proximal_max_delay: expected an int >= 0, got -1",
        ),
        (SimpleDendriteComputation, {"I_tau": 0}, "SimpleDendriteComputation.I_tau: expected a float > 0, got 0.0"),
    ],
)
def test_dendrite_parameters_are_checked_at_construction(cls, kwargs, message):
    with pytest.raises(ParameterError) as info:
        cls(**kwargs)
    assert str(info.value) == message


def test_a_switched_off_dendrite_stays_zero_when_no_synapse_uses_it():
    afferents = [a for a in AFFERENTS if a[0] == "Proximal"]
    structure = SimpleDendriteStructure(Proximal_max_delay=3, Distal_max_delay=0, Apical_max_delay=0)
    net, out = dendrite_network([structure], afferents=afferents)
    net.simulate_iterations(4)
    assert out.I_distal.tolist() == out.I_apical.tolist() == [0.0] * SIZE
    np.testing.assert_allclose(out.I_proximal.numpy(), arriving("Proximal", 4), atol=1e-12)


# -- delays end to end (t + 1 + d) ----------------------------------------------------------------


@pytest.mark.parametrize(("fired", "src_delay", "dst_delay"), [(1, 0, 0), (2, 3, 0), (1, 0, 2), (3, 2, 3)])
def test_a_spike_in_iteration_t_reaches_i_in_t_plus_1_plus_d_and_the_neuron_dst_delay_later(
    fired, src_delay, dst_delay
):
    train = np.zeros((12, 3), bool)
    train[fired - 1, 1] = True  # source neuron 1 fires in iteration `fired`
    weights = torch.tensor([[0.0, 0.0], [0.5, 2.0], [0.0, 0.0]])
    synapse = {
        2: SynapseInit(),
        3: WeightInitializer(weights=weights),
        4: DelayInitializer(delays=src_delay),
        5: DelayInitializer(delays=dst_delay, destination=True),
        180: SimpleDendriticInput(current_coef=3.0),
        420: PreSpikeCatcher(),
    }
    structure = SimpleDendriteStructure(Proximal_max_delay=4, Distal_max_delay=0, Apical_max_delay=0)
    net, _, out, syn = wire(3, 2, synapse, src_train=train, max_delay=4, dst_behaviors=[structure])
    arrival = fired + 1 + src_delay
    for t in range(1, 13):
        net.simulate_iteration()
        assert syn.I.tolist() == ([1.5, 6.0] if t == arrival else [0.0, 0.0])
        assert out.I_proximal.tolist() == ([1.5, 6.0] if t == arrival + dst_delay else [0.0, 0.0])
