"""Fill modes: the strings that say how to fill a new tensor (``"normal(0.5, 0.1)"``, ``"zeros"``).

Mode strings come from user code and config files, so they are parsed, never evaluated: a name
from a fixed table and an optional tuple of number literals.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import torch

from conex.errors import bad_parameter

__all__ = ["FILL_MODES", "FillMode", "fill", "parse_fill"]

Filler = Callable[[torch.Tensor, Sequence[float], "torch.Generator | None"], None]


def _uniform(t: torch.Tensor, args: Sequence[float], gen: torch.Generator | None) -> None:
    low, high = args if args else (0.0, 1.0)
    t.uniform_(low, high, generator=gen)


def _normal(t: torch.Tensor, args: Sequence[float], gen: torch.Generator | None) -> None:
    mean, std = args if args else (0.0, 1.0)
    t.normal_(mean, std, generator=gen)


def _constant(value: float) -> Filler:
    return lambda t, args, gen: t.fill_(value)


def _init(name: str) -> Filler:
    """A ``torch.nn.init`` function that takes the generator (xavier, kaiming, orthogonal...)."""
    function = getattr(torch.nn.init, name + "_")
    return lambda t, args, gen: function(t, *args, generator=gen)


# name -> (filler, allowed argument counts)
FILL_MODES: dict[str, tuple[Filler, tuple[int, ...]]] = {
    "zeros": (_constant(0.0), (0,)),
    "ones": (_constant(1.0), (0,)),
    "random": (_uniform, (0, 2)),
    "rand": (_uniform, (0, 2)),
    "uniform": (_uniform, (0, 2)),
    "normal": (_normal, (0, 2)),
    "randn": (_normal, (0, 2)),
    "xavier_uniform": (_init("xavier_uniform"), (0, 1)),
    "xavier_normal": (_init("xavier_normal"), (0, 1)),
    "kaiming_uniform": (_init("kaiming_uniform"), (0, 1)),
    "kaiming_normal": (_init("kaiming_normal"), (0, 1)),
    "orthogonal": (_init("orthogonal"), (0, 1)),
}

_MODE_PATTERN = re.compile(r"^\s*([A-Za-z_]\w*)\s*(\((.*)\))?\s*$")
EXPECTED = (
    "a number or a fill mode: zeros, ones, random/uniform[(low, high)], normal[(mean, std)], "
    "xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal, orthogonal"
)


@attrs.frozen
class FillMode:
    """A parsed fill mode: a constant, or a named filler with its arguments."""

    name: str
    args: tuple[float, ...] = ()

    def apply(self, t: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        if self.name == "constant":
            return t.fill_(self.args[0])
        filler, _ = FILL_MODES[self.name]
        filler(t, self.args, generator)
        return t


# the keyword spellings PymoNNtorch and CoNeX scripts use, e.g. "normal(mean=5, std=3)": names and defaults
KEYWORDS: dict[str, tuple[tuple[str, float], ...]] = {
    "normal": (("mean", 0.0), ("std", 1.0)),
    "randn": (("mean", 0.0), ("std", 1.0)),
    "uniform": (("low", 0.0), ("high", 1.0)),
    "random": (("low", 0.0), ("high", 1.0)),
    "rand": (("low", 0.0), ("high", 1.0)),
}


def _number(node: ast.expr) -> float | None:
    """A number literal (``3``, ``-0.5``) as a float; None for anything else."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except OverflowError:  # an int literal beyond any float: refused as not finite
        return math.inf


def _arguments(filler: str, text: str, owner: str, name: str, mode: str) -> tuple[float, ...]:
    """The number arguments of ``filler(text)``, positional or by keyword (``mean=5, std=3``)."""
    try:
        call = ast.parse(f"f({text})", mode="eval").body
    except (SyntaxError, ValueError, RecursionError):  # ValueError: a null byte
        call = None
    if not isinstance(call, ast.Call):  # "1), g(2" makes a tuple of two calls
        raise bad_parameter(owner, name, mode, "number arguments")
    values = [number for number in map(_number, call.args) if number is not None]
    if len(values) != len(call.args):
        raise bad_parameter(owner, name, mode, "number arguments")
    if not call.keywords:
        return tuple(values)
    names = KEYWORDS.get(filler, ())
    given = dict(zip((n for n, _ in names), values, strict=False))
    for keyword in call.keywords:
        number = _number(keyword.value)
        if keyword.arg not in dict(names) or keyword.arg in given or number is None:
            known = ", ".join(f"{n}=<number>" for n, _ in names) or "none"
            raise bad_parameter(owner, name, mode, f"number arguments; keywords of {filler!r}: {known}")
        given[keyword.arg] = number
    return tuple(given.get(n, default) for n, default in names)


# fillers whose two arguments must be ordered: (low, high) with low <= high, (mean, std) with std >= 0
_RANGES = {"random": "low <= high", "rand": "low <= high", "uniform": "low <= high"}
_SPREADS = {"normal": "std >= 0", "randn": "std >= 0"}


def _checked_arguments(filler: str, args: tuple[float, ...], owner: str, name: str, mode: Any) -> tuple[float, ...]:
    """``args`` when they are finite and make sense for ``filler``; otherwise the parameter's error."""
    if not all(math.isfinite(a) for a in args):
        raise bad_parameter(owner, name, mode, "finite numbers (no inf or NaN)")
    if filler in _RANGES and len(args) == 2 and not args[0] <= args[1]:
        raise bad_parameter(owner, name, mode, f"{filler}(low, high) with {_RANGES[filler]}")
    if filler in _SPREADS and len(args) == 2 and not args[1] >= 0:
        raise bad_parameter(owner, name, mode, f"{filler}(mean, std) with {_SPREADS[filler]}")
    return args


def parse_fill(mode: str | float | int, *, owner: str = "fill", name: str = "mode") -> FillMode:
    """Parse a fill mode given as parameter ``owner.name``.

    Anything else is a :class:`~conex.ParameterError` (a ``ValueError``) naming ``owner.name`` and
    the accepted forms, so a behavior can let it through as its own parameter's error. Numbers must
    be finite, ``uniform(low, high)`` needs ``low <= high`` and ``normal(mean, std)`` ``std >= 0``.
    """
    if isinstance(mode, (int, float)) and not isinstance(mode, bool):
        try:
            value = float(mode)
        except OverflowError:  # an int beyond any float
            raise bad_parameter(owner, name, mode, "a finite number") from None
        return FillMode("constant", _checked_arguments("constant", (value,), owner, name, mode))
    if not isinstance(mode, str):
        raise bad_parameter(owner, name, mode, EXPECTED)
    match = _MODE_PATTERN.match(mode)
    if match is None:
        try:
            value = float(mode)
        except ValueError:
            raise bad_parameter(owner, name, mode, EXPECTED) from None
        return FillMode("constant", _checked_arguments("constant", (value,), owner, name, mode))
    filler_name, arg_text = match.group(1), match.group(3)
    if filler_name not in FILL_MODES:
        raise bad_parameter(owner, name, mode, EXPECTED)
    args: tuple[float, ...] = ()
    if arg_text is not None and arg_text.strip():
        args = _arguments(filler_name, arg_text, owner, name, mode)
    counts = FILL_MODES[filler_name][1]
    if len(args) not in counts:
        raise bad_parameter(owner, name, mode, f"{' or '.join(str(c) for c in counts)} arguments for {filler_name!r}")
    return FillMode(filler_name, _checked_arguments(filler_name, args, owner, name, mode))


def fill(
    mode: str | float | int | FillMode,
    shape: Sequence[int],
    *,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """A new tensor of ``shape`` filled as ``mode`` says, drawing randomness from ``generator``."""
    parsed = mode if isinstance(mode, FillMode) else parse_fill(mode)
    return parsed.apply(torch.empty(tuple(shape), device=device, dtype=dtype), generator)
