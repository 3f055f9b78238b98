"""Reward and dopamine: the network-wide signal that gates reward-modulated plasticity (R-STDP)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conex import Behavior, Phase, gt, param
from conex_std.network.hosts import require_network

__all__ = ["Dopamine", "Payoff"]


class Payoff(Behavior):
    """Holds ``network.payoff``, the reward (> 0) or punishment (< 0) of the current iteration.

    The payoff starts at ``initial_payoff``. Each iteration it is set to ``function(network)``
    when a function is given; otherwise it keeps whatever value it has, so it can be set from
    outside between iterations (``net.payoff = 1.0``) or by a subclass that overrides
    ``forward``, as in CoNeX. It runs at priority 100, before :class:`Dopamine` reads it.
    ``Network.reset`` sets it back to ``initial_payoff``: one trial's reward is not the next one's.
    """

    priority = Phase.PAYOFF
    category = "network"
    provides = ("payoff",)

    initial_payoff: float = param(0.0, doc="payoff before the first iteration")
    function: Callable[[Any], float] | None = param(None, doc="network -> payoff, called every iteration")

    def validate(self) -> None:
        if self.function is not None and not callable(self.function):
            expected = "a callable network -> float, or None"
            raise self.bad_parameter("function", self.function, expected, wrong_type=True)

    def initialize(self, network: Any) -> None:
        require_network(self, network)
        network.payoff = self.initial_payoff

    def reset(self, network: Any) -> None:
        network.payoff = self.initial_payoff

    def forward(self, network: Any) -> None:
        if self.function is not None:
            network.payoff = float(self.function(network))


class Dopamine(Behavior):
    """Extracellular dopamine: ``dopamine_concentration += -dopamine_concentration / tau_dopamine + payoff``.

    One update per iteration, as CoNeX's ``dd/dt = -d / tau_d + payoff(t)`` with a unit step
    (it does not scale with ``dt``). The concentration starts at
    ``initial_dopamine_concentration``, or at the initial payoff when that is None. Needs a
    :class:`Payoff` on the network; R-STDP reads ``network.dopamine_concentration``.
    ``Network.reset`` sets the concentration back to the value it started at.
    """

    priority = Phase.NEUROMODULATOR
    category = "network"
    requires = ("payoff",)
    provides = ("dopamine_concentration", "tau_dopamine")

    tau_dopamine: float = param(check=gt(0), unit="iterations", doc="dopamine decay time constant")
    initial_dopamine_concentration: float | None = param(None, doc="start value; None: the initial payoff")

    def initialize(self, network: Any) -> None:
        require_network(self, network)
        if not hasattr(network, "payoff"):
            raise self.error(network, "needs network.payoff, which Payoff provides: add a Payoff to the network")
        network.tau_dopamine = self.tau_dopamine
        initial = self.initial_dopamine_concentration
        self._initial = network.dopamine_concentration = network.payoff if initial is None else initial

    def reset(self, network: Any) -> None:
        network.dopamine_concentration = self._initial

    def forward(self, network: Any) -> None:
        concentration = network.dopamine_concentration
        network.dopamine_concentration = concentration - concentration / network.tau_dopamine + network.payoff
