"""Sweep files: parsing, the trials they describe, their validation, and packing trials into replicas.

A sweep file is data, like a network file::

    network = "net.toml"          # relative to the sweep file
    steps = 500
    seeds = [0, 1]
    metrics = ["rate.exc", "weights.input_exc.mean"]

    [grid]                        # every combination of these values
    "synapses.input_exc.SimpleSTDP.a_plus" = [0.005, 0.01]

    [random]                      # `samples` draws from Ray Tune's distributions, crossed with the grid
    samples = 4
    seed = 0                      # optional: seeds the draws, so a sweep is the same every time
    "groups.exc.LIF.tau" = { loguniform = [5.0, 50.0] }

The trials are every grid point crossed with every random sample and every seed. Each distinct
parameter point is built (and initialized) once before anything runs, so a bad path or value is
reported with its place in the sweep file (``sweep.toml: grid."groups.exc.LIF.tau": expected a
float > 0, got -1.0``).
"""

from __future__ import annotations

import copy
import itertools
import json
import numbers
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from conex.config import build_network, parse_config, read_text
from conex.errors import ConexError
from conex.network import Network
from conex.registry import Registry, get_registry

__all__ = ["DISTRIBUTIONS", "Pack", "Sweep", "SweepError", "Trial", "load_sweep", "pack_config", "plan_packs"]

DISTRIBUTIONS = (
    "uniform",
    "quniform",
    "loguniform",
    "qloguniform",
    "randn",
    "qrandn",
    "randint",
    "qrandint",
    "lograndint",
    "qlograndint",
    "choice",
)
"""The Ray Tune distributions a ``[random]`` entry may name (``ray.tune.<name>(*args)``)."""

_KEYS = ("network", "steps", "seeds", "metrics", "grid", "random")
_SECTIONS = ("network", "groups", "synapses", "run")  # [run]: settings of the tools that run the file
_RANDOM_KEYS = ("samples", "seed")


class SweepError(ConexError):
    """A mistake in a sweep file, or a sweep folder that cannot be used; the message says where."""


def _show(value: Any) -> str:
    """A value as TOML spells it (strings in double quotes)."""
    return json.dumps(value) if isinstance(value, (str, bool)) or value is None else repr(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


@attrs.frozen
class Trial:
    """One run of the network: the swept values ``(path, value)`` in column order, and a seed."""

    index: int
    values: tuple[tuple[str, Any], ...]
    seed: int

    def value(self, path: str) -> Any:
        return dict(self.values)[path]


@attrs.frozen
class Pack:
    """Trials run together as the replicas of one network (one trial: a plain network with its seed)."""

    index: int
    trials: tuple[Trial, ...]

    @property
    def seed(self) -> int:
        """The network's seed: the trial's own for one trial, else one derived from the pack's contents."""
        if len(self.trials) == 1:
            return self.trials[0].seed
        return zlib.crc32(repr([(t.seed, t.values) for t in self.trials]).encode())


@attrs.frozen
class Sweep:
    """A checked sweep file and the network file it names."""

    source: str
    """The sweep file as the user named it (the start of error messages)."""
    text: str
    network_source: str
    network_text: str
    config: dict[str, Any]
    """The parsed network file."""
    steps: int
    seeds: tuple[int, ...]
    sections: dict[str, str]
    """Swept path -> ``grid`` or ``random``, in column order."""
    trials: tuple[Trial, ...]
    metrics: tuple[str, ...]
    per_replica: frozenset[str]
    """The swept paths whose parameter takes one value per replica, with numeric values only."""
    packable: bool
    """Whether the network and every metric work with replicas, so trials can be packed."""

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(self.sections)


def load_sweep(path: str | Path, registry: Registry | None = None) -> Sweep:
    """Read and check the sweep file ``path`` and the network file it names."""
    path = Path(path)
    try:
        text = read_text(path)
    except ConexError as exc:  # missing, a folder, unreadable, not UTF-8
        raise SweepError(str(exc)) from None
    table = _parse(text, str(path))
    network = table.get("network")
    if not isinstance(network, str):
        raise SweepError(f"{path}: network: expected the path of a network file, got {_show(network)}")
    network_path = path.parent / network
    if not network_path.exists():
        raise SweepError(f"{path}: network: no such file {network_path}")
    try:
        network_text = read_text(network_path)
    except ConexError as exc:  # a folder, unreadable, not UTF-8
        raise SweepError(f"{path}: network: {exc}") from None
    return parse_sweep(text, network_text, source=str(path), network_source=str(network_path), registry=registry)


def _parse(text: str, source: str) -> dict[str, Any]:
    try:
        return parse_config(text, source=source)
    except ConexError as exc:
        raise SweepError(str(exc)) from None


def parse_sweep(
    text: str, network_text: str, *, source: str, network_source: str, registry: Registry | None = None
) -> Sweep:
    """Check a sweep file's text against its network file's text and build each distinct point once."""
    from conex.sweep import metrics as metric_lib

    registry = registry or get_registry()
    table = _parse(text, source)
    unknown = [k for k in table if k not in _KEYS]
    if unknown:
        raise SweepError(f"{source}: {unknown[0]}: unknown key; expected {', '.join(_KEYS)}")
    config = _parse(network_text, network_source)
    replicas = config.get("network", {}).get("replicas", 1) if isinstance(config.get("network"), Mapping) else 1
    if replicas != 1:
        raise SweepError(
            f"{network_source}: network.replicas: a swept network has one replica (conex sweep packs trials "
            f"into replicas itself, see --pack), got {_show(replicas)}"
        )
    steps = table.get("steps")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
        raise SweepError(f"{source}: steps: expected an int >= 0, got {_show(steps)}")
    seeds = table.get("seeds", [0])
    if (
        not isinstance(seeds, list)
        or not seeds
        or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds)
        or len(set(seeds)) != len(seeds)
    ):
        raise SweepError(f"{source}: seeds: expected a non-empty list of distinct ints, got {_show(seeds)}")

    sections: dict[str, str] = {}
    grid = _grid(table.get("grid", {}), source, config, network_source, sections)
    samples = _random(table.get("random", {}), source, config, network_source, sections)
    points = [
        tuple(zip([p for p, _ in grid], combo, strict=True)) + sample
        for combo in itertools.product(*(values for _, values in grid))
        for sample in samples
    ]
    trials = tuple(
        Trial(index, point, seed)
        for index, (point, seed) in enumerate((p, s) for p in points for s in seeds)  # seeds vary fastest
    )

    plugins = metric_lib.plugin_metrics(registry)
    first: Network | None = None
    for point in points:
        net = _build(point_config(config, point), point, sections, source, network_source, registry)
        first = first or net
    if first is None:  # pragma: no cover - there is always one point, possibly empty
        raise SweepError(f"{source}: no trials")
    names = table.get("metrics")
    if names is None:
        names = metric_lib.default_metrics(config, first)
    elif not isinstance(names, list) or not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        raise SweepError(f"{source}: metrics: expected a list of distinct metric names, got {_show(names)}")
    for index, name in enumerate(names):
        problem = metric_lib.check_metric(name, config, first, plugins)
        if problem:
            raise SweepError(f"{source}: metrics[{index}]: {problem}")

    behaviors = [b for obj in (first, *first.neuron_groups, *first.synapse_groups) for b in obj.behavior.values()]
    packable = all(type(b).supports_replicas for b in behaviors) and all(
        getattr(plugins[n], "supports_replicas", False) for n in names if n in plugins
    )
    per_replica = frozenset(
        path
        for path in sections
        if all(_is_number(t.value(path)) for t in trials) and _takes_per_replica(config, path, registry)
    )
    return Sweep(
        source,
        text,
        network_source,
        network_text,
        config,
        steps,
        tuple(seeds),
        sections,
        trials,
        tuple(names),
        per_replica,
        packable,
    )


def _grid(
    grid: Any, source: str, config: Mapping[str, Any], network_source: str, sections: dict[str, str]
) -> list[tuple[str, list[Any]]]:
    if not isinstance(grid, Mapping):
        raise SweepError(f"{source}: grid: expected a table of dotted paths, got {_show(grid)}")
    result = []
    for path, values in grid.items():
        where = f'{source}: grid."{path}"'
        _check_path(path, where, config, network_source)
        if not isinstance(values, list) or not values:
            raise SweepError(f"{where}: expected a non-empty list of values, got {_show(values)}")
        sections[path] = "grid"
        result.append((path, values))
    return result


def _random(
    table: Any, source: str, config: Mapping[str, Any], network_source: str, sections: dict[str, str]
) -> list[tuple[tuple[str, Any], ...]]:
    """The ``samples`` draws of the ``[random]`` paths, each a tuple of ``(path, value)``; ``[()]`` without any."""
    if not isinstance(table, Mapping):
        raise SweepError(f"{source}: random: expected a table, got {_show(table)}")
    domains = {}
    for path, spec in table.items():
        if path in _RANDOM_KEYS:
            continue
        where = f'{source}: random."{path}"'
        if path in sections:
            raise SweepError(f"{where}: also in [grid]; sweep a path in one of them")
        _check_path(path, where, config, network_source)
        domains[path] = _domain(spec, where)
        sections[path] = "random"
    samples = table.get("samples")
    seed = table.get("seed", 0)
    if not domains:
        if samples is not None:
            raise SweepError(f"{source}: random.samples: no [random] paths to sample")
        return [()]
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < 1:
        raise SweepError(f"{source}: random.samples: expected an int >= 1, got {_show(samples)}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise SweepError(f"{source}: random.seed: expected an int, got {_show(seed)}")
    import numpy as np

    state = np.random.RandomState(seed)
    drawn = {
        path: [_plain(v) for v in domain.sample(size=samples, random_state=state)] for path, domain in domains.items()
    }
    return [tuple((path, drawn[path][i]) for path in domains) for i in range(samples)]


def _domain(spec: Any, where: str) -> Any:
    """The Ray Tune distribution ``{ name = [args] }`` describes."""
    if not isinstance(spec, Mapping) or len(spec) != 1:
        raise SweepError(f"{where}: expected one distribution, e.g. {{ uniform = [0.0, 1.0] }}, got {_show(spec)}")
    ((name, args),) = spec.items()
    if name not in DISTRIBUTIONS:
        raise SweepError(f"{where}: unknown distribution {name!r}; expected one of {', '.join(DISTRIBUTIONS)}")
    if not isinstance(args, list) or not args:
        raise SweepError(f"{where}.{name}: expected a list of arguments, got {_show(args)}")
    try:
        from ray import tune
    except ImportError:
        raise SweepError(f'{where}: random search needs Ray Tune: pip install "conex-snn[sweep]"') from None
    try:
        return tune.choice(args) if name == "choice" else getattr(tune, name)(*args)
    except (TypeError, ValueError, AssertionError) as exc:
        raise SweepError(f"{where}.{name}: bad arguments {_show(args)}: {exc}") from None


def _plain(value: Any) -> Any:
    """A drawn value as a plain Python number (numpy scalars become float or int)."""
    return value.item() if hasattr(value, "item") else value


def _check_path(path: str, where: str, config: Mapping[str, Any], network_source: str) -> None:
    """``path`` names a value inside an existing table of the network file (or a [network] key)."""
    parts = path.split(".")
    if len(parts) < 2 or parts[0] not in _SECTIONS or not all(parts):
        raise SweepError(f"{where}: expected a dotted path starting with {', '.join(_SECTIONS)}")
    if parts[0] == "network" and len(parts) == 2 and parts[1] in ("seed", "replicas"):
        fix = "list the seeds in seeds = [...]" if parts[1] == "seed" else "conex sweep packs replicas itself (--pack)"
        raise SweepError(f"{where}: network.{parts[1]} cannot be swept; {fix}")
    node: Any = config
    for depth, part in enumerate(parts[:-1]):
        if not isinstance(node, Mapping) or (part not in node and not (depth == 0 and part == "network")):
            raise SweepError(f"{where}: {network_source} has no [{'.'.join(parts[: depth + 1])}]")
        node = node.get(part, {})
    if not isinstance(node, Mapping):
        raise SweepError(f"{where}: {network_source}: {'.'.join(parts[:-1])} is not a table")


def _assign(config: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = config
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def point_config(config: Mapping[str, Any], values: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    """A copy of the network config with each ``(path, value)`` set."""
    result = copy.deepcopy(dict(config))
    for path, value in values:
        _assign(result, path, value)
    return result


def pack_config(config: Mapping[str, Any], trials: Sequence[Trial]) -> dict[str, Any]:
    """The network config of a pack: each swept path set to its value, or to one value per trial where they differ."""
    values = []
    for path, _ in trials[0].values:
        each = [t.value(path) for t in trials]
        values.append((path, each[0] if all(v == each[0] for v in each) else each))
    return point_config(config, values)


def _build(
    config: Mapping[str, Any],
    point: Sequence[tuple[str, Any]],
    sections: Mapping[str, str],
    source: str,
    network_source: str,
    registry: Registry,
) -> Network:
    """Build and initialize one point's network on the CPU; an error names the swept path it comes from."""
    try:
        return build_network(config, device="cpu", seed=0, registry=registry, initialize=True)
    except ConexError as exc:
        raise _located(str(exc), point, sections, source, network_source) from None


def _located(
    message: str, point: Sequence[tuple[str, Any]], sections: Mapping[str, str], source: str, network_source: str
) -> SweepError:
    place, _, rest = message.partition(": ")
    for path, _value in point:
        if place == path:
            return SweepError(f'{source}: {sections[path]}."{path}": {rest}')
    for path, value in point:
        if path.startswith(place + "."):
            return SweepError(f'{source}: {sections[path]}."{path}" = {_show(value)}: {message}')
    given = ", ".join(f'{sections[p]}."{p}" = {_show(v)}' for p, v in point)
    return SweepError(f"{network_source}: {message}" + (f" (with {given})" if given else ""))


def _takes_per_replica(config: Mapping[str, Any], path: str, registry: Registry) -> bool:
    """Whether ``path`` is a behavior parameter that ``conex describe`` marks "one value per replica allowed"."""
    parts = path.split(".")
    if parts[0] == "network" and len(parts) == 3:
        table = config.get("network", {}).get(parts[1])
    elif parts[0] in ("groups", "synapses") and len(parts) == 4:
        table = config[parts[0]][parts[1]].get(parts[2])
    else:
        return False
    if not isinstance(table, Mapping):
        return False
    try:
        entry = registry.entry(table.get("behavior", parts[-2]))
    except ConexError:
        return False
    return any(p.name == parts[-1] and p.per_replica for p in entry.parameters)


def plan_packs(sweep: Sweep, trials: Sequence[Trial], pack: int) -> list[Pack]:
    """Group ``trials`` into packs of up to ``pack`` replicas.

    Trials pack together when they differ only in seeds and per-replica parameters (and the network
    and metrics work with replicas); any other trial runs alone. Packs keep the trials' order.
    """
    if pack <= 1 or not sweep.packable:
        return [Pack(i, (t,)) for i, t in enumerate(trials)]
    groups: dict[tuple[Any, ...], list[Trial]] = {}
    for trial in trials:
        key = tuple(json.dumps(v, sort_keys=True) for p, v in trial.values if p not in sweep.per_replica)
        groups.setdefault(key, []).append(trial)
    chunks = [tuple(g[i : i + pack]) for g in groups.values() for i in range(0, len(g), pack)]
    return [Pack(i, chunk) for i, chunk in enumerate(chunks)]
