"""Membrane dynamics: how a neuron group's voltage evolves under its input current."""

from __future__ import annotations

import math
from typing import Any

import torch

from conex import Behavior, Phase, ge, gt, param
from conex_std.neurons.vectors import fill_where, neuron_vector, replica_pairs

__all__ = ["LIF"]


class LIF(Behavior):
    """Leaky integrate-and-fire dynamics: ``tau * dv/dt = v_rest - v + R * I`` (forward Euler).

    Each iteration ``v += (v_rest - v + R * I) * dt / tau``. Spiking and reset are :class:`Fire`'s
    (and :class:`KWTA`'s) work, so the dynamics can be combined with other firing rules.

    At initialize it sets on the group ``v`` (``init_v``), ``spikes`` (``init_s``, else none),
    ``I`` (zeros, unless a dendrite behavior already made it), ``threshold`` as a ``(size,)``
    tensor that homeostasis behaviors may move, and the floats ``R``, ``tau``, ``v_rest`` and
    ``v_reset``; each step reads them back from the group, so changing ``neurons.tau`` takes effect.
    ``Network.reset`` puts ``v`` and ``spikes`` back to these initial values; ``threshold`` (which
    homeostasis moves) and ``I`` (a dendrite's, or the drive a user sets) stay.

    Refractory period: with ``refractory > 0`` ms a neuron that fired in iteration t has ``v`` held
    at ``v_reset`` (no integration, hence no spike) in iterations t+1 .. t+n, ``n = ceil(refractory /
    dt)`` (to a billionth of a step: 5 ms at dt = 0.1 ms is 50 steps), so it integrates again in
    t+n+1; the steps still to wait are ``neurons.refractory_left`` (int). The default 0 changes nothing.

    Replicas: ``R``, ``threshold``, ``tau``, ``v_reset`` and ``v_rest`` may be given one value per
    replica; on the group they are then ``(R, 1)`` tensors, broadcast against the ``(R, size)`` state.

    Shape: ``v``, ``I``, ``threshold``: ``(size,)`` floats; ``spikes``: ``(size,)`` bool; each with a
    leading replica axis, ``(R, size)``, with ``R > 1`` replicas.
    """

    priority = Phase.NEURON_DYNAMICS
    category = "neuron"
    provides = ("v", "spikes", "I", "threshold", "v_reset", "v_rest", "tau", "R")
    supports_replicas = True

    R: float = param(
        1.0, positional=True, check=gt(0), per_replica=True, doc="membrane resistance (input current scale)"
    )
    threshold: float = param(-55.0, positional=True, per_replica=True, unit="mV", doc="firing threshold")
    tau: float = param(
        10.0,
        positional=True,
        check=gt(0),
        per_replica=True,
        time_constant=True,
        unit="ms",
        doc="membrane time constant",
    )
    v_reset: float = param(-70.0, positional=True, per_replica=True, unit="mV", doc="voltage right after a spike")
    v_rest: float = param(
        -65.0, positional=True, per_replica=True, unit="mV", doc="resting voltage, reached without input"
    )
    init_v: Any = param(
        None, unit="mV", doc="initial voltage: number, fill mode, (size,) or (R, size) tensor; default v_rest"
    )
    init_s: Any = param(None, doc="initial spikes: (size,) or (R, size) bool tensor; default none")
    refractory: float = param(
        0.0, check=ge(0), unit="ms", doc="absolute refractory period: v held at v_reset after a spike; 0: none"
    )

    def validate(self) -> None:
        pairs = replica_pairs(self.threshold, self.v_reset)
        for replica, threshold, v_reset in pairs:
            if not threshold > v_reset:
                where = f" in replica {replica}" if len(pairs) > 1 else ""
                raise self.bad_parameter("threshold", threshold, f"a float > v_reset ({v_reset}){where}")

    def initialize(self, neurons: Any) -> None:
        neurons.R, neurons.tau = self.R, self.tau
        neurons.v_rest, neurons.v_reset = self.v_rest, self.v_reset
        neurons.threshold = neuron_vector(self, neurons, "threshold", self.threshold)
        neurons.v = neuron_vector(self, neurons, "init_v", self.v_rest if self.init_v is None else self.init_v)
        if self.init_s is None:
            neurons.spikes = neurons.vector(0, dtype=torch.bool)
        else:
            neurons.spikes = neuron_vector(self, neurons, "init_s", self.init_s, dtype=torch.bool)
        if getattr(neurons, "I", None) is None:
            neurons.I = neurons.vector(0)
        self._initial_v, self._initial_spikes = neurons.v.clone(), neurons.spikes.clone()
        # a billionth of a step of slack: 5 ms / 0.1 ms is 50.000000000000007 in floats, meant as 50 steps
        self._refractory_steps = math.ceil(self.refractory / neurons.network.dt - 1e-9)
        if self._refractory_steps:
            neurons.refractory_left = neurons.vector(0, dtype=torch.int32)

    def reset(self, neurons: Any) -> None:
        neurons.v.copy_(self._initial_v)
        neurons.spikes = self._initial_spikes.clone()  # a new tensor, as Fire makes every iteration
        if self._refractory_steps:
            neurons.refractory_left.zero_()

    def forward(self, neurons: Any) -> None:
        self.integrate(neurons)
        if self._refractory_steps:
            self.hold_refractory(neurons)

    def hold_refractory(self, neurons: Any) -> None:
        """Hold ``v`` at ``v_reset`` where the last spike is at most ``n`` iterations (the period's steps) back."""
        left = neurons.refractory_left
        left.masked_fill_(neurons.spikes, self._refractory_steps)  # the spikes of the last iteration
        held = left > 0
        fill_where(neurons.v, held, neurons.v_reset, neurons.network)
        left.sub_(held.to(left.dtype))

    def integrate(self, neurons: Any) -> None:
        """One step of the membrane equation (subclasses with other dynamics override this)."""
        net = neurons.network
        step = net.dt / neurons.tau
        # v + (v_rest - v + R*I) * step, rearranged to update v in place without temporaries
        gain = neurons.R * step
        if isinstance(gain, torch.Tensor):  # per-replica values: (R, 1) tensors
            neurons.v.mul_(net.constant(1.0 - step)).addcmul_(neurons.I, gain)
        else:
            neurons.v.mul_(net.constant(1.0 - step)).add_(neurons.I, alpha=gain)
        neurons.v.add_(net.constant(neurons.v_rest * step))
