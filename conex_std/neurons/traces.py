"""Spike traces on neuron groups: a low-pass filtered copy of the spikes."""

from __future__ import annotations

from typing import Any

from conex import Behavior, Phase, gt, param
from conex_std.neurons.vectors import add_scaled
from conex_std.spikes import as_numbers

__all__ = ["SpikeTrace"]


class SpikeTrace(Behavior):
    """The group's spike trace: ``trace += spike_scale * spikes``, then ``trace -= trace / tau_s * dt``.

    Runs after firing (priority 360), so ``neurons.trace`` includes this iteration's spikes; a
    :class:`NeuronAxon` with history can then carry it to delayed synapses. ``Network.reset`` zeroes it.

    Shape: ``trace``: ``(size,)`` float, ``(R, size)`` with ``R > 1`` replicas (``tau_s`` and
    ``spike_scale`` may differ per replica).
    """

    priority = Phase.SPIKE_TRACE
    category = "neuron"
    requires = ("spikes",)
    provides = ("trace",)
    supports_replicas = True

    tau_s: float = param(
        positional=True, check=gt(0), per_replica=True, time_constant=True, unit="ms", doc="trace decay time constant"
    )
    spike_scale: float = param(1.0, per_replica=True, doc="increase of the trace per spike")

    def initialize(self, neurons: Any) -> None:
        neurons.trace = neurons.vector(0)

    def reset(self, neurons: Any) -> None:
        neurons.trace.zero_()

    def forward(self, neurons: Any) -> None:
        trace = neurons.trace
        add_scaled(trace, as_numbers(neurons.spikes), self.spike_scale)
        trace.mul_(neurons.network.constant(1.0 - neurons.network.dt / self.tau_s))
