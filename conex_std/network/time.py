"""The network's time step."""

from __future__ import annotations

from typing import Any

from conex import Behavior, Phase, gt, param
from conex_std.network.hosts import require_network

__all__ = ["TimeResolution"]


class TimeResolution(Behavior):
    """Sets ``network.dt``, the time one iteration advances, at initialize (CoNeX's way of choosing dt).

    ``Network(dt=...)`` does the same; this behavior is for configurations written the CoNeX way.
    Replicas share the clock, so ``dt`` is one value for all of them.
    """

    priority = Phase.TIME_RESOLUTION
    category = "network"
    provides = ("dt",)
    supports_replicas = True

    dt: float = param(1.0, check=gt(0), unit="ms", doc="time step of one iteration")

    def initialize(self, network: Any) -> None:
        require_network(self, network)
        network.dt = self.dt
