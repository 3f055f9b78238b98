"""Networks described in TOML: groups, synapses and behaviors by registry name, with parameters.

A network file is data, never code::

    [network]
    dt = 1.0
    seed = 42
    flush_denormal = true         # optional: treat subnormal floats as 0 while simulating (CPU speed)
    replicas = 8                  # optional: independent copies of the network run at once

    [groups.input]
    size = [1, 8, 8]              # or an int
    [groups.input.PoissonInput]   # a sub-table is a behavior, by registry name
    intensity = 1.0
    scale = 64.0                  # Hz per unit of intensity
    [groups.input.NeuronAxon]

    [groups.exc]
    size = 16
    [groups.exc.LIF]
    tau = 20.0

    [synapses.input_exc]
    src = "input"
    dst = "exc"
    tag = "Proximal"
    [synapses.input_exc.SimpleSTDP]
    a_plus = 0.01
    a_minus = 0.012
    priority = 500                # optional: overrides the class's default priority

(``tests/test_tutorial.py`` builds this example; docs/network_files.rst lists every key and every
behavior's parameters.) A group's tag defaults to its key. Two behaviors of one class on one object use aliases:
``[groups.exc.fast_trace]`` with ``behavior = "SpikeTrace"``. Every mistake is reported as a
:class:`ConfigError` whose message starts with the place in the file
(``synapses.input_exc.SimpleSTDP.a_plus: expected a float > 0, got "abc"``); with
``build_network(..., initialize=True)`` so are the parameter errors behaviors raise at initialize
(``synapses.input_exc.PreTrace.tau_s: expected >= dt = 1.0 ms ..., got 0.5``).
"""

from __future__ import annotations

import difflib
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from conex.behavior import Behavior, describe
from conex.errors import (
    AmbiguousBehaviorError,
    ConexError,
    ParameterError,
    ParameterTypeError,
    UnknownBehaviorError,
)
from conex.groups import NeuronGroup, SynapseGroup
from conex.network import Network
from conex.registry import Registry, get_registry
from conex.scheduler import place_behavior

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["ConfigError", "build_network", "load_config", "parse_config"]

_NETWORK_KEYS = {"dt", "seed", "device", "dtype", "tag", "flush_denormal", "replicas", "check_finite"}
_GROUP_KEYS = {"size", "tag"}
_SYNAPSE_KEYS = {"src", "dst", "tag"}
_BEHAVIOR_KEYS = {"priority", "behavior"}
_DTYPES = {"float32", "float64", "float16", "bfloat16"}
_TAG = 'a comma-separated string of tags (e.g. "exc,L4")'


class ConfigError(ConexError):
    """A mistake in a network file; the message starts with where it is."""


def _show(value: Any) -> str:
    """A value as the file spells it: strings in double quotes."""
    return json.dumps(value) if isinstance(value, (str, bool)) or value is None else repr(value)


def read_text(path: str | Path) -> str:
    """The text of the file ``path``; a missing, unreadable or non-UTF-8 file is a :class:`ConfigError` naming it."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: expected a TOML file, got a folder") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not a UTF-8 text file (byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a TOML network file; syntax errors become a :class:`ConfigError` with file and line."""
    return parse_config(read_text(path), source=str(path))


def parse_config(text: str, source: str = "<string>") -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def _table(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: expected a table, got {_show(value)}")
    return value


def _hint(key: str, known: Iterable[str]) -> str:
    """``" (did you mean x?)"`` for the names in ``known`` closest to ``key``, or nothing."""
    close = difflib.get_close_matches(key, list(known), n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(close)}?)" if close else ""


def _check_keys(table: Mapping[str, Any], structural: set[str], where: str, registry: Registry) -> None:
    """Refuse a key of ``table`` that is neither structural nor a table (a behavior's parameters).

    A misspelt structural key (``dtt = 1``) is an unknown key with the closest ones; a behavior's
    name given a value instead of a sub-table is told to be a table.
    """
    for key, value in table.items():
        if key in structural or isinstance(value, Mapping):
            continue
        place = f"{where}.{key}"
        try:
            registry.get(key)
        except (UnknownBehaviorError, AmbiguousBehaviorError):
            expected = ", ".join(sorted(structural))
            raise ConfigError(
                f"{place}: unknown key{_hint(key, structural)}, got {_show(value)}; "
                f"[{where}] takes {expected}, or a behavior's sub-table"
            ) from None
        raise ConfigError(f"{place}: expected a table of {key}'s parameters ([{place}]), got {_show(value)}")


def _string(table: Mapping[str, Any], key: str, where: str, expected: str) -> str | None:
    """``table[key]`` when it is a string (None when absent); anything else is a ConfigError."""
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{where}.{key}: expected {expected}, got {_show(value)}")
    return value


def _device(value: Any, where: str) -> str:
    """``value`` when it names a torch device this machine has; otherwise a ConfigError at ``where``."""
    import torch

    expected = 'a torch device such as "cpu", "cuda" or "cuda:0"'
    if not isinstance(value, (str, torch.device)):
        raise ConfigError(f"{where}: expected {expected}, got {_show(value)}")
    try:
        device = torch.device(value)
    except RuntimeError:
        raise ConfigError(f"{where}: expected {expected}, got {_show(str(value))}") from None
    if device.type == "cpu":
        return str(value)
    backend = getattr(torch, device.type, None)  # torch.cuda, torch.mps, torch.xpu...
    available = getattr(backend, "is_available", None)
    if not callable(available) or not available():
        raise ConfigError(f"{where}: {device.type} is not available on this machine, got {_show(str(value))}")
    count = getattr(backend, "device_count", None)
    if device.index is not None and callable(count) and device.index >= count():
        raise ConfigError(
            f"{where}: this machine has {count()} {device.type} device(s) (0 to {count() - 1}), got {_show(str(value))}"
        )
    return str(value)


def _behaviors(
    table: Mapping[str, Any], structural: set[str], where: str, registry: Registry, places: dict[int, str]
) -> dict[int, Behavior]:
    """The behaviors of one object: each sub-table of ``table`` that is not a structural key.

    Each behavior's place in the file is noted in ``places`` (by ``id``), for errors at initialize.
    """
    _check_keys(table, structural, where, registry)
    result: dict[int, Behavior] = {}
    for key, value in table.items():
        if key in structural:
            continue
        place = f"{where}.{key}"
        spec = dict(_table(value, place))
        name = spec.pop("behavior", key)
        if not isinstance(name, str):
            raise ConfigError(f"{place}.behavior: expected a behavior's name (a string), got {_show(name)}")
        priority = spec.pop("priority", None)
        behavior = _make_behavior(name, spec, place, registry)
        places[id(behavior)] = place
        if priority is not None and (isinstance(priority, bool) or not isinstance(priority, int)):
            raise ConfigError(f"{place}.priority: expected an int, got {_show(priority)}")
        place_behavior(result, behavior, priority, where=place, fix="set priority = <int>", error=ConfigError)
    return result


def _make_behavior(name: str, params: dict[str, Any], place: str, registry: Registry) -> Behavior:
    try:
        cls = registry.get(name)
    except (UnknownBehaviorError, AmbiguousBehaviorError) as exc:
        raise ConfigError(f"{place}: {exc.args[0]}") from None
    fields = {f.name: f for f in attrs.fields(cls)} if attrs.has(cls) else {}
    unknown = sorted(set(params) - set(fields))
    if unknown:
        known = ", ".join(fields) or "none"
        hint = _hint(unknown[0], fields)
        raise ConfigError(f"{place}.{unknown[0]}: {name} has no parameter {unknown[0]!r}{hint}; parameters: {known}")
    missing = [n for n, f in fields.items() if f.default is attrs.NOTHING and n not in params]
    if missing:
        raise ConfigError(f"{place}: missing required parameter {missing[0]} of {name}")
    try:
        return cls(**params)
    except (ParameterError, ParameterTypeError) as exc:
        raise _located(place, exc, params) from None


def _located(
    place: str, exc: ParameterError | ParameterTypeError, given: Mapping[str, Any] | None = None
) -> ConfigError:
    """``exc`` (a parameter error of the object at ``place``) as a ConfigError pointing at its field.

    The value shown is the one ``given`` in the file for that parameter, where there is one.
    """
    if exc.parameter is None:
        return ConfigError(f"{place}: {exc}")
    value = given[exc.parameter] if given is not None and exc.parameter in given else exc.value
    return ConfigError(f"{place}.{exc.parameter}: expected {exc.expected}, got {_show(value)}")


def _initialize(net: Network, places: Mapping[int, str]) -> None:
    """Initialize ``net``; a behavior's parameter error becomes a ConfigError at the field it came from."""
    try:
        net.initialize()
    except (ParameterError, ParameterTypeError) as exc:
        place = _place_of(net, places, exc)
        if place is None:
            raise
        raise _located(place, exc) from None


def _place_of(net: Network, places: Mapping[int, str], exc: ParameterError | ParameterTypeError) -> str | None:
    """The place of the behavior that raised ``exc``: its class is ``exc.owner``, its host ``exc.where``.

    Where that fits several (one class twice on like-named hosts), the one whose parameter holds the
    value; None where none or still several fit.
    """
    if exc.parameter is None:
        return None
    found = [
        (behavior, places[id(behavior)])
        for obj in (net, *net.neuron_groups, *net.synapse_groups)
        if exc.where is None or describe(obj) == exc.where
        for behavior in obj.behavior.values()
        if type(behavior).__name__ == exc.owner and id(behavior) in places
    ]
    if len(found) > 1:
        found = [(b, place) for b, place in found if _holds(b, exc.parameter, exc.value)]
    return found[0][1] if len(found) == 1 else None


def _holds(behavior: Behavior, name: str, value: Any) -> bool:
    """Whether ``behavior.name`` equals ``value`` (values that do not compare to one bool count as unequal)."""
    if not hasattr(behavior, name):
        return False
    mine = getattr(behavior, name)
    try:
        return mine is value or bool(mine == value)
    except (TypeError, ValueError, RuntimeError):
        return False


def _size(value: Any, where: str) -> int | tuple[int, int, int]:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, list) and len(value) == 3 and all(isinstance(v, int) and v > 0 for v in value):
        return (value[0], value[1], value[2])
    raise ConfigError(f"{where}: expected a positive int or [depth, height, width], got {_show(value)}")


def build_network(
    config: Mapping[str, Any],
    *,
    device: str | None = None,
    seed: int | None = None,
    replicas: int | None = None,
    registry: Registry | None = None,
    initialize: bool = False,
    source: str | None = None,
) -> Network:
    """Build the network a parsed config describes, and initialize it when ``initialize``.

    ``device``, ``seed`` and ``replicas`` override the file's ``[network]`` values (the CLI's
    ``--device``/``--seed``/``--replicas``).
    Initializing here, rather than with ``net.initialize()`` later, lets a parameter error a behavior
    raises at initialize (``tau_s`` shorter than ``dt``) point at its field in the file too.
    With ``source`` (the file's name) every error, also those raised at initialize, is a
    :class:`ConfigError` whose message starts with ``source``; a bad ``device`` is one of its own.
    """
    if device is not None:
        device = _device(device, "--device")
    try:
        return _build(config, device, seed, replicas, registry or get_registry(), initialize)
    except (ConexError, ParameterTypeError) as exc:
        if source is None:
            raise
        raise ConfigError(f"{source}: {exc}") from None


def _build(
    config: Mapping[str, Any],
    device: str | None,
    seed: int | None,
    replicas: int | None,
    registry: Registry,
    initialize: bool,
) -> Network:
    import torch

    sections = ("network", "groups", "synapses", "run")
    unknown = sorted(set(config) - set(sections))
    if unknown:
        hint = _hint(unknown[0], sections)
        raise ConfigError(f"{unknown[0]}: unknown section{hint}; expected {', '.join(sections)}")
    net_table = _table(config.get("network", {}), "network")
    dtype_name = net_table.get("dtype", "float32")
    if not isinstance(dtype_name, str) or dtype_name not in _DTYPES:
        raise ConfigError(f"network.dtype: expected one of {', '.join(sorted(_DTYPES))}, got {_show(dtype_name)}")
    device = device or _device(net_table.get("device", "cpu"), "network.device")
    seed = seed if seed is not None else net_table.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ConfigError(f"network.seed: expected an int, got {_show(seed)}")
    places: dict[int, str] = {}
    behavior = _behaviors(net_table, _NETWORK_KEYS, "network", registry, places)
    tag = _string(net_table, "tag", "network", _TAG)
    try:
        net = Network(
            dt=net_table.get("dt", 1.0),
            device=device,
            dtype=getattr(torch, dtype_name),
            seed=seed,
            behavior=behavior,
            tag=tag,
            flush_denormal=net_table.get("flush_denormal", False),
            check_finite=net_table.get("check_finite", True),
            replicas=replicas if replicas is not None else net_table.get("replicas", 1),
        )
    except (ParameterError, ParameterTypeError) as exc:
        raise _located("network", exc, net_table) from None
    except (ConexError, TypeError, RuntimeError) as exc:
        raise ConfigError(f"network: {exc}") from None

    groups: dict[str, NeuronGroup] = {}
    for key, value in _table(config.get("groups", {}), "groups").items():
        where = f"groups.{key}"
        table = _table(value, where)
        behavior = _behaviors(table, _GROUP_KEYS, where, registry, places)
        if "size" not in table:
            raise ConfigError(f"{where}: missing size")
        tag = _string(table, "tag", where, _TAG) if "tag" in table else key
        groups[key] = NeuronGroup(_size(table["size"], f"{where}.size"), net, behavior=behavior, tag=tag)

    for key, value in _table(config.get("synapses", {}), "synapses").items():
        where = f"synapses.{key}"
        table = _table(value, where)
        behavior = _behaviors(table, _SYNAPSE_KEYS, where, registry, places)
        ends = []
        for role in ("src", "dst"):
            known = ", ".join(groups) or "none"
            if role not in table:
                raise ConfigError(f"{where}: missing {role}, the key of a group ({known})")
            name = table[role]
            if not isinstance(name, str) or name not in groups:
                raise ConfigError(f"{where}.{role}: expected the key of a group ({known}), got {_show(name)}")
            ends.append(groups[name])
        SynapseGroup(
            net,
            ends[0],
            ends[1],
            tag=_string(table, "tag", where, _TAG),
            behavior=behavior,
        )
    if initialize:
        _initialize(net, places)
    return net
