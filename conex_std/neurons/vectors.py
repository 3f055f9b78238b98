"""Per-neuron vectors given by the user: a number, a fill mode string or a tensor."""

from __future__ import annotations

from typing import Any

import torch

from conex import Behavior, ParameterError
from conex.fill import parse_fill

__all__ = ["neuron_vector"]


def neuron_vector(
    behavior: Behavior, neurons: Any, name: str, value: Any, dtype: torch.dtype | None = None
) -> torch.Tensor:
    """A new ``(size,)`` tensor for ``neurons`` on the network's device and dtype (or ``dtype``).

    ``value`` is a number, a fill mode string (``"uniform(0, 1)"``, drawn from the network's
    generator) or a tensor/array with ``size`` elements in any layout (e.g. ``(depth, height,
    width)``), which is copied. Anything else is a :class:`~conex.ParameterError` naming
    ``behavior``, ``neurons`` and the parameter ``name``.
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
    if tensor is None or tensor.numel() != neurons.size:
        shape = "?" if tensor is None else tuple(tensor.shape)
        got = f"{type(value).__name__} of shape {shape}"
        raise behavior.bad_parameter(name, got, f"a number, a fill mode or {neurons.size} values", host=neurons)
    net = neurons.network
    return tensor.reshape(-1).to(device=net.device, dtype=dtype or net.def_dtype).clone()
