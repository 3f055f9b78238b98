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

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click
import pluggy

if TYPE_CHECKING:
    from conex.behavior import Behavior

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "conex"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def conex_behaviors() -> Sequence[type[Behavior]]:
    """Contribute behavior classes to the registry.

    Called once per plugin when the registry is first built (the first ``from conex.behaviors
    import X``, ``conex list-behaviors``, or a network that checks its requirements). Each class is
    registered under its ``__name__``; a name that two plugins both contribute stays reachable
    as ``plugin:Name`` only.

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
