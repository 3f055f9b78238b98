"""The hooks a conex plugin can implement (all prefixed ``conex_``).

A plugin is any module or object registered under the ``conex`` entry-point group; it implements
hooks with :data:`hookimpl`::

    from conex.hookspecs import hookimpl

    @hookimpl
    def conex_behaviors():
        return [MyRule, MyTrace]

The registry (:mod:`conex.registry`) calls each plugin's implementations of a hook on their own,
through pluggy, so a plugin whose hook raises is reported and skipped without affecting the others;
a plugin's hookwrappers wrap its own implementations only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click
import pluggy

if TYPE_CHECKING:
    from conex.behavior import Behavior
    from conex.network import Network
    from conex.runner import Run

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "conex"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def conex_behaviors() -> Sequence[type[Behavior]]:
    """Contribute behavior classes to the registry.

    Called once per plugin when the registry is first built (the first ``from conex.behaviors
    import X``, ``conex list-behaviors``, or a network that checks its requirements). Each class is
    registered under its ``__name__``, once it passes the registry's checks (a Behavior subclass, an
    int priority, a known category, ``requires``/``provides`` tuples of strings, a readable docstring
    and parameter table); a class that fails is refused and reported, the plugin's others stay. A
    name std also provides stays std's as a plain name (this plugin's is ``plugin:Name``); a name
    that two other plugins both contribute stays reachable as ``plugin:Name`` only.

    :return: the :class:`~conex.Behavior` subclasses this plugin provides.
    """


@hookspec
def conex_demos() -> Sequence[click.Command]:
    """Contribute runnable demos to ``conex demo``.

    Called once per plugin when the registry is first built. Each demo is a :class:`click.Command`
    whose ``name`` becomes ``conex demo NAME``; a demo that fails to load is reported by
    ``conex plugins`` like any other plugin failure.

    :return: the demo commands this plugin provides.
    """


@hookspec
def conex_sweep_metrics() -> Mapping[str, Callable[[Network, Mapping[str, Any], Run], Any]]:
    """Contribute metrics that ``conex sweep`` can record of each trial (``metrics = ["name"]``).

    Called once per plugin by each ``conex sweep`` and each trial process. A metric is a function
    ``(net, config, run) -> value`` called after the trial's network ran its steps: ``net`` the
    :class:`~conex.Network`, ``config`` the trial's parsed network file (with its swept values),
    ``run`` the :class:`conex.runner.Run` (``run.monitor.counts``: spike counts per group). It may
    run further phases itself (e.g. test the network with learning switched off). The value is a
    number, or ``{key: number}`` recorded as columns ``name.key``. A metric with the attribute
    ``supports_replicas = True`` may get a network of ``R > 1`` packed trials (``net.replicas``)
    and then gives ``R`` numbers for each value (a sequence or 1-D tensor, one per replica); a
    sweep that records any other plugin metric runs its trials one by one. A name two plugins
    contribute is reachable as ``plugin:name`` only.

    :return: metric functions by name.
    """
