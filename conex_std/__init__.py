"""conex_std: the standard torch behaviors of conex, registered as a plugin (entry point ``std``).

Every :class:`~conex.Behavior` subclass named in the ``__all__`` of a module listed in
:data:`BEHAVIOR_MODULES` is contributed to the registry by :mod:`conex_std.plugin`.
"""

from __future__ import annotations

import importlib

from conex import Behavior

__all__ = ["BEHAVIOR_MODULES", "behavior_classes"]

BEHAVIOR_MODULES: tuple[str, ...] = (
    "conex_std.neurons.inputs",
    "conex_std.neurons.axon",
    "conex_std.neurons.dendrite",
    "conex_std.neurons.dynamics",
    "conex_std.neurons.firing",
    "conex_std.neurons.homeostasis",
    "conex_std.neurons.traces",
    "conex_std.neurons.noise",
    "conex_std.network.time",
    "conex_std.network.neuromodulators",
    "conex_std.recording",
    "conex_std.synapses.specs",
    "conex_std.synapses.dendrites",
    "conex_std.synapses.learning",
)


def behavior_classes() -> list[type[Behavior]]:
    """The behavior classes of every module in :data:`BEHAVIOR_MODULES`, in module order."""
    classes: list[type[Behavior]] = []
    for module_name in BEHAVIOR_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, type) and issubclass(obj, Behavior) and obj not in classes:
                classes.append(obj)
    return classes
