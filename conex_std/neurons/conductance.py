"""Exponential synapses on the neuron side: excitatory and inhibitory input kept apart, each with its time constant.

The dendritic inputs (:mod:`conex_std.synapses.dendrites`) turn each step's caught spikes into a
synapse's ``I`` (``current_coef * current_type * f(pre_spike, weights)``, negative for an ``inh`` /
``GABA`` source). The behaviors here read those per-synapse jumps, sort the synapses into excitatory
and inhibitory ones by that sign, and filter each kind with its own exponential time constant:

* :class:`SynapticConductance`: conductances ``g_e``, ``g_i`` with reversal potentials ``E_e``, ``E_i``,
  ``I = g_e * (E_e - v) + g_i * (E_i - v)`` (conductance-based input, as in Brette et al. 2007's COBA);
* :class:`SynapticCurrent`: exponentially decaying currents ``I_e``, ``I_i``, ``I = I_e + I_i``
  (current-based input with separate time constants, as Vogels et al. 2011's 5 and 10 ms).

Each takes the place of :class:`~conex_std.neurons.dendrite.SimpleDendriteStructure` and
:class:`~conex_std.neurons.dendrite.SimpleDendriteComputation` for one dendrite and sets ``I``, which
:class:`~conex_std.neurons.dynamics.LIF` (and its subclasses) read as they always do. Every dendritic
input, and so every learning rule, works with them unchanged: only what the neuron does with ``I``
differs.

Per step, at the dendrite-computation phase (240), each kind is decayed exactly and then jumps by
this step's input (decay-then-add)::

    g_e = g_e * exp(-dt / tau_e) + sum of the excitatory synapses' I
    g_i = g_i * exp(-dt / tau_i) - sum of the inhibitory synapses' I     (their I is negative)

so a jump ``w`` arriving in iteration ``n`` is ``w * exp(-(m - n) * dt / tau)`` in iteration ``m >= n``:
the closed form of a single exponential synapse, sampled at the steps, without discretization error.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch

from conex import Behavior, Phase, gt, one_of, param
from conex_std.neurons.dendrite import DENDRITES, SimpleDendriteComputation
from conex_std.neurons.vectors import add_scaled, neuron_vector, replica_pairs
from conex_std.synapses.dendrites import INHIBITORY_TAGS

__all__ = ["SynapticConductance", "SynapticCurrent"]

_UNRESOLVED = "input that decays within one step is not resolved: make dt smaller"


def synapse_sign(synapse: Any) -> float:
    """+1 for an excitatory synapse, -1 for an inhibitory one: its dendritic input's ``current_type``.

    A synapse without a dendritic input that records one follows the source group's tags (``inh`` or
    ``GABA``: inhibitory), as the dendritic inputs do.
    """
    for behavior in synapse.behavior.values():
        sign = getattr(behavior, "current_type", None)
        if sign is not None:
            return float(sign)
    return -1.0 if any(tag in synapse.src.tags for tag in INHIBITORY_TAGS) else 1.0


class _ExcitatoryInhibitory(Behavior):
    """Two exponentially filtered kinds of input, excitatory and inhibitory, from one dendrite's synapses.

    Subclasses name the two state attributes (``names``), the sign with which the inhibitory synapses'
    ``I`` enters the inhibitory state (``inhibitory_sign``) and how the states make ``I`` (:meth:`combine`).
    """

    priority = Phase.DENDRITE_COMPUTATION
    category = "neuron"
    supports_replicas = True
    names: ClassVar[tuple[str, str]]
    inhibitory_sign: ClassVar[float]

    tau_e: float = param(
        5.0,
        check=gt(0),
        per_replica=True,
        time_constant=_UNRESOLVED,
        unit="ms",
        doc="time constant of excitatory input",
    )
    tau_i: float = param(
        10.0,
        check=gt(0),
        per_replica=True,
        time_constant=_UNRESOLVED,
        unit="ms",
        doc="time constant of inhibitory input",
    )
    dendrite: str = param("Proximal", check=one_of(*DENDRITES), doc="the dendrite whose synapses it reads")
    init_e: Any = param(None, doc="initial excitatory state: number, fill mode, (size,) or (R, size) tensor; 0")
    init_i: Any = param(None, doc="initial inhibitory state: number, fill mode, (size,) or (R, size) tensor; 0")

    @property
    def reads_synapse_tags(self) -> tuple[str, ...]:
        """The one dendrite whose synapses' current this behavior reads (see :mod:`conex_std.wiring`)."""
        return (self.dendrite,)

    def initialize(self, neurons: Any) -> None:
        net = neurons.network
        for other in neurons.behavior.values():
            if other is not self and isinstance(other, (SimpleDendriteComputation, _ExcitatoryInhibitory)):
                raise self.error(
                    neurons, f"{type(other).__name__} sets I as well: give the group one of the two, not both"
                )
        excitatory, inhibitory = [], []
        for synapse in neurons.afferent_synapses.get(self.dendrite, []):
            if not isinstance(getattr(synapse, "I", None), torch.Tensor):
                raise self.error(neurons, f"{synapse.label()} has no current I: give it a dendritic input")
            delay = getattr(synapse, "dst_delay", None)
            if delay is not None and delay.numel() and int(delay.max()) != 0:
                raise self.error(
                    neurons,
                    f"{synapse.label()} has a dst_delay up to {int(delay.max())}: {type(self).__name__} reads the "
                    "synapses' input without dendritic delays (use src_delay or per-synapse delays)",
                )
            (excitatory if synapse_sign(synapse) > 0 else inhibitory).append(synapse)
        states = [
            neuron_vector(self, neurons, name, 0.0 if value is None else value)
            for name, value in (("init_e", self.init_e), ("init_i", self.init_i))
        ]
        self._initial = tuple(state.clone() for state in states)
        for name, state in zip(self.names, states, strict=True):
            setattr(neurons, name, state)
        self._kinds = (
            (states[0], self._decay(net, self.tau_e), tuple(excitatory), 1.0),
            (states[1], self._decay(net, self.tau_i), tuple(inhibitory), self.inhibitory_sign),
        )
        neurons.I = neurons.vector()

    @staticmethod
    def _decay(net: Any, tau: float | torch.Tensor) -> torch.Tensor:
        """``exp(-dt / tau)``: a 0-d tensor, or ``(R, 1)`` for per-replica time constants."""
        if isinstance(tau, torch.Tensor):
            return torch.exp(-net.dt / tau)
        return net.constant(math.exp(-net.dt / tau))

    def reset(self, neurons: Any) -> None:
        for name, initial in zip(self.names, self._initial, strict=True):
            getattr(neurons, name).copy_(initial)
        neurons.I.zero_()

    def forward(self, neurons: Any) -> None:
        for state, keep, synapses, sign in self._kinds:
            state.mul_(keep)
            for synapse in synapses:
                state.add_(synapse.I, alpha=sign)
        self.combine(neurons)

    def combine(self, neurons: Any) -> None:
        """Set ``neurons.I`` from the two states."""
        raise NotImplementedError(f"{type(self).__name__} does not define combine")


class SynapticConductance(_ExcitatoryInhibitory):
    """Conductance-based input: ``I = g_e * (E_e - v) + g_i * (E_i - v)``.

    ``g_e`` and ``g_i`` ``(size,)`` (``(R, size)`` with replicas) decay exactly with ``tau_e`` and
    ``tau_i`` and jump by the synapses' input (decay-then-add, see the module): an excitatory synapse's
    spike through weight ``w`` raises ``g_e`` by ``current_coef * w``, an inhibitory one's raises ``g_i``
    by the same (conductances are positive; the sign is in ``E_i - v``). ``I`` is computed from the
    voltage before this step's LIF update.

    Units: LIF's ``tau * dv/dt = v_rest - v + R * I`` makes ``R * g`` dimensionless. With ``R = 1`` the
    conductances are in units of the leak conductance; with ``R`` in GΩ (``1 / g_leak``, 0.1 GΩ for a
    10 nS leak) they are in nS, ``v`` in mV and ``I`` in pA. ``E_e`` must lie above ``E_i``.
    """

    requires = ("v",)
    provides = ("I", "g_e", "g_i")
    names = ("g_e", "g_i")
    inhibitory_sign = -1.0

    E_e: float = param(0.0, per_replica=True, unit="mV", doc="reversal potential of excitatory conductance")
    E_i: float = param(-80.0, per_replica=True, unit="mV", doc="reversal potential of inhibitory conductance")

    def validate(self) -> None:
        pairs = replica_pairs(self.E_e, self.E_i)
        for replica, excitatory, inhibitory in pairs:
            if not excitatory > inhibitory:
                where = f" in replica {replica}" if len(pairs) > 1 else ""
                raise self.bad_parameter("E_e", excitatory, f"a float > E_i ({inhibitory}){where}")

    def combine(self, neurons: Any) -> None:
        g_e, g_i, current = neurons.g_e, neurons.g_i, neurons.I
        torch.add(g_e, g_i, out=current).mul_(neurons.v).neg_()  # -(g_e + g_i) * v
        add_scaled(current, g_e, self.E_e)
        add_scaled(current, g_i, self.E_i)


class SynapticCurrent(_ExcitatoryInhibitory):
    """Current-based exponential synapses with a time constant per kind: ``I = I_e + I_i``.

    ``I_e`` sums the excitatory synapses' input and decays with ``tau_e``, ``I_i`` the inhibitory
    synapses' (negative) input and decays with ``tau_i`` (decay-then-add, see the module), each
    ``(size,)`` (``(R, size)`` with replicas). A spike through weight ``w`` adds ``current_coef * w`` to
    the current in the iteration it arrives; its total charge is ``current_coef * w / (1 - exp(-dt / tau))``
    current-iterations.
    """

    provides = ("I", "I_e", "I_i")
    names = ("I_e", "I_i")
    inhibitory_sign = 1.0

    def combine(self, neurons: Any) -> None:
        torch.add(neurons.I_e, neurons.I_i, out=neurons.I)
