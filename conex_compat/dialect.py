"""CoNeX's two dialects and their priority tables, and ``prioritize_behaviors``.

CoNeX's main branch (the API its reference documents) catches spikes on synapses
(``PreSpikeCatcher``, ``PreTrace``...) and learns at priorities 500-540; CoNeX 0.1.5 (the release on
PyPI) has its learning rules read the neuron groups' traces and learns at 400-440. conex runs main
code unless told otherwise: :func:`dialect` ``("0.1.5")`` or the environment variable
``CONEX_DIALECT=0.1.5``, read when a behavior name or a priority is looked up. It is never guessed.
The choice lives in that environment variable (the process's one copy of it), so a subprocess
inherits it and no module keeps state of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from conex import Behavior
from conex.errors import ConexError, bad_parameter

__all__ = [
    "DIALECTS",
    "ENVIRONMENT_VARIABLE",
    "LAYER_PRIORITIES",
    "NETWORK_PRIORITIES",
    "NEURON_PRIORITIES",
    "SYNAPSE_PRIORITIES",
    "current_dialect",
    "dialect",
    "merge_behaviors",
    "priorities",
    "prioritize_behaviors",
]

MAIN = "main"
V0_1_5 = "0.1.5"
DIALECTS = (MAIN, V0_1_5)
ENVIRONMENT_VARIABLE = "CONEX_DIALECT"

NETWORK_PRIORITIES = MappingProxyType({"TimeResolution": 1, "Payoff": 100, "Dopamine": 120})
NEURON_PRIORITIES = MappingProxyType(
    {
        "SimpleDendriteStructure": 220,
        "SimpleDendriteComputation": 240,
        "NeuronDynamic": 260,
        "LIF": 260,
        "ELIF": 260,
        "AELIF": 260,
        "InherentNoise": 280,
        "KWTA": 300,
        "VoltageBaseHomeostasis": 301,
        "Fire": 340,
        "LocationSetter": 340,
        "SensorySetter": 340,
        "ActivityBaseHomeostasis": 341,
        "SpikeTrace": 360,
        "NeuronAxon": 380,
    }
)
LAYER_PRIORITIES = MappingProxyType({"SpikeNdDataset": 320})

_INPUTS = (
    "AveragePool2D",
    "BaseDendriticInput",
    "Conv2dDendriticInput",
    "LateralDendriticInput",
    "Local2dDendriticInput",
    "One2OneDendriticInput",
    "SimpleDendriticInput",
    "SparseDendriticInput",
)
_RULES = (
    "BaseLearning",
    "LearningRule",
    *(
        f"{layout}{rule}"
        for layout in ("Simple", "Sparse", "One2One", "Conv2d", "Local2d")
        for rule in ("STDP", "iSTDP", "RSTDP")
    ),
)


def _synapse_table(learning: int, catchers: bool) -> Mapping[str, int]:
    table = {"SynapseInit": 2, "WeightInitializer": 3, "DelayInitializer": 4, "CurrentNormalization": 200}
    table.update(dict.fromkeys(_INPUTS, 180))
    if catchers:
        table.update(PreSpikeCatcher=420, PostSpikeCatcher=440, PreTrace=460, PostTrace=480)
    table.update(dict.fromkeys(_RULES, learning))
    table.update(WeightNormalization=learning + 20, WeightClip=learning + 40)
    return MappingProxyType(table)


SYNAPSE_PRIORITIES = MappingProxyType({MAIN: _synapse_table(500, True), V0_1_5: _synapse_table(400, False)})


def dialect(name: str | None = None) -> str:
    """Choose the CoNeX dialect for this process (``"main"`` or ``"0.1.5"``) and return the one in force.

    Call it before importing behaviors from ``conex.behaviors.synapses``: a name is resolved when it is
    imported. Without an argument it only reports the current dialect.
    """
    if name is not None:
        if name not in DIALECTS:
            raise bad_parameter("dialect", "name", name, "one of " + ", ".join(repr(d) for d in DIALECTS))
        os.environ[ENVIRONMENT_VARIABLE] = name
    return current_dialect()


def current_dialect() -> str:
    """The dialect in force: ``CONEX_DIALECT`` when set, else ``"main"``."""
    name = os.environ.get(ENVIRONMENT_VARIABLE) or MAIN
    if name not in DIALECTS:
        expected = "one of " + ", ".join(repr(d) for d in DIALECTS)
        raise bad_parameter("environment", ENVIRONMENT_VARIABLE, name, expected)
    return name


def priorities() -> dict[str, int]:
    """CoNeX's priority of every behavior name it lists, in the current dialect."""
    return {
        **NETWORK_PRIORITIES,
        **NEURON_PRIORITIES,
        **LAYER_PRIORITIES,
        **SYNAPSE_PRIORITIES[current_dialect()],
    }


def priority_of(behavior: Behavior) -> int:
    """CoNeX's priority of ``behavior``: its class name in the table, else its class's default priority."""
    name = type(behavior).__name__
    table = priorities()
    for cls in type(behavior).__mro__:  # a subclass of LIF (a lab's own) runs where LIF does
        if cls.__name__ in table:
            return table[cls.__name__]
    default = type(behavior).priority
    if default is None:
        expected = "a behavior CoNeX's priority table lists, or one with a default priority"
        raise bad_parameter("prioritize_behaviors", "behavior", name, expected)
    return int(default)


def prioritize_behaviors(behaviors: Iterable[Behavior]) -> dict[int, Behavior]:
    """``{priority: behavior}`` for a list of behaviors, each at CoNeX's priority for its class.

    Two behaviors at one priority are an error naming both (CoNeX keeps the last one silently).
    """
    result: dict[int, Behavior] = {}
    for behavior in behaviors:
        if not isinstance(behavior, Behavior):
            raise bad_parameter("prioritize_behaviors", "behavior", behavior, "a conex Behavior", wrong_type=True)
        key = priority_of(behavior)
        if key in result:
            raise ConexError(
                f"prioritize_behaviors: {type(behavior).__name__} and {type(result[key]).__name__} both run at "
                f"priority {key}; give one of them another priority in a {{priority: behavior}} dict"
            )
        result[key] = behavior
    return result


def merge_behaviors(where: str, *parts: Mapping[Any, Behavior] | None) -> dict[Any, Behavior]:
    """The union of several ``{priority: behavior}`` dicts; one priority in two of them is an error."""
    merged: dict[Any, Behavior] = {}
    for part in parts:
        for key, behavior in (part or {}).items():
            if key in merged:
                raise ConexError(
                    f"{where}: priority {key} is taken by both {type(merged[key]).__name__} and "
                    f"{type(behavior).__name__}; give one of them another priority"
                )
            merged[key] = behavior
    return merged
