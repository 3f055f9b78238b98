"""Homeostasis: thresholds that move so that each neuron's activity stays in a useful range.

Both behaviors act on the group's ``threshold`` tensor (made by :class:`LIF`), which :class:`Fire`
and :class:`KWTA` read, so they compose: each adds its own change to the same tensor.
"""

from __future__ import annotations

from typing import Any

import torch

from conex import Behavior, Phase, ge, gt, param
from conex_std.neurons.vectors import add_scaled, check_each, neuron_vector
from conex_std.spikes import as_numbers

__all__ = ["ActivityBaseHomeostasis", "AdaptiveThreshold"]


class AdaptiveThreshold(Behavior):
    """Spike-triggered threshold adaptation of Diehl & Cook (2015): the effective threshold is ``threshold + theta``.

    Each iteration, after firing: ``theta -= theta * dt / tau_theta`` (exponential decay), then
    ``theta += theta_plus * spikes``. The change of ``theta`` is added to the group's
    ``threshold`` tensor, so ``neurons.threshold`` always holds the base threshold plus ``theta``
    (plus any other homeostasis). ``neurons.theta`` exposes the offset; to reuse a trained one,
    pass it as ``init_theta`` (and disable the behavior to keep it fixed, as Diehl & Cook do
    when testing). ``Network.reset`` keeps ``theta``: it is learned.

    Shape: ``theta``: ``(size,)`` float, ``(R, size)`` with ``R > 1`` replicas (``theta_plus`` and
    ``tau_theta`` may differ per replica).
    """

    priority = Phase.HOMEOSTASIS
    category = "neuron"
    requires = ("spikes", "threshold")
    provides = ("theta",)
    supports_replicas = True

    theta_plus: float = param(0.05, check=ge(0), per_replica=True, unit="mV", doc="threshold increase per spike")
    tau_theta: float = param(
        1e7, check=gt(0), per_replica=True, time_constant=True, unit="ms", doc="decay time constant of theta"
    )
    init_theta: Any = param(0.0, unit="mV", doc="initial theta: number, fill mode, (size,) or (R, size) tensor")

    def initialize(self, neurons: Any) -> None:
        if not isinstance(getattr(neurons, "threshold", None), torch.Tensor):
            raise self.error(neurons, "needs a threshold tensor, which LIF provides (LIF must come before it)")
        neurons.theta = neuron_vector(self, neurons, "init_theta", self.init_theta)
        neurons.threshold += neurons.theta
        self._change = neurons.vector(0)

    def forward(self, neurons: Any) -> None:
        change = torch.mul(neurons.theta, -neurons.network.dt / self.tau_theta, out=self._change)
        add_scaled(change, as_numbers(neurons.spikes), self.theta_plus)
        neurons.theta += change
        neurons.threshold += change


class ActivityBaseHomeostasis(Behavior):
    """Threshold homeostasis towards a target number of spikes per window (CoNeX's).

    Every iteration each neuron's activity gains ``1`` if it spiked and
    ``-activity_rate / (window_size - activity_rate)`` if not, so a neuron that fires exactly
    ``activity_rate`` times in ``window_size`` iterations ends the window at zero. At the end of
    each window (iterations that are multiples of ``window_size``)
    ``threshold += updating_rate * activity``, the activity restarts from zero and
    ``updating_rate *= decay_rate``: busy neurons get harder to fire, quiet ones easier.
    ``Network.reset`` keeps the activity and the rate: homeostasis spans trials, and its windows
    follow ``network.iteration``, which a reset does not touch.

    With ``R > 1`` replicas the activity is ``(R, size)`` and the float parameters may differ per
    replica (the window is shared: it is the network's clock).
    """

    priority = Phase.HOMEOSTASIS
    category = "neuron"
    requires = ("spikes", "threshold")
    supports_replicas = True

    activity_rate: float = param(
        positional=True, check=ge(0), per_replica=True, doc="target number of spikes per window"
    )
    window_size: int = param(positional=True, check=ge(1), unit="iterations", doc="iterations per window")
    updating_rate: float = param(
        positional=True, check=ge(0), per_replica=True, unit="mV", doc="threshold change per unit activity"
    )
    decay_rate: float = param(
        1.0, check=ge(0), per_replica=True, doc="factor applied to updating_rate after each window"
    )

    def validate(self) -> None:
        check_each(
            self,
            "activity_rate",
            self.activity_rate,
            lambda v: v < self.window_size,
            f"a float < window_size ({self.window_size})",
        )

    def initialize(self, neurons: Any) -> None:
        self._penalty = -self.activity_rate / (self.window_size - self.activity_rate)
        self._rate = self.updating_rate
        self.activities = neurons.vector(0)

    def forward(self, neurons: Any) -> None:
        # + 1 for a spike, + penalty otherwise
        add_scaled(self.activities, as_numbers(neurons.spikes), 1.0 - self._penalty).add_(self._penalty)
        if neurons.network.iteration % self.window_size == 0:
            add_scaled(neurons.threshold, self.activities, self._rate)
            self.activities.zero_()
            self._rate = self._rate * self.decay_rate  # a new value: a per-replica rate is the parameter's tensor
