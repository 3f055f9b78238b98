"""Fill-mode strings are parsed from a fixed table, never evaluated."""

import pytest
import torch

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


@pytest.mark.parametrize(
    "mode",
    [
        "__import__('os').system('false')",
        "normal(__import__('os'))",
        "eval",
        "normal(1, 2, 3)",
        "zeros(1)",
        "normal(a, b)",
        "normal(True, 1)",
        None,
        [1, 2],
    ],
)
def test_anything_else_is_refused_without_running_it(mode):
    with pytest.raises(ValueError, match="expected"):
        parse_fill(mode)


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
