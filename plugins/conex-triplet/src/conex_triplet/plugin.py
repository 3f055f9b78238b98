"""The ``triplet`` plugin: the hook conex calls to collect this package's behaviors."""

from __future__ import annotations

from conex import Behavior, hookimpl
from conex_triplet import BEHAVIORS


@hookimpl
def conex_behaviors() -> list[type[Behavior]]:
    return list(BEHAVIORS)
