"""Every registered behavior, resolved lazily through the plugin registry.

``from conex.behaviors import SimpleSTDP`` looks ``SimpleSTDP`` up in the registry on first
access, so the core never imports a plugin by name. ``plugin:Name`` spellings are reached with
:func:`get`. CoNeX's submodules ``conex.behaviors.neurons``, ``.synapses``, ``.network`` and
``.layer`` resolve names with CoNeX's semantics instead (they live in conex_compat).
"""

from __future__ import annotations

from conex.behavior import Behavior
from conex.compat import compat_paths
from conex.errors import UnknownBehaviorError
from conex.registry import get_registry

__all__ = ["get"]

# CoNeX's submodules (conex.behaviors.neurons, .synapses, .network, .layer) are files of conex_compat:
# they resolve names with CoNeX's semantics (see conex.compat)
__path__ = compat_paths("behaviors")


def get(name: str) -> type[Behavior]:
    """The behavior class registered as ``Name`` or ``plugin:Name``."""
    return get_registry().get(name)


def __getattr__(name: str) -> type[Behavior]:
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        return get_registry().get(name)
    except UnknownBehaviorError as exc:
        raise AttributeError(f"module 'conex.behaviors' has no attribute {name!r}: {exc}") from None


def __dir__() -> list[str]:
    return sorted({*globals(), *get_registry().names()})
