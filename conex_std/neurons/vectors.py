"""Per-neuron vectors given by the user (a number, a fill mode string or a tensor), and per-replica arithmetic.

With ``R > 1`` replicas a neuron group's state is ``(R, size)``, and a per-replica parameter is either
a float or a ``(R, 1)`` tensor (see :meth:`conex.Behavior.place_replica_values`); the helpers here
take either, and keep the float path exactly what it was without replicas.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from conex import Behavior, ParameterError
from conex.behavior import replica_values
from conex.fill import parse_fill

__all__ = ["add_scaled", "check_each", "fill_where", "neuron_vector", "replica_pairs"]


def neuron_vector(
    behavior: Behavior, neurons: Any, name: str, value: Any, dtype: torch.dtype | None = None
) -> torch.Tensor:
    """A new ``(size,)`` tensor (``(R, size)`` with ``R > 1`` replicas) for ``neurons``, of the network's dtype.

    ``value`` is a number, a fill mode string (``"uniform(0, 1)"``, drawn from the network's
    generator, each replica its own draws), a tensor/array with ``size`` elements in any layout
    (e.g. ``(depth, height, width)``; shared by every replica), or, with ``R > 1``, a ``(R, ...)``
    tensor of ``R * size`` elements (one vector per replica) or a ``(R, 1)`` tensor (one value per
    replica, as a per-replica parameter becomes). The result is a copy. A tensor holds finite real
    numbers (spikes, for ``dtype=torch.bool``: bools or 0/1) that the network's dtype holds. Anything
    else is a :class:`~conex.ParameterError` naming ``behavior``, ``neurons`` and the parameter ``name``.
    """
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        try:
            mode = parse_fill(value)
        except ParameterError as exc:
            raise behavior.bad_parameter(name, value, str(exc.expected), host=neurons) from None
        return neurons.vector(mode, dtype=dtype)
    try:
        tensor = torch.as_tensor(value)
    except (TypeError, ValueError, RuntimeError):
        tensor = None
    net = neurons.network
    spikes = dtype == torch.bool
    if tensor is not None:
        behavior.check_tensor(name, tensor, host=neurons, spikes=spikes)
    replicas, size = net.replicas, neurons.size
    # a 1-D tensor is always per neuron; the replica axis is the first of two or more
    per_replica = tensor is not None and replicas > 1 and tensor.dim() >= 2 and tensor.shape[0] == replicas
    if per_replica and tuple(tensor.shape) == (replicas, 1):  # one value per replica
        tensor = tensor.expand(replicas, size)
    elif tensor is not None and tensor.numel() == size:  # one value per neuron, shared by the replicas
        tensor = tensor.reshape(size).expand(*net.replica_shape, size)
    elif per_replica and tensor.numel() == replicas * size:
        tensor = tensor.reshape(replicas, size)
    else:
        shape = "?" if tensor is None else tuple(tensor.shape)
        got = f"{type(value).__name__} of shape {shape}"
        expected = f"a number, a fill mode or {size} values"
        if replicas > 1:
            expected += f" (or ({replicas}, {size}) / ({replicas}, 1) per replica)"
        raise behavior.bad_parameter(name, got, expected, host=neurons)
    result = tensor.to(device=net.device, dtype=dtype or net.def_dtype).clone(memory_format=torch.contiguous_format)
    return result if spikes else behavior.check_tensor(name, result, host=neurons)  # finite in the network's dtype


def check_each(
    behavior: Behavior, name: str, value: Any, ok: Callable[[float], bool], expected: str, *, host: Any = None
) -> None:
    """Raise ``behavior.bad_parameter`` for the first value of ``value`` (one per replica) that is not ``ok``."""
    for item in replica_values(value):
        if not ok(item):
            raise behavior.bad_parameter(name, item, expected, host=host)


def replica_pairs(first: Any, second: Any) -> list[tuple[int, float, float]]:
    """``(replica, a, b)`` for the values of two parameters replica by replica (a single value stands for all).

    For cross-parameter checks at construction; empty when both give per-replica values of different
    counts (the network reports the count that is not its number of replicas at initialize).
    """
    a, b = replica_values(first), replica_values(second)
    if len(a) != len(b) and 1 not in (len(a), len(b)):
        return []
    count = max(len(a), len(b))
    return [(i, a[i if len(a) > 1 else 0], b[i if len(b) > 1 else 0]) for i in range(count)]


def add_scaled(target: torch.Tensor, values: torch.Tensor, scale: float | torch.Tensor) -> torch.Tensor:
    """``target += values * scale`` in place; ``scale`` a float or a per-replica ``(R, 1)`` tensor."""
    if isinstance(scale, torch.Tensor):
        return target.addcmul_(values, scale)
    return target.add_(values, alpha=scale)


def fill_where(target: torch.Tensor, mask: torch.Tensor, value: float | torch.Tensor, network: Any) -> torch.Tensor:
    """``target[mask] = value`` in place; ``value`` a float or a per-replica ``(R, 1)`` tensor."""
    if isinstance(value, torch.Tensor) and value.dim():
        return torch.where(mask, value, target, out=target)
    return target.masked_fill_(mask, network.constant(value))
