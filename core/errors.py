"""The exceptions conex raises for user mistakes.

Every message names the object (group tag), the behavior, the parameter, the value and what was
expected. None of them relies on ``assert``, so validation holds under ``python -O``.

A bad parameter is raised one way: :func:`bad_parameter` (or its method form
``Behavior.bad_parameter``), so every such error carries the parameter and a config loader can
point at its place in the file.
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
]


class ConexError(ValueError):
    """A structural problem found while building or initializing a network.

    Examples: shapes that do not fit the groups, a delay longer than the axon keeps, a behavior
    whose inputs no other behavior provides.
    """


class _Located:
    """What :func:`bad_parameter` records: ``owner`` (the behavior's class name), ``parameter``,
    ``value``, ``expected`` and ``where`` (the host, when raised at initialize)."""

    owner: str | None = None
    parameter: str | None = None
    value: Any = None
    expected: str | None = None
    where: str | None = None


class ParameterError(_Located, ConexError):
    """A parameter value outside what the behavior accepts (e.g. ``tau_s=0``), made by :func:`bad_parameter`."""


class ParameterTypeError(_Located, TypeError):
    """A parameter value of the wrong type (e.g. ``tau_s="abc"``); same fields as ParameterError."""


class UnknownBehaviorError(LookupError):
    """No registered behavior has the requested name."""


class AmbiguousBehaviorError(LookupError):
    """Two plugins register the same behavior name; use the qualified ``plugin:Name``."""


def bad_parameter(
    owner: str, name: str, value: Any, expected: str, *, where: str | None = None, wrong_type: bool = False
) -> ParameterError | ParameterTypeError:
    """The exception for one bad parameter ``owner.name``, to ``raise``.

    The message is ``Owner.name: expected ..., got value``, or ``Owner.name on <where>: ...`` when
    ``where`` names the host (``"synapse input=>exc"``). ``wrong_type`` makes it a
    :class:`ParameterTypeError` (a ``TypeError``), otherwise a :class:`ParameterError` (a ``ValueError``).
    """
    place = f"{owner}.{name}" if where is None else f"{owner}.{name} on {where}"
    exc = (ParameterTypeError if wrong_type else ParameterError)(f"{place}: expected {expected}, got {value!r}")
    exc.owner, exc.parameter, exc.value, exc.expected, exc.where = owner, name, value, expected, where
    return exc
