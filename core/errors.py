"""The exceptions conex raises for user mistakes.

Every message names the object (group tag), the behavior, the parameter, the value and what was
expected. None of them relies on ``assert``, so validation holds under ``python -O``.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AmbiguousBehaviorError",
    "ConexError",
    "ParameterError",
    "ParameterTypeError",
    "UnknownBehaviorError",
    "bad_parameter",
    "parameter_message",
]


class ConexError(ValueError):
    """A structural problem found while building or initializing a network.

    Examples: shapes that do not fit the groups, a delay longer than the axon keeps, a behavior
    whose inputs no other behavior provides.
    """


class ParameterError(ConexError):
    """A parameter value outside what the behavior accepts (e.g. ``tau_s=0``).

    When raised for one parameter, ``parameter``, ``value`` and ``expected`` say which, so a config
    loader can point at the place in the file.
    """

    parameter: str | None = None
    value: Any = None
    expected: str | None = None


class ParameterTypeError(TypeError):
    """A parameter value of the wrong type (e.g. ``tau_s="abc"``); same fields as ParameterError."""

    parameter: str | None = None
    value: Any = None
    expected: str | None = None


class UnknownBehaviorError(LookupError):
    """No registered behavior has the requested name."""


class AmbiguousBehaviorError(LookupError):
    """Two plugins register the same behavior name; use the qualified ``plugin:Name``."""


def parameter_message(owner: str, name: str, value: Any, expected: str) -> str:
    """The one-line form of a parameter error: ``Owner.name: expected ..., got value``."""
    return f"{owner}.{name}: expected {expected}, got {value!r}"


def bad_parameter(
    owner: str, name: str, value: Any, expected: str, *, wrong_type: bool = False
) -> ParameterError | ParameterTypeError:
    """The exception for one bad parameter, carrying ``parameter``, ``value`` and ``expected``."""
    exc = (ParameterTypeError if wrong_type else ParameterError)(parameter_message(owner, name, value, expected))
    exc.parameter, exc.value, exc.expected = name, value, expected
    return exc
