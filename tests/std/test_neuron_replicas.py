"""Neuron, network and recording behaviors with replicas: R = 4 replicas equal 4 separate runs.

Each replica of a network of four, driven by its own input (or given its own parameter values), must
give what a one-replica network gives with that input (or those values): the same spikes and
voltages within 1e-12 in float64. Random behaviors draw one ``(R, size)`` tensor per iteration from
the network's generator, so they are checked against those draws, made again from the seed.
"""

import numpy as np
import pytest
import torch

from conex import Behavior, ConexError, Network, NeuronGroup, ParameterError, SynapseGroup, param
from conex.behaviors import (
    AELIF,
    ELIF,
    KWTA,
    LIF,
    ActivityBaseHomeostasis,
    AdaptiveThreshold,
    Dopamine,
    EventRecorder,
    Fire,
    InherentNoise,
    NeuronAxon,
    Payoff,
    PoissonInput,
    Recorder,
    SimpleDendriteComputation,
    SimpleDendriteStructure,
    SpikeTrace,
    SpikeTrainInput,
    TimeResolution,
    VoltageBaseHomeostasis,
)

F64 = torch.float64
R = 4
SIZE, STEPS = 6, 60
RNG = np.random.default_rng(21)


class Drive(Behavior):
    """Stand-in: in iteration t the group's ``I`` is row t-1 of ``currents`` ((T, size) shared, or (T, R, size))."""

    supports_replicas = True
    currents: object = param(positional=True)

    def forward(self, neurons):
        neurons.I.copy_(self.currents[neurons.network.iteration - 1])


class Membrane(Behavior):
    """Stand-in: a group whose ``v`` starts at zero and only noise moves."""

    supports_replicas = True

    def initialize(self, neurons):
        neurons.v = neurons.vector(0)


class Plain(Behavior):
    """A behavior that does not say it supports replicas."""


def currents(replicas=R, steps=STEPS, size=SIZE, mean=14.0):
    return torch.from_numpy(RNG.normal(mean, 6.0, (steps, replicas, size)))


def run(behaviors, *, replicas=1, steps=STEPS, size=SIZE, watch=("v", "spikes"), seed=0, net_behavior=None):
    """Run one group for ``steps`` iterations; the history of each watched variable, ``(steps, *shape)``."""
    net = Network(dtype=F64, seed=seed, replicas=replicas, behavior=net_behavior)
    group = NeuronGroup(size, net, tag="exc", behavior=behaviors)
    net.initialize()
    history = {name: [] for name in watch}
    for _ in range(steps):
        net.simulate_iteration()
        for name in watch:
            history[name].append(torch.as_tensor(getattr(group, name)).clone())
    return net, group, {name: torch.stack(rows) for name, rows in history.items()}


def assert_each_replica_is_a_single_run(make, *, watch=("v", "spikes"), steps=STEPS, size=SIZE):
    """``make(r)`` gives the behaviors of replica r's single run, ``make(None)`` those of the R-replica run."""
    _, group, together = run(make(None), replicas=R, steps=steps, size=size, watch=watch)
    assert group.spikes.shape == (R, group.size)
    for r in range(R):
        _, _, alone = run(make(r), steps=steps, size=size, watch=watch)
        for name in watch:
            expected, got = alone[name], together[name][:, r]
            assert got.shape == expected.shape, name
            if expected.dtype == torch.bool:
                assert torch.equal(got, expected), f"replica {r}: {name}"
            else:
                torch.testing.assert_close(got, expected, rtol=0, atol=1e-12, msg=f"replica {r}: {name}")
    return together


def pick(values, r):
    """The per-replica list ``values`` for the R-replica run (r is None), or replica r's value."""
    return values if r is None else values[r]


LIF_PARAMS = {"R": 1.5, "tau": 8.0, "threshold": -50.0, "v_reset": -72.0, "v_rest": -65.0}


# -- dynamics and firing --------------------------------------------------------------------------


def test_lif_and_fire_replicas_driven_by_their_own_currents_equal_single_runs():
    drive = currents()
    together = assert_each_replica_is_a_single_run(
        lambda r: {250: Drive(drive if r is None else drive[:, r]), 260: LIF(**LIF_PARAMS), 340: Fire()}
    )
    assert together["spikes"].sum() > 20
    assert not torch.equal(together["spikes"][:, 0], together["spikes"][:, 1])  # the replicas did differ


def test_per_replica_lif_parameters_equal_single_runs_with_each_value():
    drive = currents(replicas=1)[:, 0]  # one current for every replica: only the parameters differ
    values = {
        "tau": [5.0, 8.0, 13.0, 20.0],
        "R": [1.0, 1.5, 2.0, 0.5],
        "threshold": [-52.0, -50.0, -54.0, -51.0],
        "v_reset": [-72.0, -70.0, -68.0, -75.0],
        "v_rest": [-65.0, -66.0, -64.0, -65.5],
    }
    together = assert_each_replica_is_a_single_run(
        lambda r: {250: Drive(drive), 260: LIF(**{k: pick(v, r) for k, v in values.items()}), 340: Fire()}
    )
    counts = together["spikes"].sum((0, 2))
    assert len(set(counts.tolist())) > 1  # the values were really used


def test_exponential_models_with_per_replica_values_equal_single_runs():
    drive = currents(mean=25.0)
    for model, values in (
        (ELIF, {"tau": [5.0, 8.0, 13.0, 20.0], "delta": [1.0, 2.0, 3.0, 0.5]}),
        (
            AELIF,
            {"theta_rh": [-52.0, -50.0, -54.0, -51.0], "alpha": [0.0, 0.5, 1.0, 2.0], "beta": [0.0, 0.1, 0.3, 1.0]},
        ),
    ):
        together = assert_each_replica_is_a_single_run(
            lambda r, model=model, values=values: {
                250: Drive(drive if r is None else drive[:, r]),
                260: model(threshold=-40.0, **{k: pick(v, r) for k, v in values.items()}),
                301: VoltageBaseHomeostasis(max_ta=-30.0, min_ta=-66.0, eta_ip=0.01),
                340: Fire(),
            },
            watch=("v", "spikes", "exhaustion", *(("omega",) if model is AELIF else ())),
        )
        assert together["spikes"].any(), model.__name__


def test_kwta_keeps_k_winners_within_each_replica():
    drive = currents(mean=30.0)
    for dimension, shape in ((None, SIZE), (0, (3, 1, 2))):
        together = assert_each_replica_is_a_single_run(
            lambda r, dimension=dimension: {
                250: Drive(drive if r is None else drive[:, r]),
                260: LIF(**LIF_PARAMS),
                300: KWTA(2, dimension=dimension),
                340: Fire(),
            },
            size=shape,
        )
        winners = together["spikes"].sum(2)  # per step and replica
        assert winners.max() == (2 if dimension is None else 4)  # k (per position), never more


# -- homeostasis, traces, noise ------------------------------------------------------------------


def test_adaptive_threshold_with_per_replica_values_equals_single_runs():
    drive = currents(mean=20.0)
    theta_plus, tau_theta = [0.0, 0.5, 1.0, 2.0], [50.0, 100.0, 200.0, 400.0]
    together = assert_each_replica_is_a_single_run(
        lambda r: {
            250: Drive(drive if r is None else drive[:, r]),
            260: LIF(**LIF_PARAMS),
            340: Fire(),
            370: AdaptiveThreshold(theta_plus=pick(theta_plus, r), tau_theta=pick(tau_theta, r)),
        },
        watch=("v", "spikes", "theta", "threshold"),
    )
    assert together["theta"][-1, 0].abs().max() == 0  # theta_plus 0: no adaptation
    assert together["theta"][-1, 3].min() > 0


def test_activity_homeostasis_with_per_replica_values_equals_single_runs():
    drive = currents(mean=20.0)
    rates, updating, decay = [1.0, 2.0, 3.0, 0.5], [0.1, 0.2, 0.05, 0.3], [1.0, 0.9, 0.8, 0.5]
    together = assert_each_replica_is_a_single_run(
        lambda r: {
            250: Drive(drive if r is None else drive[:, r]),
            260: LIF(**LIF_PARAMS),
            340: Fire(),
            370: ActivityBaseHomeostasis(pick(rates, r), 10, pick(updating, r), decay_rate=pick(decay, r)),
        },
        watch=("v", "spikes", "threshold"),
    )
    assert (together["threshold"][-1] != LIF_PARAMS["threshold"]).any()


def spike_trains(replicas=R, steps=STEPS, size=SIZE, p=0.3, seed=4):
    return torch.rand((steps, replicas, size), generator=torch.Generator().manual_seed(seed)) < p


def test_spike_trace_with_per_replica_values_equals_single_runs():
    train = spike_trains()
    tau_s, scale = [2.0, 5.0, 10.0, 20.0], [1.0, 0.5, 2.0, 1.0]
    assert_each_replica_is_a_single_run(
        lambda r: {
            280: SpikeTrainInput(train if r is None else train[:, r]),
            360: SpikeTrace(pick(tau_s, r), spike_scale=pick(scale, r)),
        },
        watch=("spikes", "trace"),
    )


def noise_draws(seed, steps, shape):
    generator = torch.Generator().manual_seed(seed)
    return torch.stack([torch.empty(shape, dtype=F64).uniform_(0, 1, generator=generator) for _ in range(steps)])


def test_noise_draws_one_tensor_of_all_replicas_per_step_with_per_replica_scales():
    scale, offset = [1.0, 2.0, 0.5, 3.0], [0.0, 0.1, -0.2, 0.3]
    behaviors = {1: Membrane(), 250: InherentNoise(scale=scale, offset=offset)}
    _, _, history = run(behaviors, replicas=R, steps=5, watch=("v",), seed=9)
    draws = noise_draws(9, 5, (R, SIZE))
    expected = draws * torch.tensor(scale, dtype=F64).view(R, 1) + torch.tensor(offset, dtype=F64).view(R, 1)
    torch.testing.assert_close(history["v"], expected.cumsum(0), rtol=0, atol=1e-12)


# -- inputs ----------------------------------------------------------------------------------------


def test_a_shared_spike_train_is_replayed_in_every_replica_and_one_per_replica_in_its_own():
    shared = spike_trains(replicas=1)[:, 0]
    _, group, history = run({280: SpikeTrainInput(shared, loop=False)}, replicas=R, steps=STEPS + 2, watch=("spikes",))
    assert group.spikes.shape == (R, SIZE)
    for r in range(R):
        assert torch.equal(history["spikes"][:STEPS, r], shared)
    assert not history["spikes"][STEPS:].any()  # silent after the train without loop
    own = spike_trains()
    _, _, history = run({280: SpikeTrainInput(own)}, replicas=R, steps=2 * STEPS, watch=("spikes",))
    assert torch.equal(history["spikes"], torch.cat([own, own]))


def test_a_spike_train_of_another_replica_count_is_refused():
    with pytest.raises(ParameterError) as info:
        run({280: SpikeTrainInput(spike_trains(replicas=3))}, replicas=R)
    assert str(info.value) == (
        f"SpikeTrainInput.spikes on neuron group exc: expected a (T, {SIZE}) tensor or (T, {R}, {SIZE}) "
        f"(one train per replica), got ({STEPS}, 3, {SIZE})"
    )


def test_poisson_input_with_per_replica_intensity_and_scale_thresholds_its_own_draws():
    intensity = [[10.0], [40.0], [100.0], [250.0]]  # one intensity per replica, (R, 1)
    scale = [1.0, 2.0, 1.5, 1.0]
    steps = 400
    _, group, history = run(
        {280: PoissonInput(intensity, scale=scale)}, replicas=R, steps=steps, watch=("spikes",), seed=3
    )
    assert group.intensity.shape == (R, SIZE)
    probability = torch.tensor(intensity, dtype=F64) * torch.tensor(scale, dtype=F64).view(R, 1) / 1000.0
    expected = noise_draws(3, steps, (R, SIZE)) < probability
    assert torch.equal(history["spikes"], expected)
    rates = history["spikes"].double().mean((0, 2))
    bound = 4 * torch.sqrt(probability[:, 0] * (1 - probability[:, 0]) / (steps * SIZE))
    assert ((rates - probability[:, 0]).abs() < bound).all()


def test_poisson_input_takes_one_stimulus_per_replica_and_checks_each():
    stimuli = torch.arange(R * SIZE, dtype=F64).view(R, SIZE)
    _, group, _ = run({280: PoissonInput(stimuli)}, replicas=R, steps=1, watch=())
    assert torch.equal(group.intensity, stimuli)
    group.intensity = torch.ones(SIZE)  # one stimulus for every replica
    group.network.simulate_iteration()
    assert torch.equal(group.intensity, torch.ones(R, SIZE, dtype=F64))
    group.intensity = torch.ones(R, SIZE) * 2000.0
    with pytest.raises(ParameterError, match=r"rates <= 1000\.0 Hz"):
        group.network.simulate_iteration()


# -- axon and dendrites ------------------------------------------------------------------------------


def test_the_axon_serves_every_replicas_delayed_spikes_and_traces():
    train = spike_trains()
    delay = torch.tensor([0, 1, 2, 3, 1, 0])

    def served(r):
        replicas = R if r is None else 1
        net = Network(dtype=F64, replicas=replicas)
        behaviors = {
            280: SpikeTrainInput(train if r is None else train[:, r]),
            360: SpikeTrace(3.0),
            380: NeuronAxon(max_delay=4),
        }
        group = NeuronGroup(SIZE, net, tag="inp", behavior=behaviors)
        net.initialize()
        spikes, traces = [], []
        for _ in range(STEPS):
            net.simulate_iteration()
            spikes.append(group.axon.get_spike(group, delay))
            traces.append(group.axon.get_spike_trace(group, delay))
        return torch.stack(spikes), torch.stack(traces)

    spikes, traces = served(None)
    assert spikes.shape == (STEPS, R, SIZE)
    for r in range(R):
        single_spikes, single_traces = served(r)
        assert torch.equal(spikes[:, r], single_spikes)
        torch.testing.assert_close(traces[:, r], single_traces, rtol=0, atol=1e-12)
    for i, d in enumerate(delay.tolist()):  # neuron i's spike of d iterations ago, in every replica
        assert torch.equal(spikes[d:, :, i], train[: STEPS - d, :, i])


def test_with_one_row_of_history_the_axon_serves_the_same_tensor_of_all_replicas():
    net = Network(replicas=R)
    group = NeuronGroup(SIZE, net, behavior={280: SpikeTrainInput(spike_trains()), 380: NeuronAxon()})
    net.initialize()
    delay = torch.zeros(SIZE, dtype=torch.long)
    first = group.axon.get_spike(group, delay)
    for _ in range(3):
        net.simulate_iteration()
        assert group.axon.get_spike(group, delay) is first
        assert torch.equal(first, group.spikes)


class SynapseStandIn(Behavior):
    """Stand-in synapse: per-neuron ``dst_delay`` and, in iteration t, the current ``I`` row t-1 of ``rows``."""

    supports_replicas = True
    rows: object = param(positional=True)
    delays: object = param(positional=True)

    def initialize(self, synapse):
        synapse.dst_delay = torch.as_tensor(self.delays)
        synapse.src_delay = torch.zeros(synapse.src.size, dtype=torch.long)
        synapse.I = torch.zeros(self.rows.shape[1:], dtype=F64)

    def forward(self, synapse):
        synapse.I = self.rows[synapse.network.iteration - 1].clone()


AFFERENTS = [  # (tag, dst delays, seed of the currents)
    ("Proximal", [0, 1, 2, 0, 1, 2], 1),
    ("Proximal", [2, 2, 0, 1, 0, 0], 2),
    ("Distal", [1, 0, 1, 0, 1, 1], 3),
    ("Apical", [0, 1, 1, 0, 2, 1], 4),
]


def dendrite_run(r, steps=STEPS):
    replicas = R if r is None else 1
    net = Network(dtype=F64, replicas=replicas)
    inp = NeuronGroup(2, net, tag="inp")
    behaviors = {
        220: SimpleDendriteStructure(Proximal_max_delay=3, Distal_max_delay=2, Apical_max_delay=3),
        240: SimpleDendriteComputation(
            I_tau=pick([2.0, 5.0, 10.0, 1.0], r),
            apical_provocativeness=pick([0.5, 0.9, 0.2, 0.0], r),
            distal_provocativeness=pick([0.3, 0.1, 0.6, 0.8], r),
        ),
        260: LIF(tau=pick([10.0, 20.0, 5.0, 8.0], r), threshold=-50.0),
        340: Fire(),
    }
    out = NeuronGroup(SIZE, net, tag="out", behavior=behaviors)
    for tag, delays, seed in AFFERENTS:
        rows = torch.from_numpy(np.random.default_rng(seed).normal(8.0, 4.0, (steps, R, SIZE)))
        SynapseGroup(net, inp, out, tag=tag, behavior={180: SynapseStandIn(rows if r is None else rows[:, r], delays)})
    net.initialize()
    names = ("I_proximal", "I_distal", "I_apical", "I", "v", "spikes")
    history = {name: [] for name in names}
    for _ in range(steps):
        net.simulate_iteration()
        for name in names:
            history[name].append(getattr(out, name).clone())
    return {name: torch.stack(rows) for name, rows in history.items()}


def test_dendrites_of_replicas_equal_single_runs_with_their_currents_and_values():
    together = dendrite_run(None)
    assert together["I"].shape == (STEPS, R, SIZE)
    for r in range(R):
        alone = dendrite_run(r)
        for name, expected in alone.items():
            if expected.dtype == torch.bool:
                assert torch.equal(together[name][:, r], expected), name
            else:
                torch.testing.assert_close(together[name][:, r], expected, rtol=0, atol=1e-12, msg=name)
    assert together["spikes"].any()


# -- network behaviors -----------------------------------------------------------------------------


def reward(network):
    """A different reward per replica: replica r gets (r + 1) * sin(iteration)."""
    scale = torch.arange(1, network.replicas + 1, dtype=F64) if network.replicas > 1 else 1.0
    return scale * float(np.sin(network.iteration))


def dopamine_run(r, steps=30):
    replicas = R if r is None else 1
    initial, tau = [0.0, 1.0, -1.0, 2.0], [2.0, 5.0, 10.0, 3.0]
    function = reward if r is None else (lambda network, r=r: (r + 1) * float(np.sin(network.iteration)))
    payoff = Payoff(initial_payoff=pick(initial, r), function=function)
    recorder = Recorder(("dopamine_concentration", "payoff"))
    net = Network(
        dtype=F64,
        replicas=replicas,
        behavior={1: TimeResolution(dt=0.5), 100: payoff, 120: Dopamine(tau_dopamine=pick(tau, r)), 1000: recorder},
    )
    NeuronGroup(2, net)
    net.initialize()
    net.simulate_iterations(steps)
    assert net.dt == 0.5
    return net, recorder


def test_dopamine_and_payoff_per_replica_equal_single_runs():
    net, recorder = dopamine_run(None)
    assert net.dopamine_concentration.shape == (R,)
    concentration = recorder.data("dopamine_concentration")
    assert concentration.shape == (30, R)
    for r in range(R):
        single, single_recorder = dopamine_run(r)
        assert isinstance(single.dopamine_concentration, float)
        torch.testing.assert_close(
            concentration[:, r], single_recorder.data("dopamine_concentration"), rtol=0, atol=1e-12
        )
        torch.testing.assert_close(recorder.data("payoff")[:, r], single_recorder.data("payoff"), rtol=0, atol=1e-12)
    net.reset()
    assert torch.equal(net.dopamine_concentration, torch.tensor([0.0, 1.0, -1.0, 2.0], dtype=F64))


def test_a_payoff_function_with_another_count_of_values_is_refused():
    net = Network(replicas=R, behavior=[Payoff(function=lambda network: [1.0, 2.0])])
    net.initialize()
    with pytest.raises(ParameterError, match=r"^Payoff.function on network: expected a number or 4 values"):
        net.simulate_iteration()


# -- recording ---------------------------------------------------------------------------------------


def recorded_run(r, drive):
    replicas = R if r is None else 1
    behaviors = {
        250: Drive(drive if r is None else drive[:, r]),
        260: LIF(**LIF_PARAMS),
        340: Fire(),
        1000: Recorder(("v", "spikes"), every=2, max_steps=20),
        1001: EventRecorder(max_events=500),
    }
    net = Network(dtype=F64, replicas=replicas)
    NeuronGroup(SIZE, net, tag="exc", behavior=behaviors)
    net.initialize()
    net.simulate_iterations(STEPS)
    return behaviors[1000], behaviors[1001]


def test_recorders_keep_per_replica_samples_and_events():
    drive = currents()
    recorder, events = recorded_run(None, drive)
    assert recorder.data("v").shape == (20, R, SIZE)
    assert events.data("spikes").shape[1] == 3
    for r in range(R):
        single, single_events = recorded_run(r, drive)
        torch.testing.assert_close(recorder.data("v")[:, r], single.data("v"), rtol=0, atol=1e-12)
        assert torch.equal(recorder.data("spikes")[:, r], single.data("spikes"))
        mine = events.data("spikes")
        mine = mine[mine[:, 1] == r][:, [0, 2]]
        assert torch.equal(mine, single_events.data("spikes"))
    assert set(recorder.recorded()) == {"v", "spikes"}


def test_an_event_recorder_refuses_a_variable_without_the_replica_axis():
    class Shared(Behavior):
        supports_replicas = True

        def initialize(self, neurons):
            neurons.mask = torch.zeros(SIZE, dtype=torch.bool)

    net = Network(replicas=R)
    NeuronGroup(SIZE, net, tag="exc", behavior={1: Shared(), 1000: EventRecorder(("mask",))})
    with pytest.raises(ConexError, match=r"cannot record events of 'mask' per replica: its shape \(6,\)"):
        net.initialize()


# -- seeds, refusals, parameter values ---------------------------------------------------------------


def random_network(seed, replicas=R):
    behaviors = {
        250: InherentNoise(mode="normal(0, 2)"),
        260: LIF(init_v="uniform(-70, -50)"),
        340: Fire(),
        380: NeuronAxon(max_delay=3),
    }
    net = Network(seed=seed, replicas=replicas)
    inp = NeuronGroup(SIZE, net, tag="inp", behavior=[PoissonInput(200.0), NeuronAxon()])
    exc = NeuronGroup(SIZE, net, tag="exc", behavior=behaviors)
    net.initialize()
    history = []
    for _ in range(40):
        net.simulate_iteration()
        history.append(torch.cat([inp.spikes, exc.spikes], -1).clone())
    return torch.stack(history), exc.v.clone()


def test_the_same_seed_and_replica_count_give_a_bit_identical_run():
    spikes, v = random_network(5)
    again_spikes, again_v = random_network(5)
    assert torch.equal(spikes, again_spikes)
    assert torch.equal(v, again_v)
    other_spikes, _ = random_network(6)
    assert not torch.equal(spikes, other_spikes)
    assert not torch.equal(spikes[:, 0], spikes[:, 1])  # each replica draws its own numbers


def test_a_behavior_that_does_not_support_replicas_is_refused_at_initialize():
    net = Network(replicas=2)
    NeuronGroup(SIZE, net, tag="exc", behavior={260: LIF(), 300: Plain(), 340: Fire()})
    with pytest.raises(ConexError) as info:
        net.initialize()
    assert str(info.value) == "Plain on neuron group exc: does not support replicas, and network has 2"


def test_a_wrong_count_of_per_replica_values_is_refused_naming_behavior_parameter_and_count():
    net = Network(replicas=R)
    NeuronGroup(SIZE, net, tag="exc", behavior=[LIF(tau=[10.0, 20.0, 30.0]), Fire()])
    with pytest.raises(ParameterError) as info:
        net.initialize()
    assert str(info.value) == (
        "LIF.tau on neuron group exc: expected one value or 4 (one per replica of network), got [10.0, 20.0, 30.0]"
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: LIF(tau=[10.0, -1.0]), "LIF.tau: expected a float > 0, got -1.0"),
        (
            lambda: LIF(threshold=[-55.0, -75.0], v_reset=-70.0),
            "LIF.threshold: expected a float > v_reset (-70.0) in replica 1, got -75.0",
        ),
        (lambda: SpikeTrace([2.0, 0.0]), "SpikeTrace.tau_s: expected a float > 0, got 0.0"),
        (
            lambda: ActivityBaseHomeostasis([1.0, 12.0], 10, 0.1),
            "ActivityBaseHomeostasis.activity_rate: expected a float < window_size (10), got 12.0",
        ),
        (lambda: PoissonInput(scale=[1.0, -2.0]), "PoissonInput.scale: expected a float >= 0, got -2.0"),
    ],
)
def test_each_per_replica_value_is_checked_at_construction(make, message):
    with pytest.raises(ParameterError) as info:
        make()
    assert str(info.value) == message


def test_a_per_replica_dendrite_time_constant_below_dt_is_refused_at_initialize():
    net = Network(replicas=2, dt=1.0)
    NeuronGroup(SIZE, net, tag="exc", behavior=[SimpleDendriteStructure(), SimpleDendriteComputation(I_tau=[2.0, 0.5])])
    with pytest.raises(ParameterError, match=r"^SimpleDendriteComputation.I_tau on neuron group exc: expected >= dt"):
        net.initialize()


def test_one_value_in_a_list_with_one_replica_is_the_plain_number():
    drive = currents(replicas=1)[:, 0]
    _, group, listed = run({250: Drive(drive), 260: LIF(tau=[8.0], threshold=[-50.0]), 340: Fire()})
    _, _, plain = run({250: Drive(drive), 260: LIF(tau=8.0, threshold=-50.0), 340: Fire()})
    assert isinstance(group.tau, float)
    assert group.tau == 8.0
    assert torch.equal(listed["v"], plain["v"])
    assert torch.equal(listed["spikes"], plain["spikes"])


def test_per_neuron_tensors_are_shared_by_the_replicas_or_given_per_replica():
    per_neuron = torch.linspace(-70.0, -60.0, SIZE, dtype=F64)
    _, group, _ = run(
        {260: LIF(init_v=per_neuron), 370: AdaptiveThreshold(init_theta=per_neuron + 70)}, replicas=R, steps=0, watch=()
    )
    assert torch.equal(group.v, per_neuron.expand(R, SIZE))
    assert torch.equal(group.theta, (per_neuron + 70).expand(R, SIZE))
    group.v[0, 0] = 0.0  # a copy per replica, not a broadcast view
    assert group.v[1, 0] == -70.0
    per_replica = torch.arange(R * SIZE, dtype=F64).view(R, 1, 1, SIZE) - 100.0
    _, group, _ = run({260: LIF(init_v=per_replica)}, replicas=R, steps=0, watch=())
    assert torch.equal(group.v, per_replica.view(R, SIZE))
    _, group, _ = run({260: LIF(init_v=torch.arange(float(R)))}, replicas=R, size=R, steps=0, watch=())
    assert torch.equal(group.v, torch.arange(float(R), dtype=F64).expand(R, R))  # 1-D: always per neuron
    with pytest.raises(ParameterError) as info:
        run({260: LIF(init_v=torch.zeros(3, SIZE))}, replicas=R, steps=0, watch=())
    assert str(info.value) == (
        f"LIF.init_v on neuron group exc: expected a number, a fill mode or {SIZE} values "
        f"(or ({R}, {SIZE}) / ({R}, 1) per replica), got 'Tensor of shape (3, {SIZE})'"
    )


def test_reset_puts_every_replica_back():
    drive = currents()
    behaviors = {250: Drive(drive), 260: LIF(init_v="uniform(-70, -60)"), 340: Fire(), 360: SpikeTrace(5.0)}
    net, group, _ = run(behaviors, replicas=R, steps=10, watch=())
    initial = behaviors[260]._initial_v
    net.reset()
    assert group.v.shape == (R, SIZE)
    assert torch.equal(group.v, initial)
    assert not group.trace.any()


def test_the_standard_neuron_network_and_recording_behaviors_support_replicas():
    for cls in (
        LIF, Fire, KWTA, AdaptiveThreshold, ActivityBaseHomeostasis, InherentNoise, SpikeTrace, NeuronAxon,
        SimpleDendriteStructure, SimpleDendriteComputation, PoissonInput, SpikeTrainInput, TimeResolution,
        Payoff, Dopamine, Recorder, EventRecorder, ELIF, AELIF, VoltageBaseHomeostasis,
    ):  # fmt: skip
        assert cls.supports_replicas, cls.__name__
    per_replica = {p.name for p in LIF.describe_parameters() if p.per_replica}
    assert per_replica == {"R", "threshold", "tau", "v_reset", "v_rest"}
