"""Neuron behaviors against independent oracles: closed forms and NumPy loops written here."""

import math

import numpy as np
import pytest
import torch

from conex import Behavior, ConexError, Network, NeuronGroup, ParameterError, ParameterTypeError, param
from conex.behaviors import (
    KWTA,
    LIF,
    ActivityBaseHomeostasis,
    AdaptiveThreshold,
    Fire,
    InherentNoise,
    PoissonInput,
    SpikeTrace,
    SpikeTrainInput,
)

F64 = torch.float64


class ClampVoltage(Behavior):
    """Test helper: in iteration t sets ``v`` to row t-1 of ``rows`` (placed between LIF and KWTA)."""

    rows: object = param(positional=True)

    def forward(self, neurons):
        neurons.v.copy_(torch.as_tensor(self.rows[neurons.network.iteration - 1]))


def lif_group(size=5, *, dt=1.0, dtype=F64, seed=0, extra=None, **lif):
    behavior = {260: LIF(**lif), 340: Fire(), **(extra or {})}
    net = Network(dt=dt, dtype=dtype, seed=seed)
    group = NeuronGroup(size, net, behavior=behavior, tag="exc")
    net.initialize()
    return net, group


def numpy_lif_step(v, current, *, r, tau, dt, v_rest):
    return v + (v_rest - v + r * current) * dt / tau


# -- LIF ----------------------------------------------------------------------------------------


def test_lif_voltage_follows_the_euler_closed_form_for_constant_input():
    R, tau, dt, v_rest, v0 = 2.0, 10.0, 0.5, -65.0, -70.0
    current = np.array([0.0, 1.0, 2.5, -3.0, 4.0])
    net, group = lif_group(R=R, tau=tau, dt=dt, v_rest=v_rest, threshold=100.0, v_reset=-80.0, init_v=v0)
    group.I = torch.tensor(current, dtype=F64)
    v_inf = v_rest + R * current
    for n in range(1, 41):
        net.simulate_iteration()
        discrete = v_inf + (v0 - v_inf) * (1 - dt / tau) ** n  # exact solution of the Euler recurrence
        np.testing.assert_allclose(group.v.numpy(), discrete, rtol=0, atol=1e-10)
        continuous = v_inf + (v0 - v_inf) * math.exp(-n * dt / tau)
        np.testing.assert_allclose(group.v.numpy(), continuous, rtol=0, atol=0.25)
    assert not group.spikes.any()


def test_lif_and_fire_match_a_numpy_euler_loop_for_random_input():
    params = {"R": 1.5, "tau": 8.0, "threshold": -50.0, "v_reset": -72.0, "v_rest": -65.0}
    rng = np.random.default_rng(1)
    size, steps, dt = 7, 120, 0.7
    v = rng.uniform(-70, -55, size)
    net, group = lif_group(size, dt=dt, init_v=torch.tensor(v), **params)
    total_spikes = 0
    for _ in range(steps):
        current = rng.normal(14.0, 6.0, size)
        group.I = torch.tensor(current)
        net.simulate_iteration()
        v = numpy_lif_step(v, current, r=params["R"], tau=params["tau"], dt=dt, v_rest=params["v_rest"])
        spikes = v >= params["threshold"]
        v[spikes] = params["v_reset"]
        total_spikes += spikes.sum()
        np.testing.assert_array_equal(group.spikes.numpy(), spikes)
        np.testing.assert_allclose(group.v.numpy(), v, rtol=0, atol=1e-9)
    assert 10 < total_spikes < size * steps  # the loop exercised both firing and not firing


def test_lif_fires_periodically_at_the_analytic_times_and_resets():
    R, tau, dt, v_rest, v_reset, threshold, current = 1.0, 10.0, 1.0, -65.0, -70.0, -54.0, 13.0
    v_inf = v_rest + R * current
    decay = 1 - dt / tau
    exact = math.log((threshold - v_inf) / (v_reset - v_inf)) / math.log(decay)
    assert abs(exact - round(exact)) > 1e-3  # the crossing is not at a rounding boundary
    period = math.ceil(exact)
    net, group = lif_group(
        1, R=R, tau=tau, dt=dt, v_rest=v_rest, v_reset=v_reset, threshold=threshold, init_v=v_reset, dtype=F64
    )
    group.I = torch.full((1,), current, dtype=F64)
    fired = []
    for iteration in range(1, 5 * period + 1):
        net.simulate_iteration()
        if group.spikes.item():
            fired.append(iteration)
            assert group.v.item() == v_reset
    assert fired == [period * k for k in range(1, 6)]


def test_lif_float32_default_and_initial_state():
    net = Network(seed=3)
    group = NeuronGroup((2, 1, 3), net, behavior=[LIF(init_v="uniform(-70, -60)"), Fire()], tag="exc")
    net.initialize()
    expected_v = torch.empty(6).uniform_(-70, -60, generator=torch.Generator().manual_seed(3))
    assert group.v.dtype == torch.float32
    assert torch.equal(group.v, expected_v)
    assert torch.equal(group.threshold, torch.full((6,), -55.0))
    assert torch.equal(group.I, torch.zeros(6))
    assert group.spikes.dtype == torch.bool
    assert not group.spikes.any()
    assert (group.R, group.tau, group.v_rest, group.v_reset) == (1.0, 10.0, -65.0, -70.0)


def test_lif_defaults_v_to_v_rest_keeps_an_existing_current_and_takes_initial_spikes():
    class MakeCurrent(Behavior):
        def initialize(self, neurons):
            neurons.I = neurons.vector(2.0)

    net = Network(seed=0)
    init_s = torch.tensor([True, False, True])
    group = NeuronGroup(3, net, behavior={240: MakeCurrent(), 260: LIF(v_rest=-60.0, init_s=init_s)}, tag="exc")
    net.initialize()
    assert torch.equal(group.v, torch.full((3,), -60.0))
    assert torch.equal(group.I, torch.full((3,), 2.0))
    assert torch.equal(group.spikes, init_s)


def test_lif_reads_its_state_from_the_group_each_step():
    net, group = lif_group(2, tau=10.0, R=1.0, v_rest=0.0, v_reset=-1.0, threshold=100.0, init_v=0.0)
    group.tau = 4.0
    group.I = torch.tensor([1.0, 2.0], dtype=F64)
    net.simulate_iteration()
    np.testing.assert_allclose(group.v.numpy(), [0.25, 0.5])


# -- KWTA ---------------------------------------------------------------------------------------


def kwta_run(rows, k, shape, thresholds=None, dimension=None):
    """Clamp v to each row, run KWTA + Fire; return spikes and v after each step."""
    size = int(np.prod(shape))
    extra = {270: ClampVoltage(torch.tensor(rows)), 300: KWTA(k, dimension=dimension)}
    net, group = lif_group(
        shape if len(shape) == 3 else size, threshold=-50.0, v_reset=-70.0, extra=extra, init_v=-65.0
    )
    if thresholds is not None:
        group.threshold.copy_(torch.tensor(thresholds))
    out = []
    for _ in rows:
        net.simulate_iteration()
        out.append((group.spikes.numpy().copy(), group.v.numpy().copy()))
    return out


def test_kwta_lets_exactly_the_k_largest_eligible_fire():
    rng = np.random.default_rng(4)
    size, k = 20, 3
    thresholds = rng.uniform(-52, -48, size)
    rows = rng.uniform(-60, -40, (30, size))
    rows[0, :] = -60.0  # a step with no eligible neuron
    rows[1, :2] = -45.0  # a step with fewer than k eligible
    for row, (spikes, v) in zip(rows, kwta_run(rows, k, (size,), thresholds), strict=True):
        eligible = row >= thresholds
        excess = np.where(eligible, row - thresholds, -np.inf)
        winners = np.zeros(size, bool)
        winners[np.argsort(-excess, kind="stable")[:k]] = True
        expected = eligible & winners
        np.testing.assert_array_equal(spikes, expected)
        assert spikes.sum() == min(k, eligible.sum())
        np.testing.assert_allclose(v, np.where(eligible, -70.0, row))  # winners fire, losers are reset


def test_kwta_breaks_ties_towards_the_lower_index():
    rows = np.full((1, 6), -45.0)
    ((spikes, _),) = kwta_run(rows, 2, (6,))
    np.testing.assert_array_equal(spikes, [True, True, False, False, False, False])


def test_kwta_along_a_dimension_competes_per_position():
    rng = np.random.default_rng(5)
    shape, k = (4, 3, 2), 2
    rows = rng.uniform(-55, -40, (10, int(np.prod(shape))))
    for dimension in (0, 1, 2):
        for row, (spikes, _) in zip(rows, kwta_run(rows, k, shape, dimension=dimension), strict=True):
            cube = row.reshape(shape)
            eligible = cube >= -50.0
            rank = np.argsort(
                np.argsort(-np.where(eligible, cube, -np.inf), axis=dimension, kind="stable"), axis=dimension
            )
            expected = eligible & (rank < k)
            np.testing.assert_array_equal(spikes.reshape(shape), expected)
            assert (spikes.reshape(shape).sum(axis=dimension) <= k).all()


# -- homeostasis ----------------------------------------------------------------------------------


LIF_PARAMS = {"R": 1.0, "tau": 5.0, "threshold": -55.0, "v_reset": -70.0, "v_rest": -65.0}


def run_against_oracle(behaviors, update, state, *, steps=150, dt=0.5, seed=7):
    """Run LIF + Fire + ``behaviors`` on random input next to a NumPy LIF loop.

    ``state`` holds the oracle's ``threshold`` (and whatever ``update`` keeps);
    ``update(state, spikes, iteration)`` moves it as the behaviors should. Spikes, voltage and
    threshold are compared every step.
    """
    size = len(state["threshold"])
    rng = np.random.default_rng(seed)
    net, group = lif_group(size, dt=dt, extra=behaviors, init_v=-65.0, **LIF_PARAMS)
    np.testing.assert_allclose(group.threshold.numpy(), state["threshold"])
    v = np.full(size, -65.0)
    spike_count = 0
    for iteration in range(1, steps + 1):
        current = rng.uniform(0.0, 30.0, size)
        group.I = torch.tensor(current)
        net.simulate_iteration()
        v = numpy_lif_step(v, current, r=1.0, tau=5.0, dt=dt, v_rest=-65.0)
        spikes = v >= state["threshold"]
        v[spikes] = LIF_PARAMS["v_reset"]
        update(state, spikes, iteration)
        spike_count += spikes.sum()
        np.testing.assert_array_equal(group.spikes.numpy(), spikes)
        np.testing.assert_allclose(group.v.numpy(), v, rtol=0, atol=1e-9)
        np.testing.assert_allclose(group.threshold.numpy(), state["threshold"], rtol=0, atol=1e-9)
    assert spike_count > steps // 4  # the behaviors saw plenty of spikes
    return group


def test_adaptive_threshold_theta_follows_a_numpy_loop():
    theta_plus, tau_theta, dt = 1.5, 30.0, 0.5
    theta0 = np.linspace(0.0, 2.0, 6)
    state = {"theta": theta0.copy(), "threshold": LIF_PARAMS["threshold"] + theta0}

    def update(state, spikes, _):
        state["theta"] += -state["theta"] * dt / tau_theta + theta_plus * spikes
        state["threshold"] = LIF_PARAMS["threshold"] + state["theta"]

    behavior = AdaptiveThreshold(theta_plus=theta_plus, tau_theta=tau_theta, init_theta=torch.tensor(theta0))
    group = run_against_oracle({370: behavior}, update, state, dt=dt)
    np.testing.assert_allclose(group.theta.numpy(), state["theta"], rtol=0, atol=1e-9)
    assert state["theta"].max() > 3 * theta_plus  # adaptation built up and decayed along the way


def activity_update(activity_rate, window_size, updating_rate, decay_rate):
    """The oracle of ActivityBaseHomeostasis, written from its formula."""
    penalty = -activity_rate / (window_size - activity_rate)
    memory = {"activity": 0.0, "rate": updating_rate}

    def update(state, spikes, iteration):
        memory["activity"] = memory["activity"] + np.where(spikes, 1.0, penalty)
        if iteration % window_size == 0:
            state["threshold"] = state["threshold"] + memory["rate"] * memory["activity"]
            memory["activity"] = 0.0
            memory["rate"] *= decay_rate

    return update


def test_activity_base_homeostasis_follows_its_formula():
    update = activity_update(2.0, 7, 0.4, 0.8)
    state = {"threshold": np.full(6, LIF_PARAMS["threshold"])}
    run_against_oracle({370: ActivityBaseHomeostasis(2.0, 7, 0.4, decay_rate=0.8)}, update, state)
    assert np.ptp(state["threshold"]) > 0.1  # neurons were moved by their own activity
    assert state["threshold"].max() < LIF_PARAMS["threshold"]  # all fired less than the target here


def test_both_homeostasis_rules_add_to_the_same_threshold():
    theta_plus, tau_theta, dt = 0.5, 40.0, 0.5
    activity = activity_update(1.0, 5, 0.3, 1.0)
    state = {"theta": np.zeros(6), "threshold": np.full(6, LIF_PARAMS["threshold"])}

    def update(state, spikes, iteration):
        change = -state["theta"] * dt / tau_theta + theta_plus * spikes
        state["theta"] += change
        state["threshold"] = state["threshold"] + change
        activity(state, spikes, iteration)

    behaviors = {
        370: AdaptiveThreshold(theta_plus=theta_plus, tau_theta=tau_theta),
        371: ActivityBaseHomeostasis(1.0, 5, 0.3),
    }
    run_against_oracle(behaviors, update, state, dt=dt)


# -- traces, noise, inputs ------------------------------------------------------------------------


def test_spike_trace_adds_then_decays():
    rng = np.random.default_rng(8)
    train = rng.random((60, 9)) < 0.3
    net = Network(dt=0.5, dtype=F64)
    group = NeuronGroup(
        9, net, behavior={280: SpikeTrainInput(torch.tensor(train)), 360: SpikeTrace(4.0, spike_scale=0.7)}, tag="in"
    )
    net.initialize()
    trace = np.zeros(9)
    for spikes in train:
        net.simulate_iteration()
        trace = trace + 0.7 * spikes
        trace = trace - trace / 4.0 * 0.5
        np.testing.assert_allclose(group.trace.numpy(), trace, rtol=0, atol=1e-12)
    assert trace.max() > 1.0


class ZeroVoltage(Behavior):
    """Test helper: gives the group a zero ``v`` and resets it after every step."""

    def initialize(self, neurons):
        neurons.v = neurons.vector(0)

    def forward(self, neurons):
        neurons.v.zero_()


def noise_run(mode, scale, offset, size, seed=11, steps=1):
    net = Network(seed=seed)
    group = NeuronGroup(
        size, net, behavior={1: ZeroVoltage(), 250: InherentNoise(mode=mode, scale=scale, offset=offset)}
    )
    net.initialize()
    samples = []
    for _ in range(steps):
        net.simulate_iteration()
        samples.append(group.v.clone())
    return torch.stack(samples)


def test_inherent_noise_draws_from_the_network_generator():
    got = noise_run("normal(0, 1)", 2.0, 0.5, 50, steps=3)
    generator = torch.Generator().manual_seed(11)
    expected = torch.stack([torch.empty(50).normal_(0, 1, generator=generator) * 2.0 + 0.5 for _ in range(3)])
    torch.testing.assert_close(got, expected)


def test_inherent_noise_statistics():
    n = 20000
    normal = noise_run("normal(0, 1)", 2.0, 0.5, n)[0]
    assert abs(normal.mean().item() - 0.5) < 5 * 2.0 / math.sqrt(n)
    assert abs(normal.std().item() - 2.0) < 0.05
    uniform = noise_run("rand", 3.0, -1.0, n)[0]  # CoNeX's default mode: uniform in [0, 1)
    assert uniform.min().item() >= -1.0
    assert uniform.max().item() < 2.0
    assert abs(uniform.mean().item() - 0.5) < 5 * 3.0 / math.sqrt(12 * n)
    assert not torch.equal(noise_run("rand", 1.0, 0.0, 10, seed=1), noise_run("rand", 1.0, 0.0, 10, seed=2))


def poisson_run(intensity, steps, *, seed=5, dt=1.0, scale=1.0, size=None):
    net = Network(dt=dt, seed=seed)
    size = size or np.asarray(intensity).size
    group = NeuronGroup(size, net, behavior=[PoissonInput(intensity, scale=scale)], tag="input")
    net.initialize()
    trains = []
    for _ in range(steps):
        net.simulate_iteration()
        trains.append(group.spikes.clone())
    return group, torch.stack(trains)


def test_poisson_rates_are_within_statistical_bounds():
    rates = np.repeat([0.0, 5.0, 40.0, 120.0, 300.0], 100)  # intensity in units of scale=2 Hz
    steps, dt = 1000, 0.5
    _, train = poisson_run(torch.tensor(rates), steps, dt=dt, scale=2.0)
    counts = train.reshape(steps, 5, 100).sum(dim=(0, 2)).numpy()
    for rate, count in zip([0.0, 5.0, 40.0, 120.0, 300.0], counts, strict=True):
        p = rate * 2.0 * dt / 1000
        n = steps * 100
        assert abs(count - n * p) <= 5 * math.sqrt(n * p * (1 - p)) + 1e-9, (rate, count, n * p)
    assert counts[0] == 0


def test_poisson_is_bit_identical_for_a_seed_and_uses_the_network_generator():
    intensity = torch.linspace(0, 500, 40)
    _, first = poisson_run(intensity, 50, seed=9)
    _, again = poisson_run(intensity, 50, seed=9)
    _, other = poisson_run(intensity, 50, seed=10)
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
    generator = torch.Generator().manual_seed(9)
    expected = torch.stack([torch.empty(40).uniform_(generator=generator) < intensity / 1000 for _ in range(50)])
    assert torch.equal(first, expected)


def test_poisson_intensity_can_be_replaced_between_presentations():
    image = np.zeros((4, 5))
    image[1, 2] = 1000.0  # a rate of 1000 Hz at dt=1 fires every step
    group, train = poisson_run(0.0, 3, size=20)
    assert not train.any()
    group.intensity = image
    group.network.simulate_iterations(3)
    assert group.intensity.shape == (20,)
    assert group.spikes.nonzero().flatten().tolist() == [7]
    group.intensity = torch.zeros(20)
    group.network.simulate_iteration()
    assert not group.spikes.any()


# -- bad input ------------------------------------------------------------------------------------


FILL_MODES = (
    "a number or a fill mode: zeros, ones, random/uniform[(low, high)], normal[(mean, std)], "
    "xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal, orthogonal"
)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: LIF(tau=0), "LIF.tau: expected a float > 0, got 0.0"),
        (lambda: LIF(tau=-5.0), "LIF.tau: expected a float > 0, got -5.0"),
        (lambda: LIF(R=0), "LIF.R: expected a float > 0, got 0.0"),
        (lambda: LIF(threshold=-70.0, v_reset=-70.0), "LIF.threshold: expected a float > v_reset (-70.0), got -70.0"),
        (lambda: LIF(threshold=-80.0), "LIF.threshold: expected a float > v_reset (-70.0), got -80.0"),
        (lambda: KWTA(0), "KWTA.k: expected an int >= 1, got 0"),
        (lambda: KWTA(2, dimension=-1), "KWTA.dimension: expected an int >= 0, got -1"),
        (lambda: AdaptiveThreshold(tau_theta=0), "AdaptiveThreshold.tau_theta: expected a float > 0, got 0.0"),
        (lambda: AdaptiveThreshold(theta_plus=-1), "AdaptiveThreshold.theta_plus: expected a float >= 0, got -1.0"),
        (
            lambda: ActivityBaseHomeostasis(5, 5, 0.1),
            "ActivityBaseHomeostasis.activity_rate: expected a float < window_size (5), got 5.0",
        ),
        (
            lambda: ActivityBaseHomeostasis(1, 0, 0.1),
            "ActivityBaseHomeostasis.window_size: expected an int >= 1, got 0",
        ),
        (
            lambda: ActivityBaseHomeostasis(-1, 5, 0.1),
            "ActivityBaseHomeostasis.activity_rate: expected a float >= 0, got -1.0",
        ),
        (lambda: SpikeTrace(0), "SpikeTrace.tau_s: expected a float > 0, got 0.0"),
        (lambda: SpikeTrace(-2.0), "SpikeTrace.tau_s: expected a float > 0, got -2.0"),
        (lambda: InherentNoise(mode="gauss"), f"InherentNoise.mode: expected {FILL_MODES}, got 'gauss'"),
        (
            lambda: InherentNoise(mode="normal(1)"),
            "InherentNoise.mode: expected 0 or 2 arguments for 'normal', got 'normal(1)'",
        ),
        (lambda: PoissonInput(scale=-1.0), "PoissonInput.scale: expected a float >= 0, got -1.0"),
    ],
)
def test_bad_parameters_are_refused_at_construction(make, message):
    with pytest.raises(ParameterError) as info:
        make()
    assert str(info.value) == message
    assert info.value.where is None


def test_wrong_parameter_types_are_refused():
    with pytest.raises(ParameterTypeError, match=r"^LIF\.tau: expected a float, got 'fast'$"):
        LIF(tau="fast")
    with pytest.raises(ParameterTypeError, match=r"^KWTA\.k: expected an int, got 2\.5$"):
        KWTA(2.5)


def build(size, behavior, *, dt=1.0):
    net = Network(dt=dt, seed=0)
    group = NeuronGroup(size, net, behavior=behavior, tag="exc")
    return net, group


@pytest.mark.parametrize(
    ("size", "behavior", "message"),
    [
        (20, [LIF(), KWTA(21), Fire()], "KWTA.k on neuron group exc: expected <= 20 (neurons in the group), got 21"),
        (
            (4, 3, 3),
            [LIF(), KWTA(5, dimension=0), Fire()],
            "KWTA.k on neuron group exc: expected <= 4 (neurons along dimension 0), got 5",
        ),
        (
            (4, 3, 3),
            [LIF(), KWTA(1, dimension=3), Fire()],
            "KWTA.dimension on neuron group exc: expected 0, 1, 2 (depth, height, width) or None, got 3",
        ),
        (
            3,
            [LIF(init_v=torch.zeros(4))],
            "LIF.init_v on neuron group exc: expected a number, a fill mode or 3 values, got 'Tensor of shape (4,)'",
        ),
        (
            3,
            [LIF(init_v="gauss(0, 1)")],
            f"LIF.init_v on neuron group exc: expected {FILL_MODES}, got 'gauss(0, 1)'",
        ),
        (
            3,
            [LIF(), AdaptiveThreshold(init_theta=[1.0, 2.0])],
            "AdaptiveThreshold.init_theta on neuron group exc: expected a number, a fill mode or 3 values, "
            "got 'list of shape (2,)'",
        ),
        (
            3,
            [PoissonInput([1.0, -2.0, 0.0])],
            "PoissonInput.intensity on neuron group exc: expected values >= 0 (a rate in Hz is intensity * scale), "
            "got -2.0",
        ),
        (
            3,
            [PoissonInput(torch.ones(5))],
            "PoissonInput.intensity on neuron group exc: expected a number, a fill mode or 3 values, "
            "got 'Tensor of shape (5,)'",
        ),
        (
            3,
            [PoissonInput(1500.0)],
            "PoissonInput.intensity on neuron group exc: expected rates <= 1000.0 Hz (one spike per 1.0 ms step), "
            "got 'max rate 1500.0 Hz'",
        ),
    ],
)
def test_bad_input_is_refused_at_initialize(size, behavior, message):
    net, _ = build(size, behavior)
    with pytest.raises(ParameterError) as info:
        net.initialize()
    assert str(info.value) == message
    assert (info.value.owner, info.value.where) == (message.split(".")[0], "neuron group exc")


def test_poisson_checks_a_replaced_intensity():
    net, group = build(3, [PoissonInput(10.0)], dt=2.0)
    net.initialize()
    group.intensity = torch.tensor([1.0, -0.5, 2.0])
    with pytest.raises(
        ParameterError, match=r"^PoissonInput\.intensity on neuron group exc: expected values >= 0 .*, got -0\.5$"
    ):
        net.simulate_iteration()
    group.intensity = 600.0  # 600 Hz at dt=2 ms is more than one spike per step
    with pytest.raises(ParameterError, match=r"<= 500.0 Hz"):
        net.simulate_iteration()


@pytest.mark.parametrize(
    ("behavior", "missing"),
    [
        ([Fire()], "Fire on neuron group exc needs v, which AELIF or ELIF or LIF provides"),
        ([KWTA(1)], "KWTA on neuron group exc needs v"),
        ([SpikeTrace(5.0)], "SpikeTrace on neuron group exc needs spikes"),
        ([InherentNoise()], "InherentNoise on neuron group exc needs v"),
        ([AdaptiveThreshold()], "AdaptiveThreshold on neuron group exc: needs a threshold tensor, which LIF provides"),
        ([ActivityBaseHomeostasis(1, 5, 0.1)], "ActivityBaseHomeostasis on neuron group exc needs spikes"),
    ],
)
def test_missing_providers_are_named(behavior, missing):
    net, _ = build(3, behavior)
    with pytest.raises(ConexError, match=missing):
        net.initialize()
