"""Reward and dopamine: the network-wide signal that gates reward-modulated plasticity (R-STDP)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from conex import Behavior, Phase, gt, param
from conex_std.network.hosts import require_network

__all__ = ["Dopamine", "Payoff"]


def _replica_signal(network: Any, value: Any) -> Any:
    """``value`` as the network keeps a per-replica signal: a float with one replica, else a ``(R,)`` tensor.

    ``value`` is a number (the same for every replica) or ``R`` values (a sequence, ``(R,)`` or
    ``(R, 1)`` tensor). Returns None when a sequence has another number of values.
    """
    if network.replicas == 1:
        return float(value)
    values = torch.as_tensor(value, dtype=network.def_dtype, device=network.device)
    if values.numel() == 1:
        return values.reshape(()).expand(network.replicas).clone()
    return values.reshape(-1).clone() if values.numel() == network.replicas else None


def _copy(value: Any) -> Any:
    """A tensor's copy (others may change the network's in place); a float as it is."""
    return value.clone() if isinstance(value, torch.Tensor) else value


class Payoff(Behavior):
    """Holds ``network.payoff``, the reward (> 0) or punishment (< 0) of the current iteration.

    The payoff starts at ``initial_payoff``. Each iteration it is set to ``function(network)``
    when a function is given; otherwise it keeps whatever value it has, so it can be set from
    outside between iterations (``net.payoff = 1.0``) or by a subclass that overrides
    ``forward``, as in CoNeX. It runs at priority 100, before :class:`Dopamine` reads it.
    ``Network.reset`` sets it back to ``initial_payoff``: one trial's reward is not the next one's.

    With ``R > 1`` replicas every replica has its own reward: ``payoff`` is a ``(R,)`` tensor,
    ``initial_payoff`` may differ per replica and ``function`` returns a number (the same for every
    replica) or ``R`` values. A number set from outside is the payoff of every replica.
    """

    priority = Phase.PAYOFF
    category = "network"
    provides = ("payoff",)
    supports_replicas = True

    initial_payoff: float = param(0.0, per_replica=True, doc="payoff before the first iteration")
    function: Callable[[Any], Any] | None = param(
        None, signature=("network",), doc="network -> payoff (a number, or one per replica), called every iteration"
    )

    def validate(self) -> None:
        if self.function is not None and not callable(self.function):
            expected = "a callable network -> float, or None"
            raise self.bad_parameter("function", self.function, expected, wrong_type=True)

    def initialize(self, network: Any) -> None:
        require_network(self, network)
        network.payoff = _replica_signal(network, self.initial_payoff)

    def reset(self, network: Any) -> None:
        network.payoff = _replica_signal(network, self.initial_payoff)

    def forward(self, network: Any) -> None:
        if self.function is not None:
            value = self.function(network)
            payoff = _replica_signal(network, value)
            if payoff is None:
                expected = f"a number or {network.replicas} values (one per replica)"
                raise self.bad_parameter(
                    "function", f"a result of shape {tuple(torch.as_tensor(value).shape)}", expected, host=network
                )
            network.payoff = payoff


class Dopamine(Behavior):
    """Extracellular dopamine: ``dopamine_concentration += -dopamine_concentration / tau_dopamine + payoff``.

    One update per iteration, as CoNeX's ``dd/dt = -d / tau_d + payoff(t)`` with a unit step
    (it does not scale with ``dt``). The concentration starts at
    ``initial_dopamine_concentration``, or at the initial payoff when that is None. Needs a
    :class:`Payoff` on the network; R-STDP reads ``network.dopamine_concentration``.
    ``Network.reset`` sets the concentration back to the value it started at.

    With ``R > 1`` replicas the concentration is a ``(R,)`` tensor, one per replica, and both
    parameters may differ per replica (``network.tau_dopamine`` is then ``(R,)`` too).
    """

    priority = Phase.NEUROMODULATOR
    category = "network"
    requires = ("payoff",)
    provides = ("dopamine_concentration", "tau_dopamine")
    supports_replicas = True

    tau_dopamine: float = param(
        check=gt(0), per_replica=True, time_constant=True, unit="iterations", doc="dopamine decay time constant"
    )
    initial_dopamine_concentration: float | None = param(
        None, per_replica=True, doc="start value; None: the initial payoff"
    )

    def initialize(self, network: Any) -> None:
        require_network(self, network)
        if not hasattr(network, "payoff"):
            raise self.error(network, "needs network.payoff, which Payoff provides: add a Payoff to the network")
        tau = self.tau_dopamine
        network.tau_dopamine = tau.reshape(-1) if isinstance(tau, torch.Tensor) else tau
        initial = self.initial_dopamine_concentration
        start = _replica_signal(network, network.payoff if initial is None else initial)
        if start is None:
            raise self.error(
                network, f"network.payoff has another number of values than its {network.replicas} replicas"
            )
        self._initial = start
        network.dopamine_concentration = _copy(start)

    def reset(self, network: Any) -> None:
        network.dopamine_concentration = _copy(self._initial)

    def forward(self, network: Any) -> None:
        concentration = network.dopamine_concentration
        network.dopamine_concentration = concentration - concentration / network.tau_dopamine + network.payoff
