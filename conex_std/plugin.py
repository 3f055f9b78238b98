"""The ``std`` plugin: contributes every behavior class of conex_std to the registry."""

from __future__ import annotations

from conex import Behavior, hookimpl
from conex_std import behavior_classes


@hookimpl
def conex_behaviors() -> list[type[Behavior]]:
    return behavior_classes()
