"""Input groups: neurons whose spikes come from data rather than dynamics."""

from __future__ import annotations

from typing import Any

import torch

from conex import Behavior, Phase, ge, param
from conex_std.neurons.vectors import neuron_vector

__all__ = ["PoissonInput", "SpikeTrainInput"]


class SpikeTrainInput(Behavior):
    """Replays a given spike train: in the ``n``-th iteration the group's ``spikes`` are row ``n - 1``.

    Iterations count from the initialize or from the last ``Network.reset``, so each trial replays the
    train from its first row, whatever ``network.iteration`` says.

    With ``R > 1`` replicas a ``(T, R, size)`` train gives each replica its own spikes, and a
    ``(T, size)`` train is replayed in every replica; ``spikes`` is then ``(R, size)``.

    Args:
        spikes: ``(T, size)`` tensor of spikes (bool or 0/1), one row per iteration, or ``(T, R, size)``.
        loop: start again from row 0 after the last row; otherwise stay silent.
    """

    priority = Phase.INPUT
    category = "neuron"
    provides = ("spikes",)
    supports_replicas = True

    spikes: Any = param(positional=True, doc="(T, size) spike train, one row per iteration; or (T, R, size)")
    loop: bool = param(True, doc="replay from the start after the last row")

    def initialize(self, neurons: Any) -> None:
        net = neurons.network
        row = (*net.replica_shape, neurons.size)
        train = torch.as_tensor(self.spikes)
        shared = train.dim() == 2 and train.shape[1] == neurons.size
        if shared and net.replicas > 1:
            train = train.unsqueeze(1).expand(-1, *row)  # one train replayed in every replica
        elif not shared and not (net.replicas > 1 and tuple(train.shape[1:]) == row):
            expected = f"a (T, {neurons.size}) tensor"
            if net.replicas > 1:
                expected += f" or (T, {net.replicas}, {neurons.size}) (one train per replica)"
            raise self.bad_parameter("spikes", tuple(train.shape), expected, host=neurons)
        self._train = train.to(device=net.device, dtype=torch.bool).contiguous()
        self._silent = torch.zeros(row, dtype=torch.bool, device=net.device)
        neurons.spikes = self._silent.clone()
        self._start = neurons.network.iteration

    def reset(self, neurons: Any) -> None:
        neurons.spikes = self._silent.clone()
        self._start = neurons.network.iteration

    def forward(self, neurons: Any) -> None:
        row = neurons.network.iteration - self._start - 1
        if self.loop:
            row %= self._train.shape[0]
        neurons.spikes = self._train[row] if row < self._train.shape[0] else self._silent


class PoissonInput(Behavior):
    """Poisson rate coding: each neuron spikes with probability ``rate * dt / 1000`` per iteration.

    ``rate = intensity * scale`` in Hz (``dt`` in ms), drawn independently per neuron and
    iteration from the network's generator, so the same seed gives the same spikes. Present a new
    stimulus by assigning ``group.intensity = x`` (a tensor, array or number with ``size``
    elements in any layout, e.g. a 28x28 image for a 784-neuron group); it is checked and
    converted to a ``(size,)`` tensor at the next iteration. In-place edits of ``group.intensity``
    take effect too, but are not checked. ``Network.reset`` clears the spikes and keeps the
    intensity: it is the stimulus the user sets, not state the network evolves.

    With ``R > 1`` replicas the draws are one ``(R, size)`` tensor per iteration and ``intensity``
    is ``(R, size)``: ``size`` values are shared by the replicas, a ``(R, size)`` tensor gives each
    replica its own stimulus and a ``(R, 1)`` one (e.g. ``[[1.0], [2.0]]``) one intensity per
    replica; ``scale`` may differ per replica too.

    Example: MNIST pixels in [0, 255] with ``scale=0.25`` give Diehl & Cook's rates up to 63.75 Hz.
    """

    priority = Phase.INPUT
    category = "neuron"
    provides = ("spikes", "intensity")
    supports_replicas = True

    intensity: Any = param(
        0.0, positional=True, doc="initial intensity: number, fill mode, size values, (R, size) or (R, 1); >= 0"
    )
    scale: float = param(1.0, check=ge(0), per_replica=True, unit="Hz", doc="firing rate per unit of intensity")

    def initialize(self, neurons: Any) -> None:
        neurons.intensity = self._accept(neurons, self.intensity)
        self._probability = neurons.vector(0)
        self._draw = neurons.vector(0)
        neurons.spikes = neurons.vector(0, dtype=torch.bool)

    def _accept(self, neurons: Any, value: Any) -> torch.Tensor:
        """``value`` as a checked ``(size,)`` (``(R, size)``) intensity tensor, remembered as the last one checked."""
        intensity = neuron_vector(self, neurons, "intensity", value)
        low = float(intensity.min()) if intensity.numel() else 0.0
        if not low >= 0:
            expected = "values >= 0 (a rate in Hz is intensity * scale)"
            raise self.bad_parameter("intensity", low, expected, host=neurons)
        if isinstance(self.scale, torch.Tensor):  # per replica
            top_rate = float((intensity * self.scale).max()) if intensity.numel() else 0.0
        else:
            top_rate = float(intensity.max()) * self.scale
        if top_rate * neurons.network.dt / 1000.0 > 1.0:
            limit = 1000.0 / neurons.network.dt
            raise self.bad_parameter(
                "intensity",
                f"max rate {top_rate} Hz",
                f"rates <= {limit} Hz (one spike per {neurons.network.dt} ms step)",
                host=neurons,
            )
        self._checked = intensity
        return intensity

    def reset(self, neurons: Any) -> None:
        neurons.spikes = neurons.vector(0, dtype=torch.bool)

    def forward(self, neurons: Any) -> None:
        if neurons.intensity is not self._checked:
            neurons.intensity = self._accept(neurons, neurons.intensity)
        net = neurons.network
        torch.mul(neurons.intensity, net.constant(self.scale * net.dt / 1000.0), out=self._probability)
        neurons.spikes = self._draw.uniform_(generator=net.generator) < self._probability
