"""A check shared by network-level behaviors: they act on the network itself."""

from __future__ import annotations

from typing import Any

from conex import Behavior

__all__ = ["require_network"]


def require_network(behavior: Behavior, host: Any) -> None:
    """Raise a :class:`~conex.ConexError` unless ``host`` is a network (not a group)."""
    if getattr(host, "network", None) is not host:
        raise behavior.error(host, "attach it to the Network (Network(behavior=...)), not to a group")
