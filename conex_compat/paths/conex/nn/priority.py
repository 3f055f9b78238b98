"""CoNeX's ``conex.nn.priority``: the priority tables of the current dialect, and ``prioritize_behaviors``."""

from typing import Any

from conex_compat.dialect import (
    LAYER_PRIORITIES,
    NETWORK_PRIORITIES,
    NEURON_PRIORITIES,
    current_dialect,
    priorities,
    prioritize_behaviors,
)
from conex_compat.dialect import SYNAPSE_PRIORITIES as _BY_DIALECT

__all__ = ["LAYER_PRIORITIES", "NETWORK_PRIORITIES", "NEURON_PRIORITIES", "prioritize_behaviors"]


def __getattr__(name: str) -> Any:
    """``SYNAPSE_PRIORITIES`` and ``ALL_PRIORITIES`` of the dialect in force when they are read."""
    if name == "SYNAPSE_PRIORITIES":
        return _BY_DIALECT[current_dialect()]
    if name == "ALL_PRIORITIES":
        return priorities()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
