"""Firing: which neurons spike this iteration, and the reset that follows."""

from __future__ import annotations

from typing import Any

import torch

from conex import Behavior, Phase, ge, param
from conex_std.neurons.vectors import fill_where

__all__ = ["KWTA", "Fire"]


class Fire(Behavior):
    """Threshold crossing: ``spikes = v >= threshold``, then ``v[spikes] = v_reset``.

    Reads the group's ``threshold`` tensor (LIF's, moved by homeostasis behaviors such as
    :class:`AdaptiveThreshold`) and its ``v_reset``.

    Shape: ``spikes``: ``(size,)`` bool (``(R, size)`` with ``R > 1`` replicas), a new tensor each
    iteration; a per-replica ``v_reset`` is a ``(R, 1)`` tensor.
    """

    priority = Phase.FIRE
    category = "neuron"
    requires = ("v", "threshold", "v_reset")
    provides = ("spikes",)
    supports_replicas = True

    def forward(self, neurons: Any) -> None:
        spikes = neurons.v >= neurons.threshold
        fill_where(neurons.v, spikes, neurons.v_reset, neurons.network)
        neurons.spikes = spikes


class KWTA(Behavior):
    """k-winners-take-all: of the neurons at or above threshold, only the ``k`` that exceed it most may fire.

    The others that reached threshold are reset to ``v_reset`` before :class:`Fire` looks, so at
    most ``k`` neurons fire. Winners are ranked by ``v - threshold`` (as CoNeX does; the same as
    ranking by ``v`` when all thresholds are equal); ties go to the lower index, so exactly ``k``
    fire whenever ``k`` or more are eligible.

    With ``dimension`` set, the group is viewed as ``(depth, height, width)`` and the competition
    runs along that axis separately for every position of the other two (``dimension=0``: ``k``
    winners among the depth channels at each pixel). With ``R > 1`` replicas each replica has its
    own competition: ``k`` winners per replica (and position).
    """

    priority = Phase.KWTA
    category = "neuron"
    requires = ("v", "threshold", "v_reset")
    supports_replicas = True

    k: int = param(positional=True, check=ge(1), doc="number of winners")
    dimension: int | None = param(
        None, check=ge(0), doc="axis of (depth, height, width) to compete along; None: the whole group"
    )

    def initialize(self, neurons: Any) -> None:
        replicas = neurons.network.replica_shape  # the competition runs within each replica
        if self.dimension is None:
            self._shape: tuple[int, ...] = (*replicas, neurons.size)
            self._dim = len(replicas)
        elif self.dimension > 2:
            expected = "0, 1, 2 (depth, height, width) or None"
            raise self.bad_parameter("dimension", self.dimension, expected, host=neurons)
        else:
            self._shape, self._dim = (*replicas, *neurons.shape), len(replicas) + self.dimension
        length = self._shape[self._dim]
        if self.k > length:
            where = "neurons in the group" if self.dimension is None else f"neurons along dimension {self.dimension}"
            raise self.bad_parameter("k", self.k, f"<= {length} ({where})", host=neurons)
        self._winners = torch.zeros(self._shape, dtype=torch.bool, device=neurons.network.device)

    def forward(self, neurons: Any) -> None:
        eligible = (neurons.v >= neurons.threshold).view(self._shape)
        excess = (neurons.v - neurons.threshold).view(self._shape).masked_fill_(~eligible, -torch.inf)
        order = torch.sort(excess, dim=self._dim, descending=True, stable=True).indices
        top = order.narrow(self._dim, 0, self.k)
        winners = self._winners.fill_(False).scatter_(self._dim, top, True)
        losers = eligible & ~winners
        fill_where(neurons.v, losers.view(neurons.v.shape), neurons.v_reset, neurons.network)
