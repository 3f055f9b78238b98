"""Noise added to the membrane voltage."""

from __future__ import annotations

from typing import Any

from conex import Behavior, Phase, param
from conex.fill import parse_fill
from conex_std.neurons.vectors import add_scaled

__all__ = ["InherentNoise"]


class InherentNoise(Behavior):
    """Adds ``scale * noise + offset`` to ``v`` every iteration, ``noise`` drawn afresh as ``mode`` says.

    ``mode`` is a fill mode (``"rand"``: uniform in [0, 1); ``"normal(0, 1)"``...), drawn from the
    network's generator. It runs before the dynamics (priority 250). With ``R > 1`` replicas the
    noise is drawn as one ``(R, size)`` tensor per iteration (each replica its own), and ``scale``
    and ``offset`` may differ per replica.
    """

    priority = Phase.NOISE
    category = "neuron"
    requires = ("v",)
    supports_replicas = True

    mode: str = param("rand", doc="fill mode of the noise, e.g. 'rand' or 'normal(0, 1)'")
    scale: float = param(1.0, per_replica=True, unit="mV", doc="factor on the drawn noise")
    offset: float = param(0.0, per_replica=True, unit="mV", doc="constant added each iteration")

    def validate(self) -> None:
        self._mode = parse_fill(self.mode, owner=type(self).__name__, name="mode")

    def initialize(self, neurons: Any) -> None:
        self._noise = neurons.vector(0)

    def forward(self, neurons: Any) -> None:
        noise = self._mode.apply(self._noise, neurons.network.generator)
        add_scaled(neurons.v, noise, self.scale).add_(self.offset)
