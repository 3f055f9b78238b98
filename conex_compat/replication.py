"""Saving structures as dicts (and JSON), building them back, and ``replicate``: CoNeX's ``conex.nn.utils.replication``.

A saved structure is a dict of its class, tag, behaviors (class, positional and keyword parameters,
priority) and constructor arguments; the structures it is made of are saved with it under
``built_structures``, by index, and built first. In JSON a class or function is written as
``["python_callable", module, name]`` and found again by importing ``module`` and reading ``name``;
nothing in the file is evaluated. A JSON file is written anew (CoNeX appends to it, which makes a
second save unreadable).
"""

from __future__ import annotations

import copy
import importlib
import json
from collections.abc import Mapping
from typing import Any

import attrs

import conex
from conex.errors import ConexError
from conex_compat.structure import InputLayer, OutputLayer

__all__ = [
    "behaviors_to_list",
    "build_behavior_dict",
    "create_structure_from_dict",
    "get_all_required_structures",
    "load_structure_dict_from_json",
    "replicate",
    "save_structure",
    "save_structure_dict_to_json",
]

_CALLABLE = "python_callable"
_ELEMENTAL = (conex.NeuronGroup, conex.SynapseGroup, InputLayer, OutputLayer)


def _parameters(behavior: conex.Behavior) -> tuple[list[Any], dict[str, Any]]:
    """The arguments that build ``behavior`` again: ``init_kwargs`` of a PymoNNtorch-style one, else its parameters."""
    given = getattr(behavior, "init_kwargs", None)
    if given is not None:
        positional = sorted((int(k[4:]), v) for k, v in given.items() if k.startswith("arg_"))
        return [v for _, v in positional], {k: v for k, v in given.items() if not k.startswith("arg_")}
    if attrs.has(type(behavior)):
        return [], dict(behavior.parameter_values())
    return [], {}


def behaviors_to_list(
    behavior: Mapping[Any, conex.Behavior], save_behavior_tag: bool = True, save_behavior_priority: bool = True
) -> list[dict[str, Any]]:
    """Each behavior of a ``{priority: behavior}`` dict as ``{key, class, parameters_args, parameters_kwargs}``."""
    saved = []
    for key, value in behavior.items():
        args, kwargs = _parameters(value)
        if not save_behavior_tag:
            kwargs.pop("tag", None)
        entry: dict[str, Any] = {"key": key} if save_behavior_priority else {}
        entry.update({"class": type(value), "parameters_args": args, "parameters_kwargs": kwargs})
        saved.append(entry)
    return saved


def build_behavior_dict(behavior_list: list[dict[str, Any]]) -> dict[Any, conex.Behavior]:
    """The ``{priority: behavior}`` dict a :func:`behaviors_to_list` list describes (position when no key)."""
    return {
        entry.get("key", i): entry["class"](*entry["parameters_args"], **entry["parameters_kwargs"])
        for i, entry in enumerate(behavior_list)
    }


def get_all_required_structures(structure: Any) -> list[Any]:
    """Every structure ``structure`` is made of, however deep, in the order the network made them."""
    found: list[Any] = []
    pending = list(structure.required_helper())
    while pending:
        part = pending.pop(0)
        if part in found:
            continue
        found.append(part)
        if not isinstance(part, _ELEMENTAL):
            pending.extend(part.required_helper())
    order = structure.network.Structures
    return sorted(found, key=order.index)


def save_structure(
    struc: Any,
    save_device: bool = False,
    built_structures: dict[int, Any] | None = None,
    save_structure_tag: bool = False,
    save_behavior_tag: bool = True,
    save_behavior_priority: bool = True,
    all_structures_required: list[Any] | None = None,
) -> dict[str, Any]:
    """``struc`` as a dict :func:`create_structure_from_dict` builds again (input and output layers cannot be saved)."""
    if isinstance(struc, (InputLayer, OutputLayer)):
        raise ConexError(f"{struc.label()}: an {type(struc).__name__} cannot be saved (it holds a data loader)")
    result: dict[str, Any] = {
        "tag": ",".join(struc.tags) if save_structure_tag else None,
        "class": type(struc),
        "behavior": behaviors_to_list(struc.behavior, save_behavior_tag, save_behavior_priority),
    }
    if save_device:
        result["device"] = str(struc.network.device)
    if all_structures_required is None:
        built_structures = result["built_structures"] = {}
        all_structures_required = get_all_required_structures(struc)
    elif built_structures is None:
        built_structures = {}
    if isinstance(struc, conex.NeuronGroup):
        result["size"] = struc.size
    elif isinstance(struc, conex.SynapseGroup):
        result["src"] = _position(all_structures_required, struc.src)
        result["dst"] = _position(all_structures_required, struc.dst)
    else:
        for index, part in enumerate(all_structures_required):
            if index not in built_structures:
                built_structures[index] = save_structure(
                    part,
                    save_device=save_device,
                    built_structures=built_structures,
                    save_structure_tag=save_structure_tag,
                    save_behavior_tag=save_behavior_tag,
                    save_behavior_priority=save_behavior_priority,
                    all_structures_required=all_structures_required,
                )
        result.update(struc.save_helper(all_structures_required))
    return result


def _position(structures: list[Any], obj: Any) -> int | None:
    return structures.index(obj) if obj in structures else None


def create_structure_from_dict(
    net: Any, structure_dict: dict[str, Any], built_structures: dict[int, Any] | None = None
) -> Any:
    """Build the structure a :func:`save_structure` dict describes in ``net`` (the dict is left as it is)."""
    saved = copy.deepcopy(structure_dict)
    cls = saved.pop("class")
    behavior = build_behavior_dict(saved.pop("behavior"))
    built = {} if built_structures is None else built_structures
    if issubclass(cls, conex.NeuronGroup):
        return cls(saved["size"], net=net, behavior=behavior, tag=saved.get("tag"))
    if issubclass(cls, conex.SynapseGroup):
        src, dst = (None if saved[end] is None else built[saved[end]] for end in ("src", "dst"))
        return cls(net=net, src=src, dst=dst, behavior=behavior, tag=saved.get("tag"))
    if issubclass(cls, (InputLayer, OutputLayer)):
        raise ConexError(f"an {cls.__name__} cannot be built from a saved structure (it holds a data loader)")
    for index, part in sorted(saved.pop("built_structures", {}).items()):
        if index in built:
            raise ConexError(f"saved structure {cls.__name__}: part {index} is listed twice")
        built[index] = create_structure_from_dict(net, part, built)
    parameters = cls.build_helper(saved, built)
    return cls(net=net, behavior=behavior, **parameters)


def replicate(obj: Any, net: Any) -> tuple[Any, dict[str, Any]]:
    """A copy of ``obj`` (and everything it is made of) in ``net``, and the dict it was built from."""
    saved = save_structure(obj, save_device=True, save_structure_tag=True)
    return create_structure_from_dict(net, saved), saved


def _encoded(value: Any) -> Any:
    if isinstance(value, type) or callable(value):
        return [_CALLABLE, value.__module__, value.__qualname__]
    raise TypeError(f"cannot save {value!r} ({type(value).__name__}) in JSON")


def _decoded(value: Any) -> Any:
    if isinstance(value, list):
        if len(value) == 3 and value[0] == _CALLABLE and all(isinstance(v, str) for v in value):
            found: Any = importlib.import_module(value[1])
            for part in value[2].split("."):
                found = getattr(found, part)
            return found
        return [_decoded(v) for v in value]
    if isinstance(value, dict):
        return {k: _decoded(v) for k, v in value.items()}
    return value


def save_structure_dict_to_json(struc_dict: dict[str, Any], filename: str) -> None:
    """Write a saved structure to ``filename`` as JSON (classes and functions by module and name)."""
    with open(filename, "w", encoding="utf-8") as file:
        json.dump(struc_dict, file, default=_encoded, indent=2)


def load_structure_dict_from_json(filename: str) -> dict[str, Any]:
    """Read a structure saved by :func:`save_structure_dict_to_json`; part indexes become ints again."""
    with open(filename, encoding="utf-8") as file:
        saved = _decoded(json.load(file))
    if "built_structures" in saved:
        saved["built_structures"] = {int(k): v for k, v in saved["built_structures"].items()}
    return saved
