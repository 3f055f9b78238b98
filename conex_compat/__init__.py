"""CoNeX's and PymoNNtorch's API on conex, so that a CoNeX script runs with one import changed.

A CoNeX script imports ``pymonntorch`` and ``conex``; on conex it imports ``conex.pymonntorch``
instead of ``pymonntorch`` and nothing else changes: ``from conex import Neocortex``,
``from conex.behaviors.synapses import SimpleSTDP`` and
``from conex.helpers.transforms.encoders import Poisson`` resolve here.

Where it lives and why: this is a package of its own, beside ``core/`` (the ``conex`` package) and
``conex_std``, because the minimal core holds only the framework. ``conex`` reaches it lazily: its
CoNeX names (``conex.Neocortex``...) through ``conex``'s module ``__getattr__``, ``conex.pymonntorch``
as a small module that re-exports :mod:`conex_compat.pymonntorch`, and CoNeX's module paths
(``conex.nn``, ``conex.helpers``, ``conex.behaviors.neurons``...) through the folders of
``conex_compat/paths``, which ``conex`` and ``conex.behaviors`` list in their ``__path__``. A script
that never uses a CoNeX name never imports this package.

Modules: :mod:`~conex_compat.pymonntorch` (PymoNNtorch's behavior API, network, groups, recorders),
:mod:`~conex_compat.structure` (neocortex, layers, columns, connections, ports),
:mod:`~conex_compat.replication` (saving, JSON, ``replicate``), :mod:`~conex_compat.dialect` (the
main and 0.1.5 dialects, priority tables, ``prioritize_behaviors``), :mod:`~conex_compat.behaviors`
(the behaviors with CoNeX's semantics) and :mod:`~conex_compat.helpers` (encoders and transforms).
"""

from __future__ import annotations

import importlib
from types import MappingProxyType
from typing import Any

__all__ = ["lookup"]

# CoNeX's top-level names that are not behaviors, and the module of conex_compat holding each
_MODULES = MappingProxyType(
    {
        "conex_compat.structure": (
            "Container", "CorticalColumn", "CorticalLayer", "CorticalLayerConnection", "InputLayer", "Layer",
            "Neocortex", "OutputLayer", "Port", "Synapsis",
        ),
        "conex_compat.replication": (
            "behaviors_to_list", "build_behavior_dict", "create_structure_from_dict", "get_all_required_structures",
            "load_structure_dict_from_json", "replicate", "save_structure", "save_structure_dict_to_json",
        ),
        "conex_compat.dialect": (
            "LAYER_PRIORITIES", "NETWORK_PRIORITIES", "NEURON_PRIORITIES", "dialect", "prioritize_behaviors",
        ),
        "conex_compat.helpers": (
            "AbsoluteTransform", "Conv2dFilter", "DeviceTransform", "DivideSignPolarity", "Intensity2Latency",
            "Poisson", "SimplePoisson", "SqueezeTransform", "SwapTransform", "UnsqueezeTransform",
        ),
    }
)  # fmt: skip
_HOME = MappingProxyType({name: module for module, names in _MODULES.items() for name in names})


def lookup(name: str) -> Any:
    """What ``from conex import <name>`` gives a CoNeX script: a structure, helper, priority table or behavior."""
    if name in _HOME:
        return getattr(importlib.import_module(_HOME[name]), name)
    if not name[:1].isupper():  # behaviors are capitalized: a submodule or a typo imports nothing
        raise AttributeError(f"module 'conex' has no attribute {name!r}")
    from conex_compat.behaviors import resolve

    return resolve(name)
