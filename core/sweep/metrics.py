"""What a sweep records of each trial: the run summary's rates and weight statistics, and plugins' metrics.

Built-in metrics name the network file's keys: ``rate.<group>`` (the group's mean firing rate in
Hz) and ``weights.<synapse>.<mean|std|min|max>`` (statistics of the synapse's weights at the end).
Plugins contribute more through the ``conex_sweep_metrics`` hook: functions
``(net, config, run) -> value`` called once the network has run its steps, where a value is a
number or a ``{name: number}`` mapping (columns ``metric.name``). A metric that sets
``supports_replicas = True`` may be given a network of ``R > 1`` packed trials and then returns ``R``
numbers (a sequence or 1-D tensor, one per replica) for each value; sweeps using any other metric
run their trials one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import click
import torch

from conex.network import Network
from conex.registry import Registry
from conex.runner import Run, _statistics, weight_values

__all__ = ["STATISTICS", "MetricFunction", "check_metric", "default_metrics", "evaluate", "plugin_metrics"]

MetricFunction = Callable[[Network, Mapping[str, Any], Run], Any]
STATISTICS = ("mean", "std", "min", "max")


def plugin_metrics(registry: Registry) -> dict[str, MetricFunction]:
    """The metrics plugins contribute, by ``name`` and by ``plugin:name`` (a name two plugins claim: qualified only).

    A plugin whose hook raises or returns something other than ``{name: function}`` is reported on
    stderr and skipped.
    """
    manager = registry.plugin_manager
    qualified: dict[str, MetricFunction] = {}
    claims: dict[str, list[str]] = {}
    for plugin_name, plugin in manager.list_name_plugin():
        if plugin is None:
            continue
        caller = manager.subset_hook_caller("conex_sweep_metrics", remove_plugins=manager.get_plugins() - {plugin})
        try:
            found = [item for result in caller() for item in dict(result).items()]
            bad = [name for name, function in found if not isinstance(name, str) or not callable(function)]
            if bad:
                raise TypeError(f"expected {{name: function}}, got {bad[0]!r}")
        except Exception as exc:  # noqa: BLE001 - a failing plugin is reported, not raised
            click.echo(f"warning: plugin {plugin_name!r}: conex_sweep_metrics failed: {exc}", err=True)
            continue
        for name, function in found:
            qualified[f"{plugin_name}:{name}"] = function
            claims.setdefault(name, []).append(plugin_name)
    plain = {name: qualified[f"{plugins[0]}:{name}"] for name, plugins in claims.items() if len(plugins) == 1}
    return {**plain, **qualified}


def _keys(config: Mapping[str, Any], section: str) -> list[str]:
    table = config.get(section, {})
    return list(table) if isinstance(table, Mapping) else []


def default_metrics(config: Mapping[str, Any], net: Network) -> list[str]:
    """Every group's rate and every synapse's mean weight: what a sweep records without ``metrics``."""
    synapses = zip(_keys(config, "synapses"), net.synapse_groups, strict=True)
    return [f"rate.{g}" for g in _keys(config, "groups")] + [
        f"weights.{key}.mean" for key, syn in synapses if weight_values(syn) is not None
    ]


def check_metric(name: str, config: Mapping[str, Any], net: Network, plugins: Mapping[str, MetricFunction]) -> str:
    """What is wrong with metric ``name`` for this network ("" when nothing)."""
    if name in plugins:
        return ""
    kind, _, rest = name.partition(".")
    groups, synapses = _keys(config, "groups"), _keys(config, "synapses")
    if kind == "rate":
        return "" if rest in groups else f"{name!r}: no group {rest!r}; groups: {', '.join(groups) or 'none'}"
    if kind == "weights":
        key, _, stat = rest.rpartition(".")
        if key not in synapses:
            return f"{name!r}: no synapse {key!r}; synapses: {', '.join(synapses) or 'none'}"
        if stat not in STATISTICS:
            return f"{name!r}: expected weights.{key}.<{'|'.join(STATISTICS)}>"
        if weight_values(net.synapse_groups[synapses.index(key)]) is None:
            return f"{name!r}: synapse {key!r} has no weights"
        return ""
    known = ["rate.<group>", f"weights.<synapse>.<{'|'.join(STATISTICS)}>", *sorted(plugins)]
    return f"unknown metric {name!r}; metrics: {', '.join(known)}"


def _builtin(name: str, net: Network, config: Mapping[str, Any], run: Run) -> list[float]:
    """A built-in metric, one value per replica."""
    replicas = net.replicas
    kind, _, rest = name.partition(".")
    if kind == "rate":
        group = net.neuron_groups[_keys(config, "groups").index(rest)]
        counts = run.monitor.counts[group.tag].reshape(replicas, -1).sum(1).double()
        duration_s = max(net.iteration, 1) * net.dt / 1000.0
        return (counts / (group.size * duration_s)).tolist()
    key, _, stat = rest.rpartition(".")
    values = weight_values(net.synapse_groups[_keys(config, "synapses").index(key)]) or []
    each = [_statistics(v)[stat] for v in values]
    return each * replicas if len(each) == 1 else each


def _per_replica(name: str, value: Any, replicas: int) -> dict[str, list[float]]:
    """A plugin metric's value as columns of ``replicas`` floats."""
    if isinstance(value, Mapping):
        columns: dict[str, list[float]] = {}
        for key, item in value.items():
            columns.update(_per_replica(f"{name}.{key}", item, replicas))
        return columns
    if isinstance(value, torch.Tensor):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        if len(value) != replicas:
            raise ValueError(f"metric {name!r} gave {len(value)} values for {replicas} replicas")
        return {name: [float(v) for v in value]}
    if replicas > 1:
        raise ValueError(f"metric {name!r} gave one value for {replicas} replicas; expected one per replica")
    return {name: [float(value)]}


def evaluate(
    names: tuple[str, ...], net: Network, config: Mapping[str, Any], run: Run, plugins: Mapping[str, MetricFunction]
) -> list[dict[str, float]]:
    """The metrics ``names`` of a network that has run, as one ``{column: value}`` per replica."""
    columns: dict[str, list[float]] = {}
    for name in names:
        if name in plugins:
            columns.update(_per_replica(name, plugins[name](net, config, run), net.replicas))
        else:
            columns[name] = _builtin(name, net, config, run)
    return [{column: values[r] for column, values in columns.items()} for r in range(net.replicas)]
