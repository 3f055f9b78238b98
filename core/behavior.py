"""The Behavior protocol: declared parameters, default priority, and what a behavior needs.

A behavior is a :class:`torch.nn.Module` attached to a network object (the network, a neuron
group or a synapse group). The network calls ``initialize(host)`` once and ``forward(host)``
every iteration, in priority order (see :mod:`conex.scheduler`), and ``reset(host)`` when a trial
ends (:meth:`Network.reset <conex.Network.reset>`).

Every subclass becomes an attrs class automatically, so parameters are declared once, with type,
default, unit and doc, validated at construction and introspectable::

    class PreTrace(Behavior):
        priority = Phase.PRE_TRACE
        tau_s: float = param(positional=True, check=gt(0), unit="ms", doc="trace time constant")

A subclass that defines only ``initialize`` and ``forward`` needs nothing else.
"""

from __future__ import annotations

import inspect
import math
import numbers
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar

import attrs
import torch

from conex.errors import ConexError, ParameterError, ParameterTypeError, bad_parameter

__all__ = ["Behavior", "Check", "ParamSpec", "between", "ge", "gt", "one_of", "param", "replica_values"]

_META_KEY = "conex"


@attrs.frozen
class Check:
    """A constraint on a parameter value: a predicate and the words a user reads when it fails."""

    predicate: Callable[[Any], bool]
    expected: str

    def __call__(self, value: Any) -> bool:
        return bool(self.predicate(value))


def gt(bound: float) -> Check:
    """The value must be strictly greater than ``bound``."""
    return Check(lambda v: v > bound, f"> {bound}")


def ge(bound: float) -> Check:
    """The value must be greater than or equal to ``bound``."""
    return Check(lambda v: v >= bound, f">= {bound}")


def between(low: float, high: float, *, low_open: bool = False, high_open: bool = False) -> Check:
    """The value must lie in the interval from ``low`` to ``high`` (closed unless told open)."""
    left, right = "(" if low_open else "[", ")" if high_open else "]"

    def inside(v: float) -> bool:
        above = v > low if low_open else v >= low
        below = v < high if high_open else v <= high
        return above and below

    return Check(inside, f"in {left}{low}, {high}{right}")


def one_of(*choices: Any) -> Check:
    """The value must be one of ``choices``."""
    return Check(lambda v: v in choices, "one of " + ", ".join(repr(c) for c in choices))


@attrs.frozen
class _ParamMeta:
    doc: str
    unit: str | None
    check: Check | None
    per_replica: bool = False
    finite: bool = True
    time_constant: bool | str = False
    signature: tuple[str, ...] | None = None

    def expected(self) -> str | None:
        """What ``conex describe`` says a value must be: the check, the time-step rule, the call signature."""
        parts = [self.check.expected] if self.check is not None else []
        if self.time_constant:
            parts.append(f">= {_clock(self.unit)} (a time constant)")
        if self.signature is not None:
            parts.append(f"callable as f({', '.join(self.signature)})")
        return ", ".join(parts) or None


_EULER_REASON = "a shorter one oscillates"


def _clock(unit: str | None) -> str:
    """The step a time constant is compared with: ``1 iteration`` for one in iterations, else ``dt``."""
    return "1 iteration" if unit == "iterations" else "dt"


def param(
    default: Any = attrs.NOTHING,
    *,
    doc: str = "",
    unit: str | None = None,
    check: Check | None = None,
    positional: bool = False,
    per_replica: bool = False,
    finite: bool = True,
    time_constant: bool | str = False,
    signature: Sequence[str] | None = None,
) -> Any:
    """Declare a behavior parameter.

    Args:
        default: value when the caller gives none; leave out for a required parameter.
        doc: one line saying what the parameter means.
        unit: physical unit, e.g. ``"ms"`` (shown by ``conex describe``).
        check: constraint on the value, e.g. ``gt(0)``.
        positional: accept the parameter positionally (as CoNeX's ``a_plus, a_minus``);
            otherwise it is keyword-only.
        per_replica: a float parameter that may also be given as one value per replica (a list or
            1-D tensor of ``R`` numbers, each checked); see :func:`replica_values`.
        finite: a float parameter refuses ``inf`` and ``-inf`` (NaN always); ``False`` where an
            infinity has a meaning (e.g. "no limit").
        time_constant: the value is a decay time constant: at initialize it must be at least the
            network's step (``dt`` for one in ms, 1 for one in ``unit="iterations"``), which keeps the
            forward-Euler decay per step ``1 - dt / tau`` in ``[0, 1)``. A string says why instead
            of the default reason (for an exact decay ``exp(-dt / tau)``, which is stable anyway).
        signature: the arguments a callable value is called with, e.g. ``("w", "w_min", "w_max")``:
            a callable that cannot be called so is refused at construction.
    """
    meta = _ParamMeta(
        doc=doc,
        unit=unit,
        check=check,
        per_replica=per_replica,
        finite=finite,
        time_constant=time_constant,
        signature=None if signature is None else tuple(signature),
    )
    return attrs.field(default=default, kw_only=not positional, metadata={_META_KEY: meta})


@attrs.frozen
class ParamSpec:
    """What ``conex describe`` shows of one parameter."""

    name: str
    type: str
    default: Any
    required: bool
    unit: str | None
    doc: str
    expected: str | None
    per_replica: bool = False

    def as_dict(self) -> dict[str, Any]:
        default = None if self.required else self.default
        if default is not None and not isinstance(default, (bool, int, float, str)):
            default = repr(default)
        return {
            "name": self.name,
            "type": self.type,
            "default": default,
            "required": self.required,
            "unit": self.unit,
            "doc": self.doc,
            "expected": self.expected,
            "per_replica": self.per_replica,
        }


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "").replace("collections.abc.", "")


_SIMPLE_TYPES = {float: "a float", int: "an int", bool: "a bool", str: "a string"}
_UNION_ORIGINS = {typing.Union, types.UnionType}


def _accepted_types(annotation: Any) -> tuple[tuple[type, ...], bool]:
    """The simple types an annotation admits, and whether it admits None.

    Returns ``((), True/False)`` when the annotation is not made only of simple types, in which
    case no type check is made.
    """
    members = typing.get_args(annotation) if typing.get_origin(annotation) in _UNION_ORIGINS else (annotation,)
    optional = type(None) in members
    simple = tuple(m for m in members if m is not type(None))
    if all(m in _SIMPLE_TYPES for m in simple):
        return simple, optional
    return (), optional


def _checked(owner: str, name: str, value: Any, annotation: Any, meta: _ParamMeta | None) -> Any:
    """``value`` coerced to its annotation and checked against the parameter's declared check."""
    value = _coerce(owner, name, value, annotation, finite=meta is None or meta.finite)
    if meta is not None and meta.signature is not None:
        _check_signature(owner, name, value, meta.signature)
    if meta is not None and meta.check is not None and value is not None:
        try:
            ok = meta.check(value)
        except TypeError:
            ok = False
        if not ok:
            simple, _ = _accepted_types(annotation)
            kind = " or ".join(_SIMPLE_TYPES[t] for t in simple)
            raise bad_parameter(owner, name, value, f"{kind} {meta.check.expected}".strip())
    return value


def _is_sequence(value: Any) -> bool:
    """A list, tuple or 1-D tensor: one value per replica."""
    if isinstance(value, torch.Tensor):
        return value.dim() == 1
    return isinstance(value, (list, tuple))


def _numbers(owner: str, name: str, values: Any) -> list[Any]:
    """The per-replica values as Python numbers (a non-empty sequence)."""
    items = values.tolist() if isinstance(values, torch.Tensor) else list(values)
    if not items:
        raise bad_parameter(owner, name, values, "a number or one number per replica")
    return items


def replica_values(value: Any) -> tuple[float, ...]:
    """Every value a parameter takes: one for a number, one per replica for per-replica values."""
    if isinstance(value, torch.Tensor):
        return tuple(float(v) for v in value.flatten().tolist())
    return (value,)


def _check_signature(owner: str, name: str, value: Any, arguments: tuple[str, ...]) -> None:
    """A callable ``value`` must accept ``arguments`` positionally (strings and None are left to ``validate``)."""
    if isinstance(value, str) or not callable(value):
        return
    try:
        signature = inspect.signature(value)
    except (TypeError, ValueError):  # a builtin without a signature: it is called as it is
        return
    try:
        signature.bind(*arguments)
    except TypeError as exc:
        expected = f"a function f({', '.join(arguments)}) ({exc})"
        shown = f"{getattr(value, '__qualname__', type(value).__name__)}{signature}"
        raise bad_parameter(owner, name, shown, expected, wrong_type=True) from None


def _coerce(owner: str, name: str, value: Any, annotation: Any, *, finite: bool = True) -> Any:
    """Check ``value`` against a simple annotation; ints become floats where a float is declared.

    A float is never NaN, and with ``finite`` never infinite either.
    """
    simple, optional = _accepted_types(annotation)
    if not simple or (value is None and optional):
        return value
    if float in simple and isinstance(value, numbers.Real) and not isinstance(value, bool):
        try:
            value = float(value)
        except OverflowError:  # an int beyond any float
            raise bad_parameter(owner, name, value, "a finite number") from None
        if math.isnan(value):
            raise bad_parameter(owner, name, value, "a number, not NaN")
        if finite and math.isinf(value):
            raise bad_parameter(owner, name, value, "a finite number")
        return value
    if int in simple and isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if any(isinstance(value, t) and not (t is not bool and isinstance(value, bool)) for t in simple):
        return value
    expected = " or ".join(_SIMPLE_TYPES[t] for t in simple) + (" or None" if optional else "")
    raise bad_parameter(owner, name, value, expected, wrong_type=True)


class Behavior(torch.nn.Module):
    """Base class of everything a network object does each iteration.

    Class attributes a subclass may set:

    * ``priority``: default priority (a :class:`~conex.Phase` or int) used when the behavior is
      given in a list rather than a ``{priority: behavior}`` dict.
    * ``initialize_last``: initialize after every other behavior (spike catchers need the axon).
    * ``category``: ``"synapse"``, ``"neuron"`` or ``"network"`` (for the registry and CLI).
    * ``requires``: attribute paths on the host that must exist once the network is initialized,
      e.g. ``("pre_spike", "post_trace", "src.axon")``.
    * ``provides``: attributes this behavior sets on its host, so a missing requirement can be
      reported together with the behavior that would have provided it.
    * ``supports_replicas``: the behavior works on a network of ``R > 1`` replicas, keeping every
      piece of state with a leading replica axis and never mixing replicas; a network with
      replicas refuses, at initialize, a behavior that does not say so.
    """

    priority: ClassVar[int | None] = None
    initialize_last: ClassVar[bool] = False
    category: ClassVar[str] = "any"
    requires: ClassVar[Sequence[str]] = ()
    provides: ClassVar[Sequence[str]] = ()
    supports_replicas: ClassVar[bool] = False
    _conex_manual_init: ClassVar[bool] = False

    def __init__(self) -> None:
        torch.nn.Module.__init__(self)
        self.behavior_enabled = True

    def __attrs_pre_init__(self) -> None:
        Behavior.__init__(self)

    def __attrs_post_init__(self) -> None:
        owner = type(self).__name__
        hints = _resolved_hints(type(self))
        for field in attrs.fields(type(self)):
            meta = field.metadata.get(_META_KEY)
            annotation = hints.get(field.name, field.type)
            given = getattr(self, field.name)
            if meta is not None and meta.per_replica and _is_sequence(given):
                checked = [_checked(owner, field.name, v, annotation, meta) for v in _numbers(owner, field.name, given)]
                value = torch.tensor(checked, dtype=torch.float64)  # placed per replica at initialize
            else:
                value = _checked(owner, field.name, given, annotation, meta)
            object.__setattr__(self, field.name, value)
        self.validate()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in vars(cls):
            cls._conex_manual_init = True
        attrs.define(
            cls,
            slots=False,
            eq=False,
            repr=False,
            init=not cls._conex_manual_init,
            on_setattr=attrs.setters.NO_OP,
        )

    # -- what subclasses override -------------------------------------------------------------

    def validate(self) -> None:
        """Cross-parameter checks (e.g. ``w_min < w_max``); raise ``self.bad_parameter(...)``."""

    def initialize(self, host: Any) -> None:
        """Set up the host's state (tensors on the network's device). Called once."""

    def forward(self, host: Any) -> None:
        """Advance the host by one iteration."""

    def reset(self, host: Any) -> None:
        """Put the host's dynamic state back to where ``initialize`` left it (``Network.reset`` calls it).

        Dynamic state is what the simulation evolves from step to step: voltages, currents, spikes,
        traces, delay buffers, eligibility. Learned state (weights, adaptive thresholds, homeostatic
        variables) and recordings are kept. Reset tensors in place where other behaviors may hold
        them. The default does nothing: right for a behavior whose state is all learned, or which
        recomputes everything it holds every iteration.
        """

    # -- helpers ------------------------------------------------------------------------------

    def place_replica_values(self, host: Any) -> None:
        """Turn per-replica parameter values into tensors of the host network's replicas.

        Called by the network before :meth:`initialize`, after :meth:`check_network_limits`. Values
        given one per replica must be ``R`` of them; they become a ``(R, 1)`` tensor of the network's
        dtype on its device, which broadcasts against per-neuron state ``(R, size)`` (with one
        replica: the plain number).
        """
        self.check_network_limits(host)
        net = host.network
        for field in attrs.fields(type(self)) if attrs.has(type(self)) else ():
            value = getattr(self, field.name)
            meta = field.metadata.get(_META_KEY)
            if meta is None or not meta.per_replica or not isinstance(value, torch.Tensor):
                continue
            if value.numel() != net.replicas:
                expected = f"one value or {net.replicas} (one per replica of {net.label()})"
                raise self.bad_parameter(field.name, value.tolist(), expected, host=host)
            placed = float(value[0]) if net.replicas == 1 else value.to(net.device, net.def_dtype).view(-1, 1)
            object.__setattr__(self, field.name, placed)

    def check_network_limits(self, host: Any) -> None:
        """Check the declared float parameters against the host's network, at initialize.

        Every float value (each replica's too) must fit the network's dtype (``3.4e38`` in float32:
        a larger one would become ``inf`` in the first step), and every declared time constant must
        be at least the network's step (see :func:`param`'s ``time_constant``).
        """
        if not attrs.has(type(self)):
            return
        net = host.network
        largest = torch.finfo(net.def_dtype).max
        for field in attrs.fields(type(self)):
            meta = field.metadata.get(_META_KEY)
            if meta is None:
                continue
            for value in _float_values(getattr(self, field.name), meta.per_replica):
                if math.isfinite(value) and abs(value) > largest:
                    dtype = str(net.def_dtype).replace("torch.", "")
                    expected = f"a value the network's dtype holds (|value| <= {largest:.6g} in {dtype})"
                    raise self.bad_parameter(field.name, value, expected, host=host)
                if meta.time_constant and not value >= _step(net, meta.unit):
                    raise self.bad_parameter(field.name, value, _time_constant_expected(net, meta), host=host)

    def check_tensor(self, name: str, tensor: torch.Tensor, *, host: Any = None, spikes: bool = False) -> torch.Tensor:
        """``tensor``, the value of parameter ``name``, when it holds what the parameter means; else its error.

        Spikes (``spikes=True``) are a bool tensor or one of 0s and 1s. Anything else is numbers: a
        real dtype (not bool, not complex) and, when floating, only finite values (of a sparse
        tensor: its stored values). Give ``host`` at initialize, so the message names it.
        """
        dtype = str(tensor.dtype).replace("torch.", "")
        values = _stored_values(tensor)
        if spikes:
            if tensor.dtype != torch.bool and (tensor.is_complex() or not bool(((values == 0) | (values == 1)).all())):
                got = f"a {dtype} tensor with values other than 0 and 1"
                raise self.bad_parameter(name, got, "spikes: a bool tensor (or one of 0s and 1s)", host=host)
            return tensor
        if tensor.dtype == torch.bool or tensor.is_complex():
            expected = "a tensor of real numbers (a floating dtype)"
            raise self.bad_parameter(name, f"a {dtype} tensor", expected, host=host, wrong_type=True)
        if tensor.is_floating_point():
            bad = int((~torch.isfinite(values)).sum())
            if bad:
                got = f"a {dtype} tensor with {bad} NaN or infinite value{'s' if bad > 1 else ''}"
                raise self.bad_parameter(name, got, "finite values", host=host)
        return tensor

    def error(self, host: Any, message: str) -> ConexError:
        """A :class:`ConexError` naming this behavior and its host, to ``raise`` at initialize."""
        return ConexError(f"{type(self).__name__} on {describe(host)}: {message}")

    def bad_parameter(
        self, name: str, value: Any, expected: str, *, host: Any = None, wrong_type: bool = False
    ) -> ParameterError | ParameterTypeError:
        """The error for this behavior's parameter ``name``, to ``raise``; give ``host`` at initialize.

        The message reads ``Behavior.name on <host>: expected ..., got value`` (see
        :func:`conex.errors.bad_parameter`), and the exception carries the parameter.
        """
        where = describe(host) if host is not None else None
        return bad_parameter(type(self).__name__, name, value, expected, where=where, wrong_type=wrong_type)

    @classmethod
    def describe_parameters(cls) -> tuple[ParamSpec, ...]:
        """The declared parameters, in signature order."""
        if not attrs.has(cls):
            return ()
        hints = _resolved_hints(cls)
        specs = []
        fields = attrs.fields(cls)  # positional ones first, as the signature takes them
        for field in [f for f in fields if not f.kw_only] + [f for f in fields if f.kw_only]:
            meta = field.metadata.get(_META_KEY) or _ParamMeta("", None, None)
            required = field.default is attrs.NOTHING
            specs.append(
                ParamSpec(
                    name=field.name,
                    type=_type_name(hints.get(field.name, field.type)),
                    default=None if required else field.default,
                    required=required,
                    unit=meta.unit,
                    doc=meta.doc,
                    expected=meta.expected(),
                    per_replica=meta.per_replica,
                )
            )
        return tuple(specs)

    def parameter_values(self) -> Iterator[tuple[str, Any]]:
        """``(name, value)`` of every declared parameter of this instance."""
        if attrs.has(type(self)):
            for field in attrs.fields(type(self)):
                yield field.name, getattr(self, field.name)

    def extra_repr(self) -> str:
        return ", ".join(f"{name}={_short(value)}" for name, value in self.parameter_values())


def _stored_values(tensor: torch.Tensor) -> torch.Tensor:
    """The values a tensor stores: all of a strided one, the stored ones of a sparse one."""
    if tensor.layout == torch.strided:
        return tensor
    return tensor.coalesce().values() if tensor.layout == torch.sparse_coo else tensor.values()


def _float_values(value: Any, per_replica: bool) -> tuple[float, ...]:
    """The floats a parameter holds: a float, or each value given one per replica; else none."""
    if isinstance(value, float):
        return (value,)
    if per_replica and isinstance(value, torch.Tensor) and value.dtype == torch.float64 and value.dim() == 1:
        return tuple(value.tolist())
    return ()


def _step(network: Any, unit: str | None) -> float:
    """The smallest time constant the network resolves: its ``dt`` (ms), or 1 for one in iterations."""
    return 1.0 if unit == "iterations" else float(network.dt)


def _time_constant_expected(network: Any, meta: _ParamMeta) -> str:
    """What a time constant below the step is told: the bound, and why (``time_constant`` or forward Euler's)."""
    reason = meta.time_constant if isinstance(meta.time_constant, str) else _EULER_REASON
    if meta.unit == "iterations":
        return f">= 1 iteration ({reason}: its decay per step 1 - 1/tau must not be negative)"
    return f">= dt = {network.dt} ms ({reason})"


def _short(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"tensor(shape={tuple(value.shape)}, dtype={value.dtype})"
    if callable(value) and hasattr(value, "__name__"):
        return value.__name__
    return repr(value)


_HINTS_ATTR = "_conex_resolved_hints"


def _resolved_hints(cls: type) -> dict[str, Any]:
    """Type hints of ``cls`` with string annotations resolved (empty where they cannot be).

    Resolved on first use (a module's later names exist by then) and kept in the class's own
    ``__dict__``, so a subclass resolves its own rather than reading its parent's.
    """
    hints = vars(cls).get(_HINTS_ATTR)
    if hints is None:
        try:
            hints = typing.get_type_hints(cls)
        except Exception:  # noqa: BLE001 - unresolvable user annotations just skip type checks
            hints = {}
        setattr(cls, _HINTS_ATTR, hints)
    return hints


def describe(host: Any) -> str:
    """A short name of a network object for messages: ``synapse input=>exc``, ``neuron group exc``."""
    label = getattr(host, "label", None)
    return label() if callable(label) else type(host).__name__
