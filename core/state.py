"""The state of network objects and behaviors: the values they hold, found by walking their attributes.

Checkpoints (:mod:`conex.checkpoint`) save and restore this state and the conformance suite
(:mod:`conex.testing`) compares it between runs; both find it with :func:`walk_state`.

A *value* is what a checkpoint stores and ``torch.load(weights_only=True)`` reads back: a tensor, a
bool, int, float, str or None, or a list, tuple or dict (str or int keys) made of values. An attribute
holding a value is state as a whole. Other containers and plain objects (a topology, a ring buffer)
are walked into ``depth`` levels deep; network objects, behaviors and other torch modules, generators,
types and callables never are: they are state of their own, or none.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any

import torch

from conex.groups import NetworkObject

__all__ = ["is_value", "non_finite", "snapshot", "tensors_in", "walk_state"]

# torch.nn.Module's bookkeeping; a behavior's registered buffers and parameters are its state
_MODULE_INTERNALS = frozenset(vars(torch.nn.Module())) - {"_buffers", "_parameters"}
_PLAIN = (bool, int, float, str, type(None))
_OPAQUE = (NetworkObject, torch.nn.Module, torch.Generator, type)


def is_value(value: Any) -> bool:
    """Whether ``value`` is a tensor, a plain scalar or string, or a list, tuple or dict made only of those."""
    if isinstance(value, (torch.Tensor, *_PLAIN)):
        return True
    if isinstance(value, (list, tuple)):
        return all(is_value(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, (str, int)) and is_value(v) for k, v in value.items())
    return False


def walk_state(obj: Any, *, depth: int = 0, skip: Collection[str] = ()) -> Iterator[tuple[str, Any]]:
    """``(path, value)`` of the state in ``obj``'s attributes, those named in ``skip`` left out.

    An attribute holding a value gives its name as the path; others are walked ``depth`` levels deep,
    giving paths such as ``"_rings['v'].storage"`` or ``"rows[0]"``. Values are not copied.
    """
    for name, value in vars(obj).items():
        if name not in skip and name not in _MODULE_INTERNALS:
            yield from _walk(name, value, depth)


def _walk(path: str, value: Any, depth: int) -> Iterator[tuple[str, Any]]:
    if is_value(value):
        yield path, value
    elif depth == 0 or isinstance(value, _OPAQUE) or callable(value):
        return
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(f"{path}[{key!r}]", item, depth - 1)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _walk(f"{path}[{index}]", item, depth - 1)
    elif hasattr(value, "__dict__"):
        for key, item in vars(value).items():
            yield from _walk(f"{path}.{key}", item, depth - 1)


def snapshot(state: Iterable[tuple[str, Any]], prefix: str = "") -> dict[str, Any]:
    """``state`` (from :func:`walk_state`) as a dict keyed ``prefix + path``, every tensor in it cloned."""
    return {prefix + path: _copy(value) for path, value in state}


def _copy(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    if isinstance(value, tuple) and any(isinstance(item, (torch.Tensor, list, tuple, dict)) for item in value):
        return type(value)(*map(_copy, value)) if hasattr(value, "_fields") else tuple(map(_copy, value))
    return value


def tensors_in(path: str, value: Any) -> Iterator[tuple[str, torch.Tensor]]:
    """``(path, tensor)`` of every tensor in the value ``value`` at ``path`` (itself, or its items')."""
    if isinstance(value, torch.Tensor):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from tensors_in(f"{path}[{key!r}]", item)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from tensors_in(f"{path}[{index}]", item)


def non_finite(objects: Iterable[Any]) -> Iterator[tuple[Any, str]]:
    """``(object, path)`` of every float and floating-point state tensor that holds a NaN or an infinity.

    Looks at each object's attributes and at its behaviors' (as checkpoints find them); a sparse
    tensor's stored values are what is checked.
    """
    for obj in objects:
        owners = [(obj, ""), *((b, f"{type(b).__name__}.") for b in getattr(obj, "behavior", {}).values())]
        for owner, prefix in owners:
            for path, value in walk_state(owner):
                if isinstance(value, float) and not math.isfinite(value):
                    yield obj, prefix + path
                for where, tensor in tensors_in(path, value):
                    values = tensor._values() if tensor.is_sparse else tensor
                    if values.is_floating_point() and not bool(torch.isfinite(values).all()):
                        yield obj, prefix + where
