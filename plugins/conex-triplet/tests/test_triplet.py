"""Triplet STDP against NumPy oracles on every layout, and the frequency dependence of Pfister & Gerstner.

The oracle recomputes each trace from the whole spike history (a sum over past spikes for the
all-to-all form, the latest spike for the nearest-spike form) and applies the rule to every
(source, destination) pair each weight serves, enumerated with explicit loops.
"""

import itertools

import numpy as np
import pytest
import torch

from conex import ConexError, Network, NeuronGroup, ParameterError, ParameterTypeError, SynapseGroup
from conex.behaviors import (
    Conv2dDendriticInput,
    Local2dDendriticInput,
    NeuronAxon,
    PostSpikeCatcher,
    PreSpikeCatcher,
    SpikeTrainInput,
    SynapseInit,
    WeightInitializer,
)
from conex_triplet import (
    ALL_TO_ALL,
    BEHAVIORS,
    NEAREST,
    Conv2dTripletSTDP,
    Local2dNearestTripletSTDP,
    One2OneNearestTripletSTDP,
    One2OneTripletSTDP,
    SimpleNearestTripletSTDP,
    SimpleTripletSTDP,
    SparseNearestTripletSTDP,
)

F64 = torch.float64
FAST = {"tau_plus": 4.0, "tau_minus": 6.0, "tau_x": 9.0, "tau_y": 12.0}
AMPLITUDES = {"a2_plus": 0.02, "a3_plus": 0.03, "a2_minus": 0.025, "a3_minus": 0.01}

# receptive-field geometry: source shape, kernel, stride, padding, output channels
CONV = {"src": (2, 5, 6), "kernel": (3, 2), "stride": (1, 2), "padding": (1, 1), "out_c": 3}
LOCAL = {"src": (2, 4, 5), "kernel": (2, 3), "stride": (1, 1), "padding": (0, 1), "out_c": 2}


def out_hw(g):
    (_, h, w), (kh, kw), (sh, sw), (ph, pw) = g["src"], g["kernel"], g["stride"], g["padding"]
    return (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1


def flat(shape, d, y, x):
    return (d * shape[1] + y) * shape[2] + x


def field_pairs(g, weight_index):
    """{weight index: [(source, destination)]}: every output position and kernel offset, looped."""
    src = g["src"]
    oh, ow = out_hw(g)
    dst = (g["out_c"], oh, ow)
    (kh, kw), (sh, sw), (ph, pw) = g["kernel"], g["stride"], g["padding"]
    pairs = {}
    for oc, oy, ox, ic, ky, kx in itertools.product(
        range(g["out_c"]), range(oh), range(ow), range(src[0]), range(kh), range(kw)
    ):
        y, x = oy * sh - ph + ky, ox * sw - pw + kx
        key = weight_index(oc, oy, ox, ic, ky, kx)
        pairs.setdefault(key, [])
        if 0 <= y < src[1] and 0 <= x < src[2]:
            pairs[key].append((flat(src, ic, y, x), flat(dst, oc, oy, ox)))
    return pairs


def layout_case(layout):
    """``(src, dst, synapse behaviors besides the rule, weight -> pairs, scale)`` for one layout."""
    init = [SynapseInit(), PreSpikeCatcher(), PostSpikeCatcher()]
    if layout in ("dense", "sparse"):
        weights = WeightInitializer(mode="uniform(0.2, 0.8)", density=0.6 if layout == "sparse" else 1.0)
        return 6, 5, [*init, weights], None, 1.0
    if layout == "one2one":
        weights = WeightInitializer(mode="uniform(0.2, 0.8)", weight_shape=(6,))
        return 6, 6, [*init, weights], {(i,): [(i, i)] for i in range(6)}, 1.0
    g = CONV if layout == "conv2d" else LOCAL
    (in_c, _, _), (kh, kw), out_c = g["src"], g["kernel"], g["out_c"]
    oh, ow = out_hw(g)
    geometry = {"stride": g["stride"], "padding": g["padding"]}
    if layout == "conv2d":
        weights = WeightInitializer(mode="uniform(0.2, 0.8)", weight_shape=(out_c, in_c, kh, kw))
        pairs = field_pairs(g, lambda oc, oy, ox, ic, ky, kx: (oc, ic, ky, kx))
        return g["src"], (out_c, oh, ow), [*init, weights, Conv2dDendriticInput(**geometry)], pairs, 1.0 / (oh * ow)
    weights = WeightInitializer(mode="uniform(0.2, 0.8)", kernel_shape=(out_c, oh, ow, in_c, kh, kw))
    pairs = field_pairs(g, lambda oc, oy, ox, ic, ky, kx: (oc, oy * ow + ox, (ic * kh + ky) * kw + kx))
    return g["src"], (out_c, oh, ow), [*init, weights, Local2dDendriticInput(**geometry)], pairs, 1.0


def wire(src, dst, synapse_behaviors, pre_train, post_train, dt=1.0):
    net = Network(dt=dt, dtype=F64, seed=3)
    groups = [
        NeuronGroup(size, net, tag=tag, behavior=[SpikeTrainInput(torch.as_tensor(train), loop=False), NeuronAxon()])
        for size, tag, train in ((src, "pre", pre_train), (dst, "post", post_train))
    ]
    syn = SynapseGroup(net, *groups, tag="Proximal", behavior=synapse_behaviors)
    net.initialize()
    return net, syn


def trace_before(train, t, tau, dt, nearest):
    """Each neuron's trace in iteration t (1-based) just before its spikes, from the spikes of iterations < t."""
    ages = (t - np.arange(1, t))[:, None] * dt * np.ones(train.shape[1])
    past = train[: t - 1]
    if nearest:
        youngest = np.where(past, ages, np.inf).min(axis=0, initial=np.inf)
        return np.exp(-youngest / tau)
    return (np.exp(-ages / tau) * past).sum(axis=0)


def oracle(w0, pairs, scale, pre_train, post_train, params, nearest, dt, bounds=(None, None)):
    """The weights after every iteration, rule applied pair by pair."""
    w = {key: float(value) for key, value in w0.items()}
    p = {**FAST, **AMPLITUDES, **params}
    for t in range(1, len(pre_train) + 1):
        pre, post = pre_train[t - 1].astype(float), post_train[t - 1].astype(float)
        r1 = trace_before(pre_train, t, p["tau_plus"], dt, nearest)
        r2 = trace_before(pre_train, t, p["tau_x"], dt, nearest)
        o1 = trace_before(post_train, t, p["tau_minus"], dt, nearest)
        o2 = trace_before(post_train, t, p["tau_y"], dt, nearest)
        for key, served in pairs.items():
            up = sum(post[j] * r1[i] * (p["a2_plus"] + p["a3_plus"] * o2[j]) for i, j in served)
            down = sum(pre[i] * o1[j] * (p["a2_minus"] + p["a3_minus"] * r2[i]) for i, j in served)
            up_bound = 1.0 if bounds[0] is None else bounds[0](w[key])
            down_bound = 1.0 if bounds[1] is None else bounds[1](w[key])
            w[key] += scale * (up * up_bound - down * down_bound)
    return w


def weights_by_key(syn, layout, pairs):
    """The synapse's weights as {weight index: value}, and the pairs each serves."""
    w = syn.weights
    if layout == "sparse":
        w = w.coalesce()
        rows, cols = w.indices().tolist()
        return {(r, c): v for r, c, v in zip(rows, cols, w.values().tolist(), strict=True)}, {
            (r, c): [(r, c)] for r, c in zip(rows, cols, strict=True)
        }
    values = w.detach().numpy()
    if pairs is None:  # dense
        pairs = {key: [key] for key in np.ndindex(values.shape)}
    return {key: values[key] for key in pairs}, pairs


LAYOUT_OF = {"Simple": "dense", "Sparse": "sparse", "One2One": "one2one", "Conv2d": "conv2d", "Local2d": "local2d"}


def layout_of(cls):
    return next(layout for prefix, layout in LAYOUT_OF.items() if cls.__name__.startswith(prefix))


# the event-driven path (visiting only the weights of spiking neurons) exists on dense and sparse weights
PATHS = [(cls, "default") for cls in BEHAVIORS] + [
    (cls, path) for cls in BEHAVIORS if layout_of(cls) in ("dense", "sparse") for path in ("events", "dense")
]


@pytest.mark.parametrize(("cls", "path"), PATHS, ids=lambda c: getattr(c, "__name__", c))
def test_every_layout_matches_the_oracle_over_random_spikes(cls, path):
    layout = layout_of(cls)
    src, dst, behaviors, pairs, scale = layout_case(layout)
    steps, dt = 25, 0.5
    rng = np.random.default_rng(len(cls.__name__))
    pre_train = rng.random((steps, int(np.prod(src)))) < 0.3
    post_train = rng.random((steps, int(np.prod(dst)))) < 0.3
    net, syn = wire(src, dst, [*behaviors, cls(**FAST, **AMPLITUDES)], pre_train, post_train, dt=dt)
    if path != "default":  # force one path whatever the weights' size and the rate
        syn.topology.event_min_weights = 0
        syn.topology.event_fraction = 1.0 if path == "events" else 0.0
    w0, pairs = weights_by_key(syn, layout, pairs)
    expected = oracle(w0, pairs, scale, pre_train, post_train, {}, cls.nearest, dt)
    net.simulate_iterations(steps)
    got, _ = weights_by_key(syn, layout, pairs)
    assert sorted(got) == sorted(expected)
    np.testing.assert_allclose([got[k] for k in sorted(got)], [expected[k] for k in sorted(got)], rtol=0, atol=1e-12)
    changed = sum(abs(got[k] - w0[k]) > 1e-6 for k in got)
    assert changed > len(got) // 2  # the random trains move most weights: the comparison is not vacuous


@pytest.mark.parametrize("cls", [SimpleTripletSTDP, SimpleNearestTripletSTDP], ids=lambda c: c.__name__)
def test_bounds_scale_potentiation_and_depression(cls):
    src, dst, behaviors, pairs, scale = layout_case("dense")
    steps = 30
    rng = np.random.default_rng(11)
    pre_train, post_train = rng.random((steps, 6)) < 0.35, rng.random((steps, 5)) < 0.35
    rule = cls(**FAST, **AMPLITUDES, w_min=0.1, w_max=0.9, positive_bound="soft_bound", negative_bound="hard_bound")
    net, syn = wire(src, dst, [*behaviors, rule], pre_train, post_train)
    w0, pairs = weights_by_key(syn, "dense", pairs)
    soft = lambda w: (w - 0.1) * (0.9 - w)  # noqa: E731
    hard = lambda w: float(0.1 < w < 0.9)  # noqa: E731
    expected = oracle(w0, pairs, scale, pre_train, post_train, {}, cls.nearest, 1.0, bounds=(soft, hard))
    net.simulate_iterations(steps)
    got, _ = weights_by_key(syn, "dense", pairs)
    np.testing.assert_allclose([got[k] for k in sorted(got)], [expected[k] for k in sorted(got)], rtol=0, atol=1e-12)


def test_the_traces_on_the_synapse_are_those_just_before_the_last_spikes_plus_them():
    src, dst, behaviors, _, _ = layout_case("dense")
    steps = 12
    rng = np.random.default_rng(5)
    pre_train, post_train = rng.random((steps, 6)) < 0.5, rng.random((steps, 5)) < 0.5
    for cls in (SimpleTripletSTDP, SimpleNearestTripletSTDP):
        net, syn = wire(src, dst, [*behaviors, cls(**FAST)], pre_train, post_train)
        net.simulate_iterations(steps)
        # after iteration `steps` the traces include its spikes: the value "before" iteration steps + 1
        padded_pre = np.vstack([pre_train, np.zeros((1, 6), bool)])
        padded_post = np.vstack([post_train, np.zeros((1, 5), bool)])
        for name, train, tau in (
            ("r1", padded_pre, FAST["tau_plus"]),
            ("r2", padded_pre, FAST["tau_x"]),
            ("o1", padded_post, FAST["tau_minus"]),
            ("o2", padded_post, FAST["tau_y"]),
        ):
            before_next = trace_before(train, steps + 1, tau, 1.0, cls.nearest)
            after_last = before_next * np.exp(1.0 / tau)  # undo the decay into the next iteration
            np.testing.assert_allclose(getattr(syn, name).numpy(), after_last, rtol=1e-12, atol=1e-15)


def test_no_spikes_no_change_and_simultaneous_pairs_change_nothing():
    src, dst, behaviors, _, _ = layout_case("dense")
    silent = np.zeros((8, 6), bool), np.zeros((8, 5), bool)
    fourth = (np.arange(8) == 3)[:, None]  # every neuron of both groups fires in iteration 4, and only then
    together = np.broadcast_to(fourth, (8, 6)).copy(), np.broadcast_to(fourth, (8, 5)).copy()
    for pre_train, post_train in (silent, together):
        net, syn = wire(src, dst, [*behaviors, SimpleTripletSTDP(**AMPLITUDES)], pre_train, post_train)
        w0 = syn.weights.clone()
        net.simulate_iterations(8)
        assert torch.equal(syn.weights, w0)


# -- the frequency dependence (Pfister & Gerstner 2006, fig. 5; Sjöström et al. 2001) -------------

FREQUENCIES = (1.0, 5.0, 10.0, 20.0, 40.0, 50.0)  # Hz
PAIRS = 60
LAG = 10.0  # ms between the spikes of a pair


def pairing_trains(dt):
    """One source/destination neuron pair per (frequency, sign of the lag): 60 pairs at each frequency."""
    cases = [(rho, sign) for rho in FREQUENCIES for sign in (+1, -1)]
    period_steps = [round(1000.0 / rho / dt) for rho, _ in cases]
    lag_steps = round(LAG / dt)
    steps = max(period_steps) * PAIRS + 2 * lag_steps + 2
    pre, post = np.zeros((steps, len(cases)), bool), np.zeros((steps, len(cases)), bool)
    for n, ((_, sign), period) in enumerate(zip(cases, period_steps, strict=True)):
        first_pre = lag_steps + np.arange(PAIRS) * period
        pre[first_pre, n] = True
        post[first_pre + sign * lag_steps, n] = True
    return cases, pre, post


def event_driven(pre_times, post_times, fit, nearest):
    """The rule in continuous time, event by event, each trace summed over the spikes before the event."""
    w = 0.0
    events = sorted([(t, "pre") for t in pre_times] + [(t, "post") for t in post_times])
    for t, kind in events:

        def trace(times, tau, t=t):
            past = [t - s for s in times if s < t]
            if not past:
                return 0.0
            return np.exp(-min(past) / tau) if nearest else sum(np.exp(-a / tau) for a in past)

        if kind == "post":
            w += trace(pre_times, 16.8) * (fit.a2_plus + fit.a3_plus * trace(post_times, fit.tau_y))
        else:
            w -= trace(post_times, 33.7) * (fit.a2_minus + fit.a3_minus * trace(pre_times, fit.tau_x))
    return w


@pytest.mark.parametrize(
    ("cls", "fit"), [(One2OneTripletSTDP, ALL_TO_ALL), (One2OneNearestTripletSTDP, NEAREST)], ids=["all", "nearest"]
)
def test_pairing_frequency_dependence_of_the_visual_cortex_fit(cls, fit):
    dt = 5.0  # every spike time is a multiple of 5 ms, and traces decay exactly: the result does not depend on dt
    cases, pre, post = pairing_trains(dt)
    size = len(cases)
    behaviors = [
        SynapseInit(),
        WeightInitializer(mode=0.5, weight_shape=(size,)),
        PreSpikeCatcher(),
        PostSpikeCatcher(),
    ]
    net, syn = wire(size, size, [*behaviors, cls()], pre, post, dt=dt)
    net.simulate_iterations(len(pre))
    dw = {case: float(v) - 0.5 for case, v in zip(cases, syn.weights, strict=True)}

    # the network reproduces the continuous-time rule exactly (spikes lie on the time grid)
    for n, case in enumerate(cases):
        times = lambda train, n=n: list(np.flatnonzero(train[:, n]) * dt)  # noqa: E731
        assert dw[case] == pytest.approx(event_driven(times(pre), times(post), fit, cls.nearest), abs=1e-12)

    plus = np.array([dw[(rho, +1)] for rho in FREQUENCIES])
    minus = np.array([dw[(rho, -1)] for rho in FREQUENCIES])
    # pre-before-post: potentiation grows with the pairing frequency
    assert np.all(np.diff(plus) > 0)
    assert plus[-1] > 0.1
    # post-before-pre: depression at low frequency, potentiation at 50 Hz
    assert np.all(minus[FREQUENCIES.index(1.0) : FREQUENCIES.index(20.0) + 1] < -0.1)
    assert minus[-1] > 0.1
    # at low frequency depression dominates: the pair of protocols depresses on balance
    assert plus[0] + minus[0] < -0.1
    assert abs(minus[0]) > 100 * abs(plus[0])


# -- parameters ---------------------------------------------------------------------------------------


def test_defaults_are_the_minimal_visual_cortex_fits():
    for cls, fit in ((SimpleTripletSTDP, ALL_TO_ALL), (SparseNearestTripletSTDP, NEAREST)):
        rule = cls()
        assert (rule.tau_plus, rule.tau_minus) == (16.8, 33.7)
        assert (rule.tau_x, rule.tau_y, rule.a2_plus, rule.a3_plus, rule.a2_minus, rule.a3_minus) == (
            fit.tau_x,
            fit.tau_y,
            fit.a2_plus,
            fit.a3_plus,
            fit.a2_minus,
            fit.a3_minus,
        )
    assert (ALL_TO_ALL.tau_y, ALL_TO_ALL.a3_plus, ALL_TO_ALL.a2_minus, ALL_TO_ALL.a3_minus) == (125.0, 6.2e-3, 7e-3, 0)
    assert (NEAREST.tau_y, NEAREST.a3_plus, NEAREST.a2_minus, NEAREST.a3_minus) == (40.0, 5.3e-2, 8e-3, 0)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"tau_y": 0.0}, ParameterError, "Conv2dTripletSTDP.tau_y: expected a float > 0, got 0.0"),
        ({"a3_plus": -0.1}, ParameterError, "Conv2dTripletSTDP.a3_plus: expected a float >= 0, got -0.1"),
        ({"w_min": 1.0}, ParameterError, "Conv2dTripletSTDP.w_max: expected a float > w_min (1.0), got 1.0"),
        ({"positive_bound": "tight"}, ParameterError, "positive_bound"),
        ({"negative_bound": 3}, ParameterTypeError, "negative_bound"),
        ({"tau_plus": "slow"}, ParameterTypeError, "tau_plus"),
    ],
)
def test_bad_parameters_are_refused_with_their_name(kwargs, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        Conv2dTripletSTDP(**kwargs)


def test_a_layout_that_does_not_fit_is_reported_at_initialize():
    src, dst, behaviors, _, _ = layout_case("dense")
    train = np.zeros((2, 6), bool), np.zeros((2, 5), bool)
    with pytest.raises(ConexError, match=r"Local2dNearestTripletSTDP on synapse pre=>post: kernel_shape"):
        wire(src, dst, [*behaviors, Local2dNearestTripletSTDP()], *train)
