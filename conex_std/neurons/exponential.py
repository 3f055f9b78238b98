"""Exponential integrate-and-fire dynamics (CoNeX's ELIF and AELIF), and voltage-based homeostasis.

Like :class:`~conex_std.neurons.dynamics.LIF`, the dynamics only move ``v``; :class:`Fire` spikes and
resets. Both follow CoNeX's equations (Gerstner et al., *Neuronal Dynamics*, ch. 5-6).
"""

from __future__ import annotations

from typing import Any

import torch

from conex import Behavior, Phase, ge, gt, param
from conex_std.neurons.dynamics import LIF
from conex_std.neurons.firing import Fire
from conex_std.neurons.vectors import add_scaled, neuron_vector, replica_pairs
from conex_std.spikes import as_numbers

__all__ = ["AELIF", "ELIF", "VoltageBaseHomeostasis"]


def _difference(a: float | torch.Tensor, b: float | torch.Tensor) -> float | torch.Tensor:
    """``a - b`` of two parameters given as a number or one value per replica (a single value stands for all)."""
    values = [x - y for _, x, y in replica_pairs(a, b)]
    return values[0] if isinstance(a, float) and isinstance(b, float) else torch.tensor(values, dtype=torch.float64)


class ELIF(LIF):
    """Exponential LIF: ``tau * dv/dt = v_rest - v + delta * exp((v - theta_rh) / delta) + R * I`` (forward Euler).

    Near the rheobase ``theta_rh`` the exponential term takes over and drives ``v`` up to the threshold
    within a few steps; ``delta`` sets how sharp that onset is. Sets ``delta`` and ``theta_rh`` on the
    group besides LIF's attributes, and reads them back each step.
    """

    provides = (*LIF.provides, "delta", "theta_rh")
    supports_replicas = True  # per-replica values are (R, 1) tensors, as LIF's

    delta: float = param(
        2.0, positional=True, check=gt(0), per_replica=True, unit="mV", doc="sharpness of the exponential onset"
    )
    theta_rh: float = param(
        -50.0, positional=True, per_replica=True, unit="mV", doc="rheobase: where the exponential term takes over"
    )

    def validate(self) -> None:
        super().validate()
        # v_rest - v + delta * exp((v - theta_rh) / delta) is smallest at v = theta_rh: below 0 there, or v has no rest
        for replica, v_rest, highest in replica_pairs(self.v_rest, _difference(self.theta_rh, self.delta)):
            if not v_rest < highest:
                where = f" in replica {replica}" if not isinstance(self.v_rest, float) else ""
                expected = f"a float < theta_rh - delta = {highest}{where} (above it v has no rest and runs away)"
                raise self.bad_parameter("v_rest", v_rest, expected)

    def initialize(self, neurons: Any) -> None:
        super().initialize(neurons)
        neurons.delta, neurons.theta_rh = self.delta, self.theta_rh

    def drive(self, neurons: Any) -> torch.Tensor:
        """``v_rest - v + delta * exp((v - theta_rh) / delta) + R * I``: ``tau * dv/dt``."""
        onset = torch.exp((neurons.v - neurons.theta_rh) / neurons.delta).mul_(neurons.delta)
        return add_scaled(onset, neurons.I, neurons.R).sub_(neurons.v).add_(neurons.v_rest)

    def integrate(self, neurons: Any) -> None:
        add_scaled(neurons.v, self.drive(neurons), neurons.network.dt / neurons.tau)


class AELIF(ELIF):
    """Adaptive exponential LIF: ELIF with an adaptation current ``omega``::

        tau * dv/dt       = v_rest - v + delta * exp((v - theta_rh) / delta) + R * I - R * omega
        w_tau * domega/dt = alpha * (v - v_rest) - omega + beta * w_tau * spikes

    ``omega`` follows each firing: it is updated from the spikes and the (reset) voltage that
    :class:`Fire` left, before the next step of ``v`` (CoNeX updates it inside ``Fire``; ``v`` and the
    spikes are the same, while a recorder sees ``omega`` one update behind). Without a :class:`Fire` on
    the group ``omega`` stays where it started, as in CoNeX. ``Network.reset`` puts ``omega`` back.
    """

    provides = (*ELIF.provides, "omega", "alpha", "beta", "w_tau")

    alpha: float = param(
        0.0, positional=True, per_replica=True, doc="subthreshold adaptation (omega per mV of v - v_rest)"
    )
    beta: float = param(
        0.0, positional=True, per_replica=True, doc="spike-triggered adaptation (omega per spike, over w_tau)"
    )
    w_tau: float = param(
        100.0,
        positional=True,
        check=gt(0),
        per_replica=True,
        time_constant=True,
        unit="ms",
        doc="time constant of omega",
    )
    omega: Any = param(None, doc="initial adaptation current: number, fill mode or (size,) tensor; default 0")

    def initialize(self, neurons: Any) -> None:
        super().initialize(neurons)
        neurons.alpha, neurons.beta, neurons.w_tau = self.alpha, self.beta, self.w_tau
        neurons.omega = neuron_vector(self, neurons, "omega", 0.0 if self.omega is None else self.omega)
        self._initial_omega = neurons.omega.clone()
        self._adapts = any(isinstance(b, Fire) for b in neurons.behavior.values())
        self._fired = False  # no firing has happened before the first step

    def reset(self, neurons: Any) -> None:
        super().reset(neurons)
        neurons.omega.copy_(self._initial_omega)
        self._fired = False

    def adapt(self, neurons: Any) -> None:
        """``omega += (alpha * (v - v_rest) - omega + beta * w_tau * spikes) * dt / w_tau``."""
        change = torch.sub(neurons.v, neurons.v_rest).mul_(neurons.alpha).sub_(neurons.omega)
        add_scaled(change, as_numbers(neurons.spikes), neurons.beta * neurons.w_tau)
        add_scaled(neurons.omega, change, neurons.network.dt / neurons.w_tau)

    def drive(self, neurons: Any) -> torch.Tensor:
        return add_scaled(super().drive(neurons), neurons.omega, -neurons.R)

    def integrate(self, neurons: Any) -> None:
        if self._adapts and self._fired:
            self.adapt(neurons)
        self._fired = self._adapts
        super().integrate(neurons)


class VoltageBaseHomeostasis(Behavior):
    """Voltage homeostasis (CoNeX's): a growing ``exhaustion`` pulls ``v`` back into ``[min_ta, max_ta]``.

    Each iteration, for ``v`` above ``max_ta`` or below ``min_ta``::

        exhaustion += eta_ip * (v - max_ta)   (or (v - min_ta))
        v -= exhaustion

    ``max_ta`` and ``min_ta`` default to ``target_voltage``. ``neurons.exhaustion`` is learned:
    ``Network.reset`` keeps it.
    """

    priority = Phase.KWTA + 1  # CoNeX's 301: after the dynamics, before firing
    category = "neuron"
    requires = ("v",)
    provides = ("exhaustion",)
    supports_replicas = True  # elementwise on (R, size) voltages, with one range for every replica

    target_voltage: float | None = param(None, unit="mV", doc="the voltage homeostasis aims for")
    max_ta: float | None = param(None, unit="mV", doc="upper end of the allowed voltage; default target_voltage")
    min_ta: float | None = param(None, unit="mV", doc="lower end of the allowed voltage; default target_voltage")
    eta_ip: float = param(0.001, check=ge(0), doc="rate at which exhaustion grows per mV outside the range")

    def validate(self) -> None:
        self._max = self.target_voltage if self.max_ta is None else self.max_ta
        self._min = self.target_voltage if self.min_ta is None else self.min_ta
        if self._max is None or self._min is None:
            name = "max_ta" if self._max is None else "min_ta"
            raise self.bad_parameter(name, None, "a float, or target_voltage given")
        if self._max < self._min:
            raise self.bad_parameter("max_ta", self._max, f"a float >= min_ta ({self._min})")

    def initialize(self, neurons: Any) -> None:
        neurons.exhaustion = neurons.vector(0)

    def forward(self, neurons: Any) -> None:
        v = neurons.v
        outside = (v - self._max).clamp_(min=0).add_((v - self._min).clamp_(max=0))
        neurons.exhaustion.add_(outside, alpha=self.eta_ip)
        v.sub_(neurons.exhaustion)
