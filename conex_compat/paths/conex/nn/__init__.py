"""CoNeX's ``conex.nn``: the structure layer, saving and replicating structures, the priority tables."""

from conex_compat import replication, structure
from conex_compat.dialect import LAYER_PRIORITIES, NETWORK_PRIORITIES, NEURON_PRIORITIES, prioritize_behaviors
from conex_compat.replication import *  # noqa: F403 - CoNeX's names, re-exported
from conex_compat.structure import *  # noqa: F403 - CoNeX's names, re-exported

__all__ = [
    "LAYER_PRIORITIES",
    "NETWORK_PRIORITIES",
    "NEURON_PRIORITIES",
    "prioritize_behaviors",
    *replication.__all__,
    *structure.__all__,
]
