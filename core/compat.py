"""Where conex finds its CoNeX-compatible surface: the package ``conex_compat``, beside this one.

The core does not import it: CoNeX's names on ``conex`` (``conex.Neocortex``) are looked up in it on
first use, and CoNeX's module paths (``conex.nn``, ``conex.helpers``, ``conex.behaviors.neurons``)
are folders of ``conex_compat/paths`` that ``conex`` and ``conex.behaviors`` add to their
``__path__``. Finding those folders reads the file system only; nothing of conex_compat runs until
a CoNeX name or path is used. See ``docs/migrating.rst``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from typing import Any

__all__ = ["compat_name", "compat_paths"]

PACKAGE = "conex_compat"


def compat_paths(*parts: str) -> list[str]:
    """The folder ``conex_compat/paths/<parts>``, as a ``__path__`` entry (none when conex_compat is absent)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return []
    folder = os.path.join(next(iter(spec.submodule_search_locations)), "paths", *parts)
    return [folder] if os.path.isdir(folder) else []


def compat_name(name: str) -> Any:
    """CoNeX's name ``name`` (a structure, helper or behavior) from conex_compat; AttributeError if it has none."""
    if name.startswith("_"):
        raise AttributeError(name)
    return importlib.import_module(PACKAGE).lookup(name)
