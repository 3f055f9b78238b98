"""The ``std`` plugin: contributes every behavior class of conex_std to the registry, and its demos."""

from __future__ import annotations

import click

from conex import Behavior, hookimpl
from conex_std import behavior_classes


@hookimpl
def conex_behaviors() -> list[type[Behavior]]:
    return behavior_classes()


@hookimpl
def conex_demos() -> list[click.Command]:
    from conex_std.demos.digits import digits_command

    return [digits_command]
