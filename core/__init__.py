"""conex: spiking neural networks with synaptic plasticity, built on PyTorch.

This package lives in the folder ``core/`` of the source tree: ``pyproject.toml`` maps ``core/`` to
the import name ``conex`` (``package-dir``), so ``conex.network`` is ``core/network.py``.

The core holds the framework only: :class:`Network`, :class:`NeuronGroup`, :class:`SynapseGroup`,
:class:`Behavior`, the schedule, the weight layouts and the plugin registry. Neuron models and
learning rules come from plugins (the standard ones from the ``std`` plugin) through
:mod:`conex.behaviors`.
"""

from typing import Any

from importlib_metadata import PackageNotFoundError, version

from conex.behavior import Behavior, between, ge, gt, one_of, param
from conex.compat import compat_name, compat_paths
from conex.errors import ConexError, ParameterError, ParameterTypeError
from conex.groups import NeuronGroup, SynapseGroup
from conex.hookspecs import hookimpl
from conex.network import Network
from conex.phases import Phase

# CoNeX's module paths (conex.nn, conex.helpers) are folders of conex_compat (see conex.compat)
__path__ = [*__path__, *compat_paths("conex")]


def __getattr__(name: str) -> Any:
    """CoNeX's names (``Neocortex``, ``prioritize_behaviors``...), looked up in conex_compat on first use."""
    return compat_name(name)


DISTRIBUTION = "conex-snn"
"""The name conex is installed under (``pip install conex-snn``); the import name is ``conex``."""

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "Behavior",
    "ConexError",
    "Network",
    "NeuronGroup",
    "ParameterError",
    "ParameterTypeError",
    "Phase",
    "SynapseGroup",
    "__version__",
    "between",
    "ge",
    "gt",
    "hookimpl",
    "one_of",
    "param",
]
