"""PymoNNtorch's names on conex: ``from conex.pymonntorch import NeuronGroup, SynapseGroup, NeuronDimension``.

The one edit a CoNeX script needs is ``pymonntorch`` -> ``conex.pymonntorch``. The names live in
:mod:`conex_compat.pymonntorch` (kept out of the minimal core) and are imported from there on first
use; :func:`dialect` chooses between CoNeX's main branch (the default) and CoNeX 0.1.5.
"""

from __future__ import annotations

import importlib
from typing import Any

_SOURCES = {"dialect": "conex_compat.dialect"}


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    module = importlib.import_module(_SOURCES.get(name, "conex_compat.pymonntorch"))
    try:
        return getattr(module, name)
    except AttributeError:
        raise AttributeError(f"module 'conex.pymonntorch' has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted({*importlib.import_module("conex_compat.pymonntorch").__all__, *_SOURCES})
