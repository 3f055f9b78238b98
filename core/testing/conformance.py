"""The conformance suite: generic checks every registered behavior must pass.

As PyTorch's ``module_db`` + ``@modules``, a plugin lists one :class:`ConformanceEntry` per behavior
it registers (how to construct it, on what host to run it) and the same checks run over all of them:

=================  ===========================================================================
check              what it asserts
=================  ===========================================================================
``declares``       a docstring, a known category, a doc line for every parameter
``constructs``     builds from the entry's arguments (none: from defaults); required parameters
                   really are required
``validates``      a wrong type or a value its check refuses raises ParameterTypeError /
                   ParameterError naming behavior, parameter and value; the entry's
                   :class:`Invalid` cases fail as declared
``repr``           ``repr`` shows the class and ``name=value`` for every parameter
``device_dtype``   after initialize and a few steps every floating tensor it made is in the
                   network's dtype (float64 here) and every tensor is on the network's device
                   (also on CUDA when available)
``deterministic``  two runs with one seed are bit-identical, and the global torch RNG is untouched
``independent``    two instances share no mutable default, no tensor storage and no class-level
                   state: running two side by side gives what running one alone gives
``resets``         ``Network.reset`` right after initialize changes nothing, after a run a second
                   reset changes nothing more, and a reset draws no random numbers
``replicas``       with ``supports_replicas``: in a network of several replicas, changing one
                   replica's state and inputs changes nothing in the others; without it: such a
                   network refuses the behavior at initialize
=================  ===========================================================================

:func:`missing_entries` / :func:`assert_complete` compare a database with what a plugin registers,
and :func:`conformance_suite` turns a database into a pytest test class.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs
import torch

from conex.behavior import Behavior, _accepted_types, _resolved_hints
from conex.errors import ConexError, ParameterError, ParameterTypeError
from conex.registry import Registry, get_registry
from conex.state import tensors_in
from conex.testing.hosts import (
    Built,
    HostSpec,
    NetworkHost,
    NeuronHost,
    Stimulus,
    SynapseHost,
    SynapseStandIn,
    behavior_state,
    build,
)

__all__ = [
    "CHECKS",
    "RUNTIME_CHECKS",
    "ConformanceEntry",
    "ConformanceError",
    "Invalid",
    "assert_complete",
    "check_constructs",
    "check_declares",
    "check_deterministic",
    "check_device_dtype",
    "check_independent",
    "check_replicas",
    "check_repr",
    "check_resets",
    "check_validates",
    "conformance_cases",
    "conformance_suite",
    "missing_entries",
]

CATEGORIES = ("synapse", "neuron", "network", "any")


class ConformanceError(AssertionError):
    """A behavior failed a conformance check; the message says which behavior, check and why."""


@attrs.frozen
class Invalid:
    """A construction the behavior must refuse.

    Args:
        kwargs: arguments that replace or extend the entry's.
        error: the exception class expected (a subclass is accepted).
        match: text the message must contain.
        at: ``"construct"`` (the constructor raises) or ``"initialize"`` (``net.initialize()``
            raises, on ``host`` or the entry's host).
        host: the host for ``at="initialize"`` cases, if not the entry's.
    """

    kwargs: Mapping[str, Any]
    error: type[BaseException] = ParameterError
    match: str = ""
    at: str = attrs.field(default="construct", validator=attrs.validators.in_(("construct", "initialize")))
    host: HostSpec | None = None


@attrs.frozen
class ConformanceEntry:
    """How to test one registered behavior.

    Args:
        name: the registered name (``Name`` or ``plugin:Name``).
        kwargs: constructor arguments of an example instance (empty: the defaults).
        host: where to run it: :class:`NeuronHost`, :class:`SynapseHost` (with a layout) or
            :class:`NetworkHost`; by default chosen from the behavior's category.
        priority: where to place it, if not its class's default priority.
        invalid: constructions it must refuse, beyond the generic ones.
        abstract: a reason, for a base class that cannot run on its own: only the checks that do
            not run it are made.
        steps: iterations the runtime checks simulate.
    """

    name: str
    kwargs: Mapping[str, Any] = attrs.field(factory=dict)
    host: HostSpec | None = None
    priority: float | None = None
    invalid: Sequence[Invalid] = ()
    abstract: str | None = None
    steps: int = 5

    def cls(self, registry: Registry | None = None) -> type[Behavior]:
        """The behavior class, looked up in ``registry`` (default: the installed plugins')."""
        return (registry or get_registry()).get(self.name)

    def host_spec(self, cls: type[Behavior]) -> HostSpec:
        if self.host is not None:
            return self.host
        return {"synapse": SynapseHost, "network": NetworkHost}.get(cls.category, NeuronHost)()

    def make(self, cls: type[Behavior], **overrides: Any) -> Behavior:
        return cls(**{**self.kwargs, **overrides})

    def build(self, cls: type[Behavior], **options: Any) -> Any:
        """The behavior built (not yet run) on its host; options go to :func:`conex.testing.build`."""
        return build(self.make(cls), self.host_spec(cls), priority=self.priority, **options)


def _fail(cls: type, check: str, message: str) -> ConformanceError:
    return ConformanceError(f"{cls.__name__} fails {check}: {message}")


# -- static checks ----------------------------------------------------------------------------------


def check_declares(entry: ConformanceEntry, cls: type[Behavior]) -> None:
    """A docstring, a known category and a doc line for every parameter (``conex describe`` shows them)."""
    if not (cls.__doc__ or "").strip():
        raise _fail(cls, "declares", "the class has no docstring (its first line is the registry's description)")
    if cls.category not in CATEGORIES:
        raise _fail(cls, "declares", f"category {cls.category!r} is not one of {', '.join(CATEGORIES)}")
    undocumented = [p.name for p in cls.describe_parameters() if not p.doc.strip()]
    if undocumented:
        raise _fail(cls, "declares", f"parameters without doc=...: {', '.join(undocumented)}")


def check_constructs(entry: ConformanceEntry, cls: type[Behavior]) -> None:
    """Builds from the entry's arguments; leaving out a required parameter is a TypeError."""
    required = [spec.name for spec in cls.describe_parameters() if spec.required]
    missing = [name for name in required if name not in entry.kwargs]
    if missing:
        raise _fail(cls, "constructs", f"required parameter {missing[0]!r} missing from the entry's kwargs")
    try:
        behavior = entry.make(cls)
    except Exception as exc:
        raise _fail(cls, "constructs", f"{cls.__name__}(**{dict(entry.kwargs)!r}) raised {exc!r}") from exc
    if not isinstance(behavior, Behavior):
        raise _fail(cls, "constructs", f"constructing gave a {type(behavior).__name__}, not a Behavior")
    if not behavior.behavior_enabled:
        raise _fail(cls, "constructs", "a new instance is disabled (behavior_enabled is False)")
    for name in required:
        try:
            cls(**{k: v for k, v in entry.kwargs.items() if k != name})
        except TypeError as exc:
            if name not in str(exc):
                raise _fail(cls, "constructs", f"leaving out {name!r} raised {exc!r}, not naming it") from exc
        else:
            raise _fail(cls, "constructs", f"required parameter {name!r} can be left out")


_FLOAT_PROBES = (-1e6, -1.0, -1e-3, 0.0, 1e-3, 0.5, 1.0, 1.5, 1e6)
_INT_PROBES = (-1000, -1, 0, 1, 2, 1000)


def _wrong_type(simple: tuple[type, ...]) -> Any:
    """A value none of the ``simple`` types accepts (numbers are coerced, so a string or an object)."""
    return object() if str in simple else "not-a-value"


def _refused_value(meta_check: Any, simple: tuple[type, ...]) -> Any:
    probes = _FLOAT_PROBES if float in simple else _INT_PROBES if int in simple else ()
    for value in probes:
        try:
            if not meta_check(value):
                return value
        except TypeError:
            continue
    return None


def _expect_refusal(
    cls: type,
    kwargs: Mapping[str, Any],
    error: type[BaseException],
    words: Sequence[str],
    host: HostSpec | None = None,
    priority: float | None = None,
) -> None:
    """Constructing ``cls(**kwargs)`` (or with ``host``, initializing it there) raises ``error`` naming ``words``."""
    what = f"{dict(kwargs)!r}" if host is None else f"{dict(kwargs)!r} on {host!r} at initialize"
    try:
        behavior = cls(**kwargs)
        if host is not None:
            build(behavior, host, priority=priority)
    except error as exc:
        message = str(exc)
        missing = [w for w in words if w not in message]
        if missing:
            raise _fail(cls, "validates", f"the message {message!r} does not name {', '.join(missing)}") from exc
    except Exception as exc:
        raise _fail(cls, "validates", f"{what} raised {exc!r}, expected {error.__name__}") from exc
    else:
        raise _fail(cls, "validates", f"{what} was accepted, expected {error.__name__}")


def check_validates(entry: ConformanceEntry, cls: type[Behavior]) -> None:
    """Wrong types and refused values raise errors naming behavior, parameter and value; ``invalid`` cases fail."""
    hints = _resolved_hints(cls)
    for field in attrs.fields(cls):
        simple, _ = _accepted_types(hints.get(field.name, field.type))
        if not simple:
            continue
        wrong = _wrong_type(simple)
        _expect_refusal(cls, {**entry.kwargs, field.name: wrong}, ParameterTypeError, (cls.__name__, field.name))
        meta = field.metadata.get("conex")
        check = getattr(meta, "check", None)
        refused = None if check is None else _refused_value(check, simple)
        if refused is not None:
            shown = repr(float(refused)) if float in simple else repr(refused)
            words = (cls.__name__, field.name, shown)
            _expect_refusal(cls, {**entry.kwargs, field.name: refused}, ParameterError, words)
    for case in entry.invalid:
        kwargs = {**entry.kwargs, **case.kwargs}
        host = None if case.at == "construct" else case.host or entry.host_spec(cls)
        _expect_refusal(cls, kwargs, case.error, (case.match,) if case.match else (), host, entry.priority)


def check_repr(entry: ConformanceEntry, cls: type[Behavior]) -> None:
    """``repr`` names the class and shows ``name=value`` for each declared parameter."""
    behavior = entry.make(cls)
    text = repr(behavior)
    if not text.startswith(f"{cls.__name__}("):
        raise _fail(cls, "repr", f"repr {text!r} does not start with {cls.__name__}(")
    missing = [name for name, _ in behavior.parameter_values() if f"{name}=" not in text]
    if missing:
        raise _fail(cls, "repr", f"repr {text!r} does not show {', '.join(missing)}")


# -- runtime checks ---------------------------------------------------------------------------------


def _devices() -> list[str]:
    return ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]


def _on(device: torch.device, tensor: torch.Tensor) -> bool:
    return tensor.device.type == device.type and (device.index is None or tensor.device.index == device.index)


def check_device_dtype(entry: ConformanceEntry, cls: type[Behavior]) -> None:
    """Every floating tensor is in the network's dtype, every tensor on its device (float64; CUDA too)."""
    for device in _devices():
        built = entry.build(cls, dtype=torch.float64, device=device).run(entry.steps)
        net = built.net
        for path, value in _tensors(built.state()):
            if value.is_floating_point() and value.dtype != net.def_dtype:
                raise _fail(cls, "device_dtype", f"{path} is {value.dtype}, the network's dtype is {net.def_dtype}")
            if not _on(net.device, value):
                raise _fail(cls, "device_dtype", f"{path} is on {value.device}, the network is on {net.device}")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        if a.layout != b.layout or a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.is_sparse:
            a, b = a.coalesce(), b.coalesce()
            return torch.equal(a.indices(), b.indices()) and torch.equal(a.values(), b.values())
        return bool(torch.equal(a, b)) or bool(a.is_floating_point() and torch.allclose(a, b, 0, 0, equal_nan=True))
    if isinstance(a, (list, tuple)) and type(a) is type(b):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and type(a) is type(b):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return type(a) is type(b) and bool(a == b)
    except RuntimeError:  # containers of tensors that compare element by element (a set)
        return repr(a) == repr(b)


def _differences(first: Mapping[str, Any], second: Mapping[str, Any]) -> list[str]:
    keys = sorted(set(first) | set(second))
    return [k for k in keys if k not in first or k not in second or not _same(first[k], second[k])]


def _tensors(state: Iterable[tuple[str, Any]] | Mapping[str, Any]) -> Iterator[tuple[str, torch.Tensor]]:
    """``(path, tensor)`` of every tensor in a state (``(path, value)`` pairs, or a dict of them)."""
    for path, value in state.items() if isinstance(state, Mapping) else state:
        yield from tensors_in(path, value)


def check_deterministic(entry: ConformanceEntry, cls: type[Behavior]) -> None:
    """Two runs with the same seed end bit-identical, and the global torch RNG is never drawn from."""
    global_state = torch.random.get_rng_state()
    runs = [entry.build(cls, seed=1234).run(entry.steps).state() for _ in range(2)]
    if not torch.equal(torch.random.get_rng_state(), global_state):
        raise _fail(cls, "deterministic", "it draws from the global torch RNG: use network.generator")
    differing = _differences(*runs)
    if differing:
        raise _fail(cls, "deterministic", f"two runs with one seed differ in {', '.join(differing[:5])}")


def _mutable(value: Any) -> bool:
    return isinstance(value, (list, dict, set, bytearray, torch.Tensor)) or (
        hasattr(value, "__dict__") and not isinstance(value, (type, numbers.Number, str)) and not callable(value)
    )


def _class_state(cls: type) -> dict[str, Any]:
    """Deep copies of the mutable containers in the class dicts between ``cls`` and Behavior."""
    found = {}
    for klass in cls.__mro__:
        if klass is Behavior:
            break
        for name, value in vars(klass).items():
            if isinstance(value, (list, dict, set, bytearray)) and not name.startswith("__"):
                found[f"{klass.__name__}.{name}"] = copy.deepcopy(value)
    return found


def _storages(behavior: Behavior) -> dict[int, str]:
    """Storage address -> path of the tensors a behavior made (not those it was given as parameters)."""
    given = {v.untyped_storage().data_ptr() for _, v in _tensors(behavior.parameter_values()) if _dense_tensor(v)}
    found = {v.untyped_storage().data_ptr(): path for path, v in _tensors(behavior_state(behavior)) if _dense_tensor(v)}
    return {ptr: path for ptr, path in found.items() if ptr not in given}


def _dense_tensor(value: torch.Tensor) -> bool:
    return not value.is_sparse and value.numel() > 0


def check_independent(entry: ConformanceEntry, cls: type[Behavior]) -> None:
    """Two instances share no mutable default, no storage and no class-level state."""
    first, second = entry.make(cls), entry.make(cls)
    for name, value in first.parameter_values():
        if name not in entry.kwargs and _mutable(value) and value is getattr(second, name):
            raise _fail(cls, "independent", f"instances share the default object of {name!r}: use a factory")
    before = _class_state(cls)
    solo = entry.build(cls, seed=99)
    solo.run(entry.steps)
    left, right = entry.build(cls, seed=99), entry.build(cls, seed=99)
    for _ in range(entry.steps):
        left.run(1)
        right.run(1)
    shared = set(_storages(left.behavior)) & set(_storages(right.behavior))
    if shared:
        paths = sorted(_storages(left.behavior)[p] for p in shared)
        raise _fail(cls, "independent", f"two instances share the storage of {', '.join(paths)}")
    for run in (left, right):
        differing = _differences(solo.state(), run.state())
        if differing:
            raise _fail(cls, "independent", f"running two instances side by side changes {', '.join(differing[:5])}")
    after = _class_state(cls)
    changed = [k for k in before if not _same(before[k], after.get(k))]
    if changed:
        raise _fail(cls, "independent", f"running it changes class-level state {', '.join(changed)}")


def check_resets(entry: ConformanceEntry, cls: type[Behavior]) -> None:
    """``reset`` puts back what initialize left (so right after it, it changes nothing), and no more."""
    built = entry.build(cls, seed=7)
    _reset_changes_nothing(built, cls, "right after initialize")
    built.run(entry.steps)
    built.net.reset()
    _reset_changes_nothing(built, cls, "after a run and a reset")


def _reset_changes_nothing(built: Built, cls: type[Behavior], when: str) -> None:
    net = built.net
    before, generator = built.state(), net.generator.get_state()
    net.reset()
    changed = _differences(before, built.state())
    if changed:
        raise _fail(cls, "resets", f"a reset {when} changes {', '.join(changed[:5])}")
    if not torch.equal(net.generator.get_state(), generator):
        raise _fail(cls, "resets", "a reset draws from network.generator: keep a copy of what initialize drew")


REPLICAS = 7  # a count no host's sizes share, so a leading axis of 7 is the replica axis


def check_replicas(entry: ConformanceEntry, cls: type[Behavior]) -> None:
    """Replicas never interact: making replica 0's state and inputs differ leaves every other replica bit-identical."""
    if not cls.supports_replicas:
        try:
            entry.build(cls, replicas=REPLICAS)
        except ConexError as exc:
            if "does not support replicas" in str(exc):
                return
            raise
        raise _fail(cls, "replicas", "supports_replicas is False, yet a network of replicas accepted it")
    plain, perturbed = entry.build(cls, seed=5, replicas=REPLICAS), entry.build(cls, seed=5, replicas=REPLICAS)
    for path, value in _per_replica(perturbed.state()):  # what initialize left, replica 0 only
        _perturb(_live(perturbed, path), value)
    for obj in perturbed.objects():  # and what the stand-ins feed it every step
        for stand_in in obj.behavior.values():
            if isinstance(stand_in, (Stimulus, SynapseStandIn)):
                stand_in.skew_first_replica = True
    plain.run(entry.steps)
    perturbed.run(entry.steps)
    first, second = dict(_per_replica(plain.state())), dict(_per_replica(perturbed.state()))
    crossed = [path for path in first if path in second and not _same(first[path][1:], second[path][1:])]
    if crossed:
        raise _fail(cls, "replicas", f"changing replica 0 changes the other replicas' {', '.join(crossed[:5])}")


def _per_replica(state: Mapping[str, Any]) -> Iterator[tuple[str, torch.Tensor]]:
    """The dense tensors of a state that have a leading replica axis."""
    for path, value in state.items():
        if isinstance(value, torch.Tensor) and not value.is_sparse and value.dim() and value.shape[0] == REPLICAS:
            yield path, value


def _live(built: Built, path: str) -> torch.Tensor | None:
    """The tensor a state path names on the built network (objects' attributes only), or None."""
    for obj in built.objects():
        prefix = f"{obj.label()}."
        if path.startswith(prefix) and "." not in path[len(prefix) :]:
            found = getattr(obj, path[len(prefix) :], None)
            return found if isinstance(found, torch.Tensor) else None
    return None


def _perturb(live: torch.Tensor | None, value: torch.Tensor) -> None:
    """Change replica 0 of a live tensor: flip spikes, scale and shift numbers."""
    if live is None or live.shape != value.shape:
        return
    if live.dtype == torch.bool:
        live[0] = ~live[0]
    elif live.is_floating_point():
        live[0].mul_(0.5).add_(0.25)


CHECKS: dict[str, Callable[[ConformanceEntry, type[Behavior]], None]] = {
    "declares": check_declares,
    "constructs": check_constructs,
    "validates": check_validates,
    "repr": check_repr,
    "device_dtype": check_device_dtype,
    "deterministic": check_deterministic,
    "independent": check_independent,
    "resets": check_resets,
    "replicas": check_replicas,
}
"""Every check by name, in the order they run."""

RUNTIME_CHECKS = frozenset({"device_dtype", "deterministic", "independent", "resets", "replicas"})
"""The checks that run the behavior (skipped for abstract entries)."""


# -- databases --------------------------------------------------------------------------------------


def missing_entries(
    entries: Iterable[ConformanceEntry], plugin: str, registry: Registry | None = None
) -> tuple[list[str], list[str]]:
    """``(registered without an entry, entries for names the plugin does not register)``."""
    registry = registry or get_registry()
    registered = {e.name for e in registry if e.plugin == plugin}
    listed = {e.name.split(":", 1)[-1] for e in entries}
    return sorted(registered - listed), sorted(listed - registered)


def assert_complete(entries: Iterable[ConformanceEntry], plugin: str, registry: Registry | None = None) -> None:
    """Fail unless ``entries`` cover exactly the behaviors ``plugin`` registers (and it registers some)."""
    registry = registry or get_registry()
    status = {p.name: p for p in registry.plugins}.get(plugin)
    if status is None or status.status != "ok":
        reason = "is not installed" if status is None else f"did not load: {status.error}"
        raise ConformanceError(f"plugin {plugin!r} {reason}")
    missing, unknown = missing_entries(entries, plugin, registry)
    problems = []
    if missing:
        problems.append(f"registered without a conformance entry: {', '.join(missing)}")
    if unknown:
        problems.append(f"entries for behaviors {plugin!r} does not register: {', '.join(unknown)}")
    if problems:
        raise ConformanceError(f"plugin {plugin!r}: " + "; ".join(problems))


def conformance_cases(
    entries: Iterable[ConformanceEntry], checks: Iterable[str] | None = None
) -> Iterator[tuple[ConformanceEntry, str]]:
    """Every ``(entry, check name)`` pair, for ``pytest.mark.parametrize``."""
    names = list(CHECKS) if checks is None else list(checks)
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise ValueError(f"unknown checks {unknown}; known: {', '.join(CHECKS)}")
    for entry in entries:
        for name in names:
            yield entry, name


def run_check(entry: ConformanceEntry, check: str, registry: Registry | None = None) -> str | None:
    """Run one check; returns a reason when it does not apply (an abstract entry's runtime check)."""
    cls = entry.cls(registry)
    if entry.abstract and check in RUNTIME_CHECKS:
        return f"{entry.name} is abstract: {entry.abstract}"
    CHECKS[check](entry, cls)
    return None


def conformance_suite(entries: Sequence[ConformanceEntry], plugin: str, checks: Iterable[str] | None = None) -> type:
    """A pytest test class running every check over ``entries``, plus a completeness test.

    Assign it to a ``Test*`` name in a test module::

        TestConformance = conformance_suite(CONFORMANCE, plugin="triplet")
    """
    import pytest

    cases = list(conformance_cases(entries, checks))

    class Suite:
        @pytest.mark.parametrize(("entry", "check"), [pytest.param(e, c, id=f"{e.name}-{c}") for e, c in cases])
        def test_conformance(self, entry: ConformanceEntry, check: str) -> None:
            reason = run_check(entry, check)
            if reason is not None:
                pytest.skip(reason)

        def test_every_registered_behavior_has_an_entry(self) -> None:
            assert_complete(entries, plugin)

    Suite.__name__ = Suite.__qualname__ = f"Test{plugin.title().replace('-', '').replace('_', '')}Conformance"
    return Suite
