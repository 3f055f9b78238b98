"""Input groups: neurons whose spikes come from data rather than dynamics."""

from __future__ import annotations

from typing import Any

import torch

from conex import Behavior, Phase, param

__all__ = ["SpikeTrainInput"]


class SpikeTrainInput(Behavior):
    """Replays a given spike train: in iteration ``t`` the group's ``spikes`` are row ``t - 1``.

    Args:
        spikes: ``(T, size)`` tensor of spikes (bool or 0/1), one row per iteration.
        loop: start again from row 0 after the last row; otherwise stay silent.
    """

    priority = Phase.INPUT
    category = "neuron"
    provides = ("spikes",)

    spikes: Any = param(positional=True, doc="(T, size) spike train, one row per iteration")
    loop: bool = param(True, doc="replay from the start after the last row")

    def initialize(self, neurons: Any) -> None:
        train = torch.as_tensor(self.spikes)
        if train.dim() != 2 or train.shape[1] != neurons.size:
            raise self.parameter_error(neurons, "spikes", tuple(train.shape), f"a (T, {neurons.size}) tensor")
        self._train = train.to(device=neurons.network.device, dtype=torch.bool)
        self._silent = torch.zeros(neurons.size, dtype=torch.bool, device=neurons.network.device)
        neurons.spikes = self._silent.clone()

    def forward(self, neurons: Any) -> None:
        row = neurons.network.iteration - 1
        if self.loop:
            row %= self._train.shape[0]
        neurons.spikes = self._train[row] if row < self._train.shape[0] else self._silent
