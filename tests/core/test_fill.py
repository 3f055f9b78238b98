"""Fill-mode strings are parsed from a fixed table, never evaluated."""

import pytest
import torch

from conex import ParameterError
from conex.fill import FillMode, fill, parse_fill


@pytest.mark.parametrize(
    ("mode", "parsed"),
    [
        ("zeros", FillMode("zeros")),
        ("ones", FillMode("ones")),
        (0.25, FillMode("constant", (0.25,))),
        (3, FillMode("constant", (3.0,))),
        ("0.5", FillMode("constant", (0.5,))),
        ("normal(0.5, 0.1)", FillMode("normal", (0.5, 0.1))),
        (" uniform( -1 , 2 ) ", FillMode("uniform", (-1.0, 2.0))),
        ("random", FillMode("random")),
        ("xavier_uniform(2)", FillMode("xavier_uniform", (2.0,))),
    ],
)
def test_modes_parse(mode, parsed):
    assert parse_fill(mode) == parsed


EXPECTED = (
    "a number or a fill mode: zeros, ones, random/uniform[(low, high)], normal[(mean, std)], "
    "xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal, orthogonal"
)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("__import__('os').system('false')", EXPECTED),
        ("normal(__import__('os'))", "number arguments"),
        ("eval", EXPECTED),
        ("normal(1, 2, 3)", "0 or 2 arguments for 'normal'"),
        ("zeros(1)", "0 arguments for 'zeros'"),
        ("normal(a, b)", "number arguments"),
        ("normal(True, 1)", "number arguments"),
        (None, EXPECTED),
        ([1, 2], EXPECTED),
    ],
)
def test_anything_else_is_refused_without_running_it(mode, expected):
    with pytest.raises(ParameterError) as info:
        parse_fill(mode)
    assert isinstance(info.value, ValueError)
    assert str(info.value) == f"fill.mode: expected {expected}, got {mode!r}"
    assert (info.value.owner, info.value.parameter, info.value.value, info.value.expected) == (
        "fill",
        "mode",
        mode,
        expected,
    )


def test_a_refused_mode_is_named_as_the_parameter_it_was_given_for():
    with pytest.raises(ParameterError) as info:
        parse_fill("gauss", owner="InherentNoise", name="mode")
    assert str(info.value) == f"InherentNoise.mode: expected {EXPECTED}, got 'gauss'"
    with pytest.raises(ParameterError, match=r"^WeightInitializer\.init: expected 0 or 1 arguments for 'orthogonal'"):
        parse_fill("orthogonal(1, 2)", owner="WeightInitializer", name="init")
    with pytest.raises(ParameterError, match=r"^fill\.mode: expected a number or a fill mode"):
        fill("banana", (2,))


def test_fill_values():
    assert torch.equal(fill("ones", (2, 3)), torch.ones(2, 3))
    assert torch.equal(fill(-2, (3,), dtype=torch.float64), torch.full((3,), -2.0, dtype=torch.float64))
    g = torch.Generator().manual_seed(0)
    x = fill("uniform(2, 3)", (10_000,), generator=g)
    assert x.min() >= 2
    assert x.max() < 3
    assert abs(x.mean().item() - 2.5) < 0.02
    y = fill("normal(1, 0.5)", (20_000,), generator=torch.Generator().manual_seed(1))
    assert abs(y.mean().item() - 1) < 0.02
    assert abs(y.std().item() - 0.5) < 0.02


def test_fill_draws_only_from_the_given_generator():
    a = fill("normal", (5,), generator=torch.Generator().manual_seed(4))
    b = fill("normal", (5,), generator=torch.Generator().manual_seed(4))
    assert torch.equal(a, b)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("normal(0.5, -1)", "normal(mean, std) with std >= 0"),
        ("randn(mean=0, std=-0.1)", "randn(mean, std) with std >= 0"),
        ("uniform(1, 0)", "uniform(low, high) with low <= high"),
        ("random(high=0, low=1)", "random(low, high) with low <= high"),
        ("normal(1e999, 1)", "finite numbers (no inf or NaN)"),
        ("uniform(0, 1" + "0" * 400 + ")", "finite numbers (no inf or NaN)"),
        ("-1e999", "finite numbers (no inf or NaN)"),
        (float("inf"), "finite numbers (no inf or NaN)"),
        (10**400, "a finite number"),
    ],
)
def test_arguments_that_torch_would_refuse_or_that_are_not_finite_are_parameter_errors(mode, expected):
    with pytest.raises(ParameterError) as info:
        parse_fill(mode, owner="WeightInitializer")
    assert str(info.value) == f"WeightInitializer.mode: expected {expected}, got {mode!r}"
    assert (info.value.owner, info.value.parameter) == ("WeightInitializer", "mode")


def test_equal_bounds_and_a_zero_spread_are_accepted_and_fill_constants():
    assert torch.equal(fill("uniform(2, 2)", (3,)), torch.full((3,), 2.0))
    assert torch.equal(fill("normal(0.5, 0)", (3,)), torch.full((3,), 0.5))
