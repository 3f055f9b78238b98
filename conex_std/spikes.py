"""Binary spike vectors on the hot path: whether any neuron spiked, and the spikes as numbers.

torch's CPU kernels over ``bool`` tensors are not vectorized; over ``uint8`` they are, and a
``bool`` tensor viewed as ``uint8`` holds the same 0/1 values. Reading spikes through that view
makes reductions and conversions several times faster on groups of thousands of neurons and
changes no result.
"""

from __future__ import annotations

import torch

__all__ = ["SilenceChecks", "as_numbers"]

_SMALL = 4096  # below this many neurons, count_nonzero over the bools beats any() over the bytes


def as_numbers(spikes: torch.Tensor) -> torch.Tensor:
    """``spikes`` for arithmetic with floats: a ``bool`` vector as its ``uint8`` view (no copy), else itself."""
    return spikes.view(torch.uint8) if spikes.dtype == torch.bool else spikes


class SilenceChecks:
    """Whether a spike vector has no spike, remembered per network (``network.shared(SilenceChecks)``),
    so that a spike vector is looked at once per step.

    Looking costs a device sync. The spike catchers hand one axon row to every synapse that reads a
    group (its dendritic input, the rules at either end), and the row only changes by an in-place
    write, which bumps torch's version counter of the tensor; so an answer is kept per tensor and
    version. Writes that bypass torch (through a NumPy view) are not seen.
    """

    entries = 64  # fresh tensors every step (delayed reads) must not grow the table

    def __init__(self) -> None:
        self._answers: dict[int, tuple[torch.Tensor, int, bool]] = {}  # id -> (tensor held, version, answer)

    def __call__(self, spikes: torch.Tensor) -> bool:
        """Whether ``spikes`` is a binary spike vector without any spike."""
        if spikes.dtype != torch.bool:
            return False
        try:
            version = spikes._version
        except RuntimeError:  # inference-mode tensors keep no version counter
            return not _any(spikes)
        seen = self._answers.get(id(spikes))
        if seen is not None and seen[0] is spikes and seen[1] == version:
            return seen[2]
        answer = not _any(spikes)
        if len(self._answers) >= self.entries:
            self._answers.clear()
        self._answers[id(spikes)] = (spikes, version, answer)
        return answer


def _any(spikes: torch.Tensor) -> bool:
    return bool(spikes.count_nonzero() if spikes.numel() < _SMALL else spikes.view(torch.uint8).any())
