"""A registry-wide sweep of bad numbers, as NEST's test suite sweeps its models.

For every registered behavior (and the conex-triplet plugin's, from its source tree when it is not
installed) and each of its numeric parameters, the values 0, -1, NaN, +inf, -inf and 1e39 (beyond
float32) are tried on the host its conformance entry runs it on, in a float32 network. Each must
either be refused with a clean conex error naming the parameter, at construction or at
``initialize`` (before the first step), or run a few steps with every piece of state finite.
"""

from __future__ import annotations

import importlib
import math
import numbers
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest
import torch

from conex import ConexError, ParameterError, ParameterTypeError
from conex.behavior import Behavior, _accepted_types, _resolved_hints
from conex.registry import Registry
from conex.state import non_finite
from conex.testing import ConformanceEntry, build
from conex_std.conformance import CONFORMANCE as STD

CATEGORY = "parameter-sweep"
BAD_VALUES = {"zero": 0, "negative": -1, "nan": math.nan, "inf": math.inf, "-inf": -math.inf, "1e39": 1e39}
STEPS = 4
TRIPLET_SOURCE = Path(__file__).resolve().parents[2] / "plugins" / "conex-triplet" / "src"


def _triplet() -> list[tuple[ConformanceEntry, type[Behavior]]]:
    """The triplet plugin's entries with their classes (imported from its source tree if not installed)."""
    if importlib.util.find_spec("conex_triplet") is None:
        sys.path.insert(0, str(TRIPLET_SOURCE))
    database = importlib.import_module("conex_triplet.conformance").CONFORMANCE
    classes = {cls.__name__: cls for cls in importlib.import_module("conex_triplet").BEHAVIORS}
    return [(entry, classes[entry.name]) for entry in database]


def _subjects() -> list[tuple[ConformanceEntry, type[Behavior]]]:
    """Every registered behavior with its conformance entry (how to build and where to run it)."""
    by_name = {entry.name: entry for entry in STD}
    registry = Registry.installed()
    found = [(by_name[entry.name], entry.cls) for entry in registry if entry.plugin == "std"]
    if not any(entry.plugin == "triplet" for entry in registry):
        found += _triplet()
    else:
        found += [(e, e.cls()) for e, _ in _triplet()]
    return found


def _numeric(cls: type[Behavior]) -> list[tuple[str, bool]]:
    """``(name, is_int)`` of each parameter that takes a number: declared int/float, or a number by default."""
    hints = _resolved_hints(cls)
    found = []
    for field in attrs.fields(cls):
        simple, _ = _accepted_types(hints.get(field.name, field.type))
        default = field.default
        number_default = isinstance(default, numbers.Real) and not isinstance(default, bool)
        if float in simple or (not simple and number_default and not isinstance(default, int)):
            found.append((field.name, False))
        elif int in simple or (not simple and number_default):
            found.append((field.name, True))
    return found


def _cases() -> list[Any]:
    cases = []
    for entry, cls in _subjects():
        if entry.abstract:
            continue
        for name, is_int in _numeric(cls):
            for label, value in BAD_VALUES.items():
                if is_int and label in ("zero", "negative"):
                    value = int(value)
                cases.append(pytest.param(entry, cls, name, value, id=f"{CATEGORY}-{cls.__name__}.{name}={label}"))
    return cases


CASES = _cases()


def _refusal_names(exc: BaseException, name: str) -> bool:
    return name in str(exc) or getattr(exc, "parameter", None) == name


def test_the_sweep_covers_every_registered_behavior_and_many_values():
    swept = {case.values[1].__name__ for case in CASES}
    registered = {entry.name for entry in Registry.installed() if entry.plugin == "std"}
    abstract = {entry.name for entry in STD if entry.abstract}
    without_numbers = {cls.__name__ for entry, cls in _subjects() if not _numeric(cls)}
    assert registered - abstract - without_numbers <= swept
    assert {"LIF", "SimpleSTDP", "WeightClip", "SimpleRSTDP", "SimpleTripletSTDP"} <= swept
    assert len(CASES) >= 500


@pytest.mark.parametrize(("entry", "cls", "name", "value"), CASES)
def test_a_bad_number_is_refused_cleanly_or_runs_finite(entry, cls, name, value):
    refused = None
    try:
        behavior = entry.make(cls, **{name: value})
    except (ParameterError, ParameterTypeError, ConexError) as exc:
        refused = exc
    if refused is not None:
        assert _refusal_names(refused, name), f"{type(refused).__name__} does not name {name}: {refused}"
        return
    built = build(behavior, entry.host_spec(cls), priority=entry.priority, dtype=torch.float32, initialize=False)
    try:
        built.net.initialize()
    except (ParameterError, ParameterTypeError, ConexError) as exc:
        refused = exc
    if refused is not None:
        assert built.net.iteration == 0
        assert _refusal_names(refused, name), f"{type(refused).__name__} does not name {name}: {refused}"
        return
    built.run(STEPS)
    bad = [f"{obj.label()}: {path}" for obj, path in non_finite(built.net._objects)]
    assert not bad, f"{cls.__name__}({name}={value!r}) ran into non-finite state: {', '.join(bad)}"
