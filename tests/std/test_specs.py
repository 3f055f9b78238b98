"""Synapse specs against NumPy oracles: state, delays, weight initialization, normalization and clipping
on every layout, spike catchers and traces; and the errors for bad input."""

import numpy as np
import pytest
import torch

from conex import ConexError, Network, NeuronGroup, ParameterError, ParameterTypeError, SynapseGroup
from conex.behaviors import (
    BaseDendriticInput,
    CurrentNormalization,
    DelayInitializer,
    PostSpikeCatcher,
    PostTrace,
    PreSpikeCatcher,
    PreTrace,
    SpikeTrainInput,
    SynapseInit,
    WeightClip,
    WeightInitializer,
    WeightNormalization,
)

from .wiring import F64, delayed, spike_train, unroll_conv2d, unroll_local2d, wire

SEED = 11


def generator():
    """The stream a network seeded with SEED draws from (the oracle replays it, then transforms by hand)."""
    return torch.Generator().manual_seed(SEED)


def silent(size):
    return np.zeros((1, size), bool)


# -- SynapseInit, DelayInitializer --------------------------------------------------------------


def test_synapse_init_makes_zero_delays_and_current():
    *_, syn = wire(5, (2, 1, 3), [SynapseInit(), WeightInitializer(mode=0)], src_train=silent(5))
    assert syn.src_delay.dtype == syn.dst_delay.dtype == torch.long
    assert syn.src_delay.tolist() == [0] * 5
    assert syn.dst_delay.tolist() == [0] * 6
    assert syn.I.dtype == F64
    assert syn.I.tolist() == [0.0] * 6


def test_drawn_delays_are_truncated_value_times_scale_plus_offset():
    init = DelayInitializer(mode="random", scale=5, offset=1)
    *_, syn = wire(40, 3, [SynapseInit(), WeightInitializer(mode=0.5), init], src_train=silent(40), seed=SEED)
    drawn = torch.empty(40, dtype=F64).uniform_(0, 1, generator=generator()).numpy()
    np.testing.assert_array_equal(syn.src_delay.numpy(), np.floor(drawn * 5 + 1).astype(int))
    assert set(syn.src_delay.tolist()) == {1, 2, 3, 4, 5}
    assert syn.dst_delay.tolist() == [0, 0, 0]


def test_given_delays_go_to_the_destination_when_asked():
    delays = [[0, 3, 1], 2]
    for given, expected in zip(delays, ([0, 3, 1], [2, 2, 2]), strict=True):
        init = DelayInitializer(delays=given, destination=True)
        *_, syn = wire(4, 3, [SynapseInit(), WeightInitializer(mode=0.5), init], src_train=silent(4))
        assert syn.dst_delay.tolist() == expected
        assert syn.dst_delay.dtype == torch.long
        assert syn.src_delay.tolist() == [0] * 4


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "DelayInitializer.mode: expected exactly one of mode and delays to be given, got None"),
        (
            {"mode": 1, "delays": 2},
            "DelayInitializer.mode: expected exactly one of mode and delays to be given, got 1.0",
        ),
        ({"mode": "sometimes"}, "DelayInitializer.mode: expected a number or a fill mode"),
    ],
)
def test_delay_initializer_refuses_bad_parameters_at_construction(kwargs, message):
    with pytest.raises(ParameterError) as info:
        DelayInitializer(**kwargs)
    assert str(info.value).startswith(message)


def test_delays_that_are_not_numbers_are_a_type_error():
    with pytest.raises(ParameterTypeError) as info:
        DelayInitializer(delays="soon")
    assert str(info.value) == "DelayInitializer.delays: expected integers (a tensor, list or number), got 'soon'"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"delays": [0, -2, 1, 1]}, "expected delays >= 0, got -2"),  # drawn ones: tests/robustness
        ({"delays": [1, 2]}, "expected a (4,) tensor or a number, got (2,)"),
        ({"delays": [0.5, 1, 1, 1]}, "expected whole numbers of iterations, got [0.5, 1, 1, 1]"),
    ],
)
def test_delay_initializer_refuses_bad_delays_at_initialize(kwargs, message):
    with pytest.raises(ParameterError) as info:
        wire(4, 3, [SynapseInit(), WeightInitializer(mode=0), DelayInitializer(**kwargs)], src_train=silent(4))
    assert str(info.value) == f"DelayInitializer.delays on synapse inp=>out: {message}"


# -- WeightInitializer --------------------------------------------------------------------------


def weights_of(init, src=6, dst=4, **kwargs):
    *_, syn = wire(
        src,
        dst,
        [SynapseInit(), init],
        src_train=silent(src if isinstance(src, int) else np.prod(src)),
        seed=SEED,
        **kwargs,
    )
    return syn


def test_constant_weights_are_scaled_then_offset():
    syn = weights_of(WeightInitializer(mode=0.25, scale=2, offset=0.1))
    np.testing.assert_allclose(syn.weights.numpy(), np.full((6, 4), 0.6))
    assert syn.kernel_shape is None


def test_drawn_weights_go_through_function_scale_and_offset():
    syn = weights_of(WeightInitializer(mode="normal(0.5, 0.1)", function=torch.abs, scale=3, offset=-1))
    drawn = torch.empty(6, 4, dtype=F64).normal_(0.5, 0.1, generator=generator()).numpy()
    np.testing.assert_allclose(syn.weights.numpy(), np.abs(drawn) * 3 - 1)


def kept_entries(shape, density):
    g = generator()
    drawn = torch.empty(shape, dtype=F64).uniform_(0, 1, generator=g).numpy()
    n = int(np.prod(shape))
    kept = torch.randperm(n, generator=g)[: int(n * density)].numpy()
    return drawn, np.sort(kept)


def test_density_below_one_without_true_sparsity_zeroes_the_missing_synapses():
    syn = weights_of(WeightInitializer(mode="random", density=0.3, true_sparsity=False, offset=2.0), src=10, dst=7)
    drawn, kept = kept_entries((10, 7), 0.3)
    expected = np.zeros(70)
    expected[kept] = drawn.reshape(-1)[kept] + 2.0
    np.testing.assert_allclose(syn.weights.numpy().reshape(-1), expected)
    assert (syn.weights != 0).sum() == 21


def _large_sparse(seed, **kwargs):
    """A 4096 x 4096 synapse (2**24 possible synapses: the draw touches only the stored ones)."""
    net = Network(seed=seed)
    a, b = NeuronGroup(4096, net, tag="a"), NeuronGroup(4096, net, tag="b")
    init = WeightInitializer(mode="uniform(0.5, 1.5)", density=0.002, scale=2.0, offset=-1.0, **kwargs)
    syn = SynapseGroup(net, a, b, behavior={2: SynapseInit(), 3: init})
    net.initialize()
    return syn.weights


def test_large_sparse_weights_are_exactly_that_many_distinct_uniformly_placed_synapses():
    w = _large_sparse(seed=5)
    nnz = int(4096 * 4096 * 0.002)
    assert w._nnz() == nnz
    assert w.is_coalesced()
    flat = (w.indices()[0] * 4096 + w.indices()[1]).numpy()
    assert len(np.unique(flat)) == nnz
    assert np.all(np.diff(flat) > 0)
    values = w.values().numpy()
    assert values.min() >= 0.0
    assert values.max() < 2.0
    assert abs(values.mean() - 1.0) < 0.01  # (U(0.5, 1.5) * 2) - 1 has mean 1
    # per-row and per-column counts of a uniform placement: binomial(4096, 0.002), mean 8.19, std 2.86
    for axis in (0, 1):
        counts = np.bincount(w.indices()[axis].numpy(), minlength=4096)
        assert abs(counts.mean() - nnz / 4096) < 1e-9
        assert 2.6 < counts.std() < 3.1
    assert torch.equal(_large_sparse(seed=5).indices(), w.indices())
    assert not torch.equal(_large_sparse(seed=6).indices(), w.indices())


def test_density_below_one_with_true_sparsity_stores_a_coalesced_sparse_matrix():
    syn = weights_of(WeightInitializer(mode="random", density=0.25, scale=2), src=10, dst=8)
    drawn, kept = kept_entries((10, 8), 0.25)
    w = syn.weights
    assert w.layout == torch.sparse_coo
    assert w.is_coalesced()
    assert tuple(w.shape) == (10, 8)
    np.testing.assert_array_equal(w.indices().numpy(), np.stack((kept // 8, kept % 8)))
    np.testing.assert_allclose(w.values().numpy(), drawn.reshape(-1)[kept] * 2)


def test_weight_shape_and_kernel_shape_set_the_layout():
    syn = weights_of(WeightInitializer(mode=1, weight_shape=(3, 2, 3, 3)), src=(2, 4, 4), dst=(3, 2, 2))
    assert tuple(syn.weights.shape) == (3, 2, 3, 3)
    syn = weights_of(WeightInitializer(mode=1, kernel_shape=(3, 2, 2, 2, 3, 3)), src=(2, 4, 4), dst=(3, 2, 2))
    assert tuple(syn.weights.shape) == (3, 4, 18)
    assert syn.kernel_shape == (3, 2, 2, 2, 3, 3)


def test_given_weights_are_copied_to_the_network_dtype_and_left_untouched():
    given = torch.full((6, 4), 3.0, dtype=torch.float32)
    *_, syn = wire(6, 4, [SynapseInit(), WeightInitializer(weights=given), WeightClip()], src_train=silent(6))
    assert syn.weights.dtype == F64
    assert given.tolist() == [[3.0] * 4] * 6


PWNED = []


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"mode": 1, "density": 0}, ParameterError, "WeightInitializer.density: expected a float in (0, 1], got 0.0"),
        ({"mode": 1, "density": 1.5}, ParameterError, "WeightInitializer.density: expected a float in (0, 1], got 1.5"),
        (
            {"mode": 1, "density": -0.2},
            ParameterError,
            "WeightInitializer.density: expected a float in (0, 1], got -0.2",
        ),
        ({"mode": "banana"}, ParameterError, "WeightInitializer.mode: expected a number or a fill mode: zeros, ones"),
        ({"mode": "__import__('os')"}, ParameterError, "WeightInitializer.mode: expected a number or a fill mode"),
        (
            {"mode": "uniform(__import__('os'), 1)"},
            ParameterError,
            "WeightInitializer.mode: expected number arguments, got \"uniform(__import__('os'), 1)\"",
        ),
        ({"mode": "PWNED.append(1)"}, ParameterError, "WeightInitializer.mode: expected a number or a fill mode"),
        ({"mode": "normal(0.5)"}, ParameterError, "WeightInitializer.mode: expected 0 or 2 arguments for 'normal'"),
        ({}, ParameterError, "WeightInitializer.mode: expected exactly one of mode and weights to be given, got None"),
        ({"mode": 1, "weights": torch.ones(2)}, ParameterError, "WeightInitializer.mode: expected exactly one of"),
        (
            {"mode": 1, "kernel_shape": (1, 2, 3)},
            ParameterError,
            "WeightInitializer.kernel_shape: expected a Conv2d kernel (out_c, in_c, kh, kw) or a Local2d kernel",
        ),
        (
            {"mode": 1, "weight_shape": (2, 0)},
            ParameterError,
            "WeightInitializer.weight_shape: expected a tuple of some positive ints, got (2, 0)",
        ),
        (
            {"mode": 1, "kernel_shape": (3, 2, 2, 2, 3, 3), "weight_shape": (3, 4, 9)},
            ParameterError,
            "WeightInitializer.weight_shape: expected (3, 4, 18) for this kernel_shape, got (3, 4, 9)",
        ),
        (
            {"mode": 1, "function": 3},
            ParameterTypeError,
            "WeightInitializer.function: expected a callable or None, got 3",
        ),
        (
            {"weights": [1, 2]},
            ParameterTypeError,
            "WeightInitializer.weights: expected a torch.Tensor or None, got [1, 2]",
        ),
        ({"mode": 1, "weight_shape": "3x3"}, ParameterTypeError, "WeightInitializer.weight_shape: expected a tuple"),
    ],
)
def test_weight_initializer_refuses_bad_parameters_at_construction(kwargs, error, message):
    with pytest.raises(error) as info:
        WeightInitializer(**kwargs)
    assert str(info.value).startswith(message)
    assert PWNED == []  # the mode string was parsed, never run


@pytest.mark.parametrize(
    ("kwargs", "src", "message"),
    [
        (
            {"mode": 1, "weight_shape": (3, 2, 3, 3), "density": 0.5},
            (2, 4, 4),
            "true_sparsity on synapse inp=>out: expected False for weights of shape (3, 2, 3, 3): sparse weights are "
            "(src.size, dst.size) = (32, 4), got True",
        ),
        (
            {"mode": 1, "function": lambda w: w[0]},
            6,
            "function on synapse inp=>out: expected a function returning a tensor of shape (6, 4), got (4,)",
        ),
        (
            {"weights": torch.ones(4, 6), "weight_shape": (6, 4)},
            6,
            "weights on synapse inp=>out: expected shape (6, 4), got (4, 6)",
        ),
    ],
)
def test_weight_initializer_refuses_what_does_not_fit_at_initialize(kwargs, src, message):
    with pytest.raises(ParameterError) as info:
        weights_of(WeightInitializer(**kwargs), src=src)
    assert str(info.value) == f"WeightInitializer.{message}"


# -- normalization and clipping on every layout ---------------------------------------------------

RNG = np.random.default_rng(5)


def positive(*shape):
    return RNG.uniform(0.1, 1.0, shape)


def layout(name):
    """``(src, dst, weight-initializer kwargs, dense matrix, numpy normalization)`` with one all-zero group."""
    if name == "dense":
        w = positive(6, 4)
        w[:, 1] = 0
        return 6, 4, {"weights": torch.tensor(w)}, w, lambda v, n: v * n / np.where(v.sum(0) == 0, 1, v.sum(0))
    if name == "sparse":
        w = positive(6, 4) * (RNG.random((6, 4)) < 0.6)
        w[:, 2] = 0
        norm = lambda v, n: v * n / np.where(v.sum(0) == 0, 1, v.sum(0))  # noqa: E731
        return 6, 4, {"weights": torch.tensor(w).to_sparse()}, w, norm
    if name == "one2one":
        w = positive(5)
        w[3] = 0
        return 5, 5, {"weights": torch.tensor(w)}, np.diag(w), lambda v, n: np.where(v == 0, 0, n)
    if name == "conv2d":
        src, dst, w = (2, 4, 4), (3, 2, 2), positive(3, 2, 3, 3)
        w[1] = 0
        sums = lambda v: v.sum((1, 2, 3), keepdims=True)  # noqa: E731
        return (
            src,
            dst,
            {"weights": torch.tensor(w)},
            unroll_conv2d(w, src, dst),
            lambda v, n: v * n / np.where(sums(v) == 0, 1, sums(v)),
        )
    if name == "local2d":
        src, dst, kernel = (2, 4, 4), (3, 2, 2), (3, 2, 2, 2, 3, 3)
        w = positive(3, 4, 18)
        w[0, 2] = 0
        matrix = unroll_local2d(w, kernel, src, dst)
        sums = lambda v: v.sum(-1, keepdims=True)  # noqa: E731
        init = {"weights": torch.tensor(w), "kernel_shape": kernel}
        return src, dst, init, matrix, lambda v, n: v * n / np.where(sums(v) == 0, 1, sums(v))
    raise AssertionError(name)


LAYOUTS = ["dense", "sparse", "one2one", "conv2d", "local2d"]


def dense_of(weights):
    return (weights.to_dense() if weights.layout != torch.strided else weights).numpy()


@pytest.mark.parametrize("name", LAYOUTS)
def test_weight_normalization_makes_every_destinations_incoming_weights_sum_to_norm(name):
    src, dst, init, matrix, normalized = layout(name)
    original = dense_of(init["weights"])
    net, *_, syn = wire(
        src,
        dst,
        [SynapseInit(), WeightInitializer(**init), WeightNormalization(norm=2.5)],
        src_train=silent(matrix.shape[0]),
    )
    for _ in range(3):
        net.simulate_iteration()
        np.testing.assert_allclose(dense_of(syn.weights), normalized(original, 2.5), atol=1e-12)
    # the same on the unrolled matrix: each destination's column sums to norm, empty ones stay empty
    column = matrix.sum(0)
    unrolled = {
        "dense": lambda w: w,
        "sparse": lambda w: w,
        "one2one": np.diag,
        "conv2d": lambda w: unroll_conv2d(w, src, dst),
        "local2d": lambda w: unroll_local2d(w, init.get("kernel_shape"), src, dst),
    }[name](dense_of(syn.weights))
    np.testing.assert_allclose(unrolled.sum(0), np.where(column == 0, 0, 2.5), atol=1e-12)
    if name == "sparse":
        assert syn.weights._nnz() == np.count_nonzero(original)


def test_weight_normalization_scales_a_lateral_kernel_to_norm():
    kernel = positive(1, 3, 3)
    synapse = [SynapseInit(), WeightInitializer(weights=torch.tensor(kernel)[None, None]), WeightNormalization(norm=4)]
    net, *_, syn = wire((1, 3, 3), None, synapse, src_train=silent(9), lateral=True)
    net.simulate_iteration()
    np.testing.assert_allclose(syn.weights.numpy()[0, 0], kernel * 4 / kernel.sum())


@pytest.mark.parametrize("name", LAYOUTS)
def test_current_normalization_divides_the_current_by_the_incoming_weight_sum(name):
    src, dst, init, matrix, _ = layout(name)
    size = matrix.shape[0]
    train = spike_train(6, size, p=0.5, seed=size)
    synapse = [
        SynapseInit(),
        WeightInitializer(**init),
        BaseDendriticInput(current_coef=1.5),
        CurrentNormalization(norm=3),
        PreSpikeCatcher(),
    ]
    net, *_, syn = wire(src, dst, synapse, src_train=train)
    column = matrix.sum(0)
    for t in range(1, 7):
        net.simulate_iteration()
        raw = 1.5 * delayed(train, t - 2, np.zeros(size, int)) @ matrix
        np.testing.assert_allclose(syn.I.numpy(), raw * 3 / np.where(column == 0, 1, column), atol=1e-12)


@pytest.mark.parametrize("name", [*LAYOUTS, "lateral"])
@pytest.mark.parametrize(("w_min", "w_max"), [(0.0, 1.0), (-0.25, 0.5)])
def test_weight_clip_clamps_every_layout(name, w_min, w_max):
    if name == "lateral":
        src, dst, lateral, init = (1, 3, 3), None, True, {"weights": torch.ones(1, 1, 1, 3, 3)}
    else:
        (src, dst, init, _, _), lateral = layout(name), False
    stored = dense_of(init["weights"]) != 0
    original = np.zeros(stored.shape)
    values = np.linspace(-1.0, 2.0, stored.sum())  # reaches beyond both limits
    original[stored] = RNG.permutation(np.where(values == 0, 0.5, values))  # a stored weight is never 0
    given = torch.tensor(original)
    init["weights"] = given.to_sparse() if name == "sparse" else given
    synapse = [SynapseInit(), WeightInitializer(**init), WeightClip(w_min=w_min, w_max=w_max)]
    net, *_, syn = wire(src, dst, synapse, src_train=silent(int(np.prod(src))), lateral=lateral)
    net.simulate_iteration()
    np.testing.assert_allclose(dense_of(syn.weights), np.where(stored, np.clip(original, w_min, w_max), 0.0))
    if name == "sparse":
        assert syn.weights._nnz() == stored.sum()  # absent synapses stay absent
    assert original.min() < w_min
    assert original.max() > w_max


@pytest.mark.parametrize("kwargs", [{"w_min": 1, "w_max": 1}, {"w_min": 2, "w_max": 1.5}])
def test_weight_clip_needs_w_min_below_w_max(kwargs):
    with pytest.raises(ParameterError) as info:
        WeightClip(**kwargs)
    assert (
        str(info.value)
        == f"WeightClip.w_min: expected w_min < w_max = {float(kwargs['w_max'])}, got {float(kwargs['w_min'])}"
    )


@pytest.mark.parametrize("cls", [WeightNormalization, CurrentNormalization])
def test_norm_must_be_positive(cls):
    with pytest.raises(ParameterError, match=rf"{cls.__name__}.norm: expected a float > 0, got 0.0"):
        cls(norm=0)


# -- spike catchers and traces --------------------------------------------------------------------


def test_spike_catchers_read_each_side_through_its_axon_with_its_delays():
    src_delays, dst_delays = np.array([0, 2, 1, 3, 0]), np.array([1, 0, 2])
    pre, post = spike_train(12, 5, seed=1), spike_train(12, 3, seed=2)
    synapse = [
        SynapseInit(),
        WeightInitializer(mode=0),
        DelayInitializer(delays=torch.tensor(src_delays)),
        DelayInitializer(delays=torch.tensor(dst_delays), destination=True),
        PreSpikeCatcher(),
        PostSpikeCatcher(),
    ]
    synapse = {2: synapse[0], 3: synapse[1], 4: synapse[2], 5: synapse[3], 420: synapse[4], 440: synapse[5]}
    net, *_, syn = wire(5, 3, synapse, src_train=pre, dst_train=post, max_delay=4)
    assert syn.pre_spike.tolist() == [False] * 5  # set at initialize, before any spike
    for t in range(1, 13):
        net.simulate_iteration()
        assert syn.pre_spike.dtype == torch.bool
        np.testing.assert_array_equal(syn.pre_spike.numpy(), delayed(pre, t - 1, src_delays))
        np.testing.assert_array_equal(syn.post_spike.numpy(), delayed(post, t - 1, dst_delays))


@pytest.mark.parametrize(
    ("catcher", "side", "group"), [(PreSpikeCatcher, "src", "inp"), (PostSpikeCatcher, "dst", "out")]
)
def test_a_spike_catcher_without_an_axon_names_neuron_axon(catcher, side, group):
    net = Network()
    inp = NeuronGroup(3, net, tag="inp", behavior=[SpikeTrainInput(silent(3))])
    out = NeuronGroup(2, net, tag="out", behavior=[SpikeTrainInput(silent(2))])
    SynapseGroup(net, inp, out, behavior=[SynapseInit(), catcher()])
    with pytest.raises(ConexError) as info:
        net.initialize()
    assert str(info.value) == (
        f"{catcher.__name__} on synapse inp=>out: {side} neuron group {group} has no axon: "
        "add NeuronAxon(max_delay=...) to its behaviors"
    )


@pytest.mark.parametrize(
    ("catcher", "destination", "name", "group"),
    [(PreSpikeCatcher, False, "src_delay", "inp"), (PostSpikeCatcher, True, "dst_delay", "out")],
)
def test_a_delay_the_axon_does_not_keep_is_an_error_at_initialize(catcher, destination, name, group):
    synapse = [SynapseInit(), WeightInitializer(mode=0), DelayInitializer(delays=3, destination=destination), catcher()]
    with pytest.raises(ConexError) as info:
        wire(4, 2, synapse, src_train=silent(4), max_delay=3)
    assert str(info.value) == (
        f"{catcher.__name__} on synapse inp=>out: {name} 3 does not fit NeuronAxon.max_delay of neuron group "
        f"{group} = 3: it keeps 3 iterations, so delays must be < 3"
    )


def numpy_trace(spikes, tau, scale, dt):
    trace, out = np.zeros(spikes.shape[1]), []
    for s in spikes:
        trace = trace + s * scale
        trace = trace - trace / tau * dt
        out.append(trace.copy())
    return out


def test_pre_and_post_traces_follow_their_spikes_and_record_their_time_constants():
    pre, post = spike_train(15, 5, seed=3), spike_train(15, 3, seed=4)
    src_delays = np.array([1, 0, 2, 0, 1])
    synapse = {
        2: SynapseInit(),
        3: WeightInitializer(mode=0),
        4: DelayInitializer(delays=torch.tensor(src_delays)),
        420: PreSpikeCatcher(),
        440: PostSpikeCatcher(),
        460: PreTrace(4.0, spike_scale=0.5),
        480: PostTrace(tau_s=6),
    }
    net, *_, syn = wire(5, 3, synapse, src_train=pre, dst_train=post, max_delay=3, dt=0.5)
    assert (syn.pre_trace_tau, syn.post_trace_tau) == (4.0, 6.0)
    pre_seen = np.array([delayed(pre, t - 1, src_delays) for t in range(1, 16)])
    expected_pre, expected_post = numpy_trace(pre_seen, 4.0, 0.5, 0.5), numpy_trace(post.astype(float), 6.0, 1.0, 0.5)
    for t in range(15):
        net.simulate_iteration()
        np.testing.assert_allclose(syn.pre_trace.numpy(), expected_pre[t], atol=1e-12)
        np.testing.assert_allclose(syn.post_trace.numpy(), expected_post[t], atol=1e-12)
    assert syn.pre_trace.shape == (5,)
    assert syn.post_trace.shape == (3,)


def test_a_trace_time_constant_changed_during_a_run_takes_effect_at_the_next_iteration():
    pre = spike_train(6, 4, seed=5)
    synapse = [SynapseInit(), WeightInitializer(mode=0), PreSpikeCatcher(), PreTrace(4.0)]
    net, *_, syn = wire(4, 2, synapse, src_train=pre)
    net.simulate_iterations(3)
    trace = syn.pre_trace.clone()
    syn.behavior[460].tau_s = 8.0
    net.simulate_iteration()
    np.testing.assert_allclose(syn.pre_trace.numpy(), (trace.numpy() + pre[3]) * (1 - 1 / 8.0), atol=1e-12)


@pytest.mark.parametrize("cls", [PreTrace, PostTrace])
def test_trace_time_constants_must_be_positive_and_not_below_dt(cls):
    with pytest.raises(ParameterError, match=rf"^{cls.__name__}.tau_s: expected a float > 0, got -1.0$"):
        cls(-1)
    with pytest.raises(TypeError):
        cls()
    synapse = [SynapseInit(), WeightInitializer(mode=0), PreSpikeCatcher(), PostSpikeCatcher(), cls(0.5)]
    with pytest.raises(ParameterError) as info:
        wire(3, 2, synapse, src_train=silent(3), dt=1.0)
    assert str(info.value) == (
        f"{cls.__name__}.tau_s on synapse inp=>out: expected >= dt = 1.0 ms (a shorter one oscillates), got 0.5"
    )
