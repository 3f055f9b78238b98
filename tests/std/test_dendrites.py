"""Dendritic inputs against NumPy: every layout is unrolled into a dense source x destination matrix here,
so each variant is checked against ``I = coef * sign * (spikes @ M)`` and against SimpleDendriticInput."""

import numpy as np
import pytest
import torch

from conex import ConexError, ParameterError, ParameterTypeError
from conex.behaviors import (
    AveragePool2D,
    BaseDendriticInput,
    Conv2dDendriticInput,
    DelayInitializer,
    LateralDendriticInput,
    Local2dDendriticInput,
    One2OneDendriticInput,
    PreSpikeCatcher,
    SimpleDendriticInput,
    SparseDendriticInput,
    SynapseInit,
    WeightInitializer,
)

from .wiring import F64, average_pool, delayed, spike_train, unroll_conv2d, unroll_lateral, unroll_local2d, wire

STEPS = 8
RNG = np.random.default_rng(7)


def uniform(*shape):
    return RNG.uniform(-0.5, 1.0, shape)


def layout_case(name):
    """``(src_shape, dst_shape, dendritic input, weight-initializer kwargs, dense matrix)`` of one layout."""
    if name == "dense":
        w = uniform(6, 4)
        return 6, 4, SimpleDendriticInput(current_coef=0.7), {"weights": torch.tensor(w)}, w
    if name == "sparse":
        w = uniform(6, 4) * (RNG.random((6, 4)) < 0.5)
        return 6, 4, SparseDendriticInput(current_coef=0.7), {"weights": torch.tensor(w).to_sparse()}, w
    if name == "sparse, density 1":
        w = uniform(6, 4)
        return 6, 4, SparseDendriticInput(current_coef=0.7), {"weights": torch.tensor(w).to_sparse()}, w
    if name == "one2one":
        w = uniform(5)
        return 5, 5, One2OneDendriticInput(current_coef=0.7), {"weights": torch.tensor(w)}, np.diag(w)
    if name == "conv2d":
        src, dst, w = (2, 5, 5), (3, 3, 3), uniform(3, 2, 3, 3)
        behavior = Conv2dDendriticInput(current_coef=0.7, stride=2, padding=1)
        return src, dst, behavior, {"weights": torch.tensor(w)}, unroll_conv2d(w, src, dst, (2, 2), (1, 1))
    if name == "local2d":
        src, dst, kernel = (2, 5, 4), (3, 3, 2), (3, 3, 2, 2, 3, 2)
        w = uniform(3, 3 * 2, 2 * 3 * 2)
        behavior = Local2dDendriticInput(current_coef=0.7, stride=(2, 2), padding=(1, 0))
        matrix = unroll_local2d(w, kernel, src, dst, (2, 2), (1, 0))
        return src, dst, behavior, {"weights": torch.tensor(w), "kernel_shape": kernel}, matrix
    raise AssertionError(name)


LAYOUTS = ["dense", "sparse", "sparse, density 1", "one2one", "conv2d", "local2d"]


def run_input(src, dst, behavior, init, *, src_tag="inp", delays=None, max_delay=1, steps=STEPS):
    """Drive ``behavior`` with a random train; return the train and ``synapse.I`` after each iteration."""
    size = src if isinstance(src, int) else int(np.prod(src))
    train = spike_train(steps, size, seed=size)
    synapse = [SynapseInit(), WeightInitializer(**init), behavior, PreSpikeCatcher()]
    if delays is not None:
        synapse.append(DelayInitializer(delays=torch.tensor(delays)))
    net, *_, syn = wire(src, dst, synapse, src_train=train, src_tag=src_tag, max_delay=max_delay)
    currents = []
    for _ in range(steps):
        net.simulate_iteration()
        currents.append(syn.I.numpy().copy())
    return train, currents


@pytest.mark.parametrize("layout", LAYOUTS)
def test_each_layout_gives_the_current_of_its_unrolled_dense_matrix(layout):
    src, dst, behavior, init, matrix = layout_case(layout)
    train, currents = run_input(src, dst, behavior, init)
    for t, current in enumerate(currents, start=1):
        expected = 0.7 * delayed(train, t - 2, np.zeros(matrix.shape[0], int)) @ matrix
        np.testing.assert_allclose(current, expected, atol=1e-12)
    assert any(np.abs(c).sum() > 0 for c in currents)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_each_layout_equals_simple_dendritic_input_on_the_unrolled_matrix(layout):
    src, dst, behavior, init, matrix = layout_case(layout)
    _, currents = run_input(src, dst, behavior, init)
    _, dense = run_input(
        src, dst, SimpleDendriticInput(current_coef=0.7), {"weights": torch.tensor(matrix), "weight_shape": None}
    )
    np.testing.assert_allclose(np.array(currents), np.array(dense), atol=1e-12)


def test_base_dendritic_input_infers_the_layout_from_the_weights():
    for layout in ("dense", "sparse", "one2one"):  # conv/local geometry needs the variants' stride and padding
        src, dst, _, init, matrix = layout_case(layout)
        _, currents = run_input(src, dst, BaseDendriticInput(current_coef=0.7), init)
        _, dense = run_input(src, dst, SimpleDendriticInput(current_coef=0.7), {"weights": torch.tensor(matrix)})
        np.testing.assert_allclose(np.array(currents), np.array(dense), atol=1e-12)


def test_drawn_sparse_weights_carry_the_current_of_their_dense_form():
    train = spike_train(STEPS, 30, seed=4)
    synapse = [SynapseInit(), WeightInitializer(mode="random", density=0.3), SparseDendriticInput(), PreSpikeCatcher()]
    net, *_, syn = wire(30, 20, synapse, src_train=train)
    matrix = syn.weights.to_dense().numpy()
    assert np.count_nonzero(matrix) == 180
    for t in range(1, STEPS + 1):
        net.simulate_iteration()
        np.testing.assert_allclose(syn.I.numpy(), delayed(train, t - 2, np.zeros(30, int)) @ matrix, atol=1e-12)


def test_source_delays_select_each_source_neurons_spike_of_that_many_iterations_before():
    src, dst, behavior, init, matrix = layout_case("dense")
    delays = np.array([0, 2, 1, 3, 0, 2])
    train, currents = run_input(src, dst, behavior, init, delays=delays, max_delay=4, steps=12)
    for t, current in enumerate(currents, start=1):
        np.testing.assert_allclose(current, 0.7 * delayed(train, t - 2, delays) @ matrix, atol=1e-12)


def test_lateral_input_is_the_same_size_3d_convolution_with_a_centred_kernel():
    shape, kernel = (2, 3, 4), uniform(3, 3, 3)
    train = spike_train(STEPS, 24, seed=3)
    synapse = [SynapseInit(), WeightInitializer(weights=torch.tensor(kernel)[None, None]), LateralDendriticInput()]
    net, *_, syn = wire(shape, None, [*synapse, PreSpikeCatcher()], src_train=train, lateral=True)
    matrix = unroll_lateral(kernel, shape)
    for t in range(1, STEPS + 1):
        net.simulate_iteration()
        np.testing.assert_allclose(syn.I.numpy(), delayed(train, t - 2, np.zeros(24, int)) @ matrix, atol=1e-12)


@pytest.mark.parametrize(
    ("tag", "inhibitory", "sign"), [("exc", None, 1), ("inh", None, -1), ("exc", True, -1), ("inh", False, 1)]
)
def test_lateral_inhibitory_overrides_the_source_tag(tag, inhibitory, sign):
    kernel = np.ones((1, 3, 3))
    train = np.ones((3, 9), bool)
    behavior = LateralDendriticInput(current_coef=2.0, inhibitory=inhibitory)
    synapse = [SynapseInit(), WeightInitializer(weights=torch.tensor(kernel)[None, None]), behavior, PreSpikeCatcher()]
    net, *_, syn = wire((1, 3, 3), None, synapse, src_train=train, src_tag=tag, lateral=True)
    net.simulate_iterations(2)
    expected = 2.0 * sign * (np.ones(9) @ unroll_lateral(kernel, (1, 3, 3)))  # 4 at corners ... 9 at the centre
    np.testing.assert_allclose(syn.I.numpy(), expected)


@pytest.mark.parametrize("tag", ["inh", "GABA", "exc, inh"])
def test_an_inhibitory_source_makes_the_current_negative(tag):
    src, dst, behavior, init, matrix = layout_case("dense")
    train, currents = run_input(src, dst, behavior, init, src_tag=tag)
    for t, current in enumerate(currents, start=1):
        np.testing.assert_allclose(current, -0.7 * delayed(train, t - 2, np.zeros(6, int)) @ matrix, atol=1e-12)


def test_average_pool_averages_each_channel_onto_the_destination_map():
    src, dst = (2, 5, 6), (2, 2, 3)
    train, currents = run_input(src, dst, AveragePool2D(current_coef=3.0), {"mode": "zeros"})
    for t, current in enumerate(currents, start=1):
        expected = 3.0 * average_pool(delayed(train, t - 2, np.zeros(60, int)), src, dst[1:])
        np.testing.assert_allclose(current, expected, atol=1e-12)
    assert any(c.sum() > 0 for c in currents)


# -- bad input ----------------------------------------------------------------------------------


def build(src, dst, behavior, **init):
    return wire(
        src,
        dst,
        [SynapseInit(), WeightInitializer(**init), behavior, PreSpikeCatcher()],
        src_train=np.zeros((1, int(np.prod(src))), bool),
    )


@pytest.mark.parametrize(
    ("src", "dst", "behavior", "init", "message"),
    [
        (
            (3, 5, 5),
            (3, 3, 3),
            Conv2dDendriticInput(),
            {"weight_shape": (3, 2, 3, 3)},
            "Conv2dDendriticInput on synapse inp=>out: source depth (kernel in_channels): expected 2, got 3",
        ),
        (
            (2, 5, 5),
            (4, 3, 3),
            Conv2dDendriticInput(),
            {"weight_shape": (3, 2, 3, 3)},
            "Conv2dDendriticInput on synapse inp=>out: destination depth (kernel out_channels): expected 3, got 4",
        ),
        (
            (2, 5, 5),
            (3, 3, 3),
            Conv2dDendriticInput(padding=1),
            {"weight_shape": (3, 2, 3, 3)},
            "destination (height, width) for this kernel, stride and padding: expected (5, 5), got (3, 3)",
        ),
        (
            (2, 5, 5),
            (3, 3, 3),
            Conv2dDendriticInput(),
            {"mode": "random"},
            "Conv2dDendriticInput on synapse inp=>out: weights: expected (out_c, in_c, kh, kw), got shape (50, 27)",
        ),
        (
            (1, 4, 4),
            (2, 2, 2),
            Local2dDendriticInput(),
            {"weight_shape": (2, 4, 9)},
            "Local2dDendriticInput on synapse inp=>out: kernel_shape: expected (out_c, out_h, out_w, in_c, kh, kw)",
        ),
        (
            (1, 4, 4),
            (2, 2, 2),
            Local2dDendriticInput(stride=2),
            {"kernel_shape": (2, 2, 2, 1, 3, 3)},
            "Local2dDendriticInput on synapse inp=>out: destination (height, width) for this kernel, stride and "
            "padding: expected (1, 1), got (2, 2)",
        ),
        (
            (1, 4, 4),
            (2, 2, 2),
            Local2dDendriticInput(),
            {"kernel_shape": (2, 2, 2, 2, 3, 3)},
            "Local2dDendriticInput on synapse inp=>out: source depth (kernel in_channels): expected 2, got 1",
        ),
        (
            5,
            4,
            One2OneDendriticInput(),
            {"weight_shape": (5,)},
            "One2OneDendriticInput on synapse inp=>out: src.size == dst.size: expected 5, got 4",
        ),
        (5, 5, One2OneDendriticInput(), {"weight_shape": (4,)}, "weights shape: expected (5,), got (4,)"),
        (
            6,
            4,
            SparseDendriticInput(),
            {"mode": "random"},
            "SparseDendriticInput on synapse inp=>out: weights are dense",
        ),
        (
            6,
            4,
            SimpleDendriticInput(),
            {"mode": 1, "density": 0.5},
            "SimpleDendriticInput on synapse inp=>out: weights are sparse",
        ),
        (6, 4, SimpleDendriticInput(), {"weight_shape": (4, 6)}, "weights shape: expected (6, 4), got (4, 6)"),
        (
            (2, 4, 4),
            (3, 2, 2),
            AveragePool2D(),
            {"mode": 0},
            "AveragePool2D on synapse inp=>out: depth: expected the source's 2 at the destination, got 3",
        ),
        (
            (2, 4, 4),
            (2, 5, 2),
            AveragePool2D(),
            {"mode": 0},
            "destination (height, width): expected at most the source's (4, 4), got (5, 2)",
        ),
        (
            4,
            4,
            LateralDendriticInput(),
            {"weights": torch.ones(1, 1, 1, 1, 3)},
            "LateralDendriticInput on synapse inp=>out: lateral connections need src and dst to be the same group",
        ),
    ],
)
def test_shapes_that_do_not_fit_the_groups_are_reported_at_initialize(src, dst, behavior, init, message):
    init.setdefault("mode", None)
    if init["mode"] is None and "weights" not in init:
        init["mode"] = "random"
    with pytest.raises(ConexError) as info:
        build(src, dst, behavior, **init)
    assert message in str(info.value)


def test_a_lateral_kernel_must_have_odd_sizes():
    synapse = [SynapseInit(), WeightInitializer(weights=torch.ones(1, 1, 1, 2, 3)), LateralDendriticInput()]
    with pytest.raises(
        ConexError,
        match=r"LateralDendriticInput on synapse inp=>inp: weights: expected odd kernel sizes, got \(1, 2, 3\)",
    ):
        wire((1, 3, 3), None, [*synapse, PreSpikeCatcher()], src_train=np.zeros((1, 9), bool), lateral=True)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"stride": 0}, ParameterError, "Conv2dDendriticInput.stride: expected an int >= 1 or a pair of them, got 0"),
        (
            {"stride": (1, 0)},
            ParameterError,
            "Conv2dDendriticInput.stride: expected an int >= 1 or a pair of them, got (1, 0)",
        ),
        (
            {"padding": -1},
            ParameterError,
            "Conv2dDendriticInput.padding: expected an int >= 0 or a pair of them, got -1",
        ),
        (
            {"stride": "2"},
            ParameterTypeError,
            "Conv2dDendriticInput.stride: expected an int >= 1 or a pair of them, got '2'",
        ),
        ({"current_coef": "x"}, ParameterTypeError, "Conv2dDendriticInput.current_coef: expected a float, got 'x'"),
    ],
)
def test_bad_parameters_are_refused_at_construction(kwargs, error, message):
    with pytest.raises(error) as info:
        Conv2dDendriticInput(**kwargs)
    assert str(info.value) == message


def test_a_dendritic_input_without_a_spike_catcher_names_the_provider():
    synapse = [SynapseInit(), WeightInitializer(mode="random"), SimpleDendriticInput()]
    with pytest.raises(
        ConexError, match="SimpleDendriticInput on synapse inp=>out needs pre_spike, which PreSpikeCatcher provides"
    ):
        wire(3, 2, synapse, src_train=np.zeros((1, 3), bool))


def test_current_is_written_into_the_same_tensor_each_iteration():
    src, dst, behavior, init, _ = layout_case("dense")
    train = spike_train(3, 6)
    net, *_, syn = wire(
        src, dst, [SynapseInit(), WeightInitializer(**init), behavior, PreSpikeCatcher()], src_train=train
    )
    current = syn.I
    net.simulate_iterations(3)
    assert syn.I is current
    assert syn.I.dtype == F64


def test_a_current_coef_changed_during_a_run_takes_effect_at_the_next_iteration():
    src, dst, behavior, init, unrolled = layout_case("dense")
    train = np.ones((4, src), dtype=bool)
    net, *_, syn = wire(
        src, dst, [SynapseInit(), WeightInitializer(**init), behavior, PreSpikeCatcher()], src_train=train
    )
    net.simulate_iterations(2)
    behavior.current_coef = 2.0
    net.simulate_iteration()
    np.testing.assert_allclose(syn.I.numpy(), 2.0 * unrolled.sum(0), atol=1e-12)
