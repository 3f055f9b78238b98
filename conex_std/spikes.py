"""Binary spike vectors on the hot path: whether any neuron spiked, and the spikes as numbers.

torch's CPU kernels over ``bool`` tensors are not vectorized; over ``uint8`` they are, and a
``bool`` tensor viewed as ``uint8`` holds the same 0/1 values. Reading spikes through that view
makes reductions and conversions 2-4x faster on groups of thousands of neurons (measured with
torch 2.13, one thread) and changes no result.
"""

from __future__ import annotations

import torch

__all__ = ["as_numbers", "silent"]

# silent()'s answers: id -> (tensor, its version counter then, answer); the tensor is held so the id stays its own
_SILENCE: dict[int, tuple[torch.Tensor, int, bool]] = {}
_SILENCE_ENTRIES = 64
_SMALL = 4096  # below this many neurons, count_nonzero over the bools beats any() over the bytes


def as_numbers(spikes: torch.Tensor) -> torch.Tensor:
    """``spikes`` for arithmetic with floats: a ``bool`` vector as its ``uint8`` view (no copy), else itself."""
    return spikes.view(torch.uint8) if spikes.dtype == torch.bool else spikes


def silent(spikes: torch.Tensor) -> bool:
    """Whether ``spikes`` is a binary spike vector without any spike.

    Looking costs a device sync, so the answer is remembered per tensor and version counter: the
    spike catchers hand one axon row to every synapse that reads a group (its dendritic input,
    the rules at either end), and the row only changes by an in-place write, which bumps the
    version. Writes that bypass torch (through a NumPy view) are not seen.
    """
    if spikes.dtype != torch.bool:
        return False
    try:
        version = spikes._version
    except RuntimeError:  # inference-mode tensors keep no version counter
        return not _any(spikes)
    seen = _SILENCE.get(id(spikes))
    if seen is not None and seen[0] is spikes and seen[1] == version:
        return seen[2]
    answer = not _any(spikes)
    if len(_SILENCE) >= _SILENCE_ENTRIES:  # fresh tensors every step (delayed reads): do not grow
        _SILENCE.clear()
    _SILENCE[id(spikes)] = (spikes, version, answer)
    return answer


def _any(spikes: torch.Tensor) -> bool:
    return bool(spikes.count_nonzero() if spikes.numel() < _SMALL else spikes.view(torch.uint8).any())
