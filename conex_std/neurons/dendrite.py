"""Dendrites: gather the afferent synapses' currents (with their dendritic delays) and combine them into ``I``."""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from conex import Behavior, Phase, ge, gt, param
from conex_std.synapses.specs import check_delays

__all__ = ["SimpleDendriteStructure", "SimpleDendriteComputation"]

DENDRITES = ("Proximal", "Distal", "Apical")


class SimpleDendriteStructure(Behavior):
    """Gathers the afferent synapses' currents, by dendrite and after their ``dst_delay``, into ``I_proximal`` etc.

    Sums the ``I`` of the synapses tagged ``Proximal``, ``Distal`` and ``Apical`` into
    ``neurons.I_proximal``, ``I_distal`` and ``I_apical`` ``(size,)``. A synapse's current of iteration t
    with ``dst_delay[j] = d`` reaches neuron j in iteration t+d. Each dendrite keeps ``<Kind>_max_delay``
    iterations of pending input (delays must be smaller); 0 switches that dendrite off (its current
    stays 0, and a synapse tagged for it is an error); a dendrite without synapses keeps a zero
    current. The ``*_min_delay`` parameters are CoNeX's: the smallest ``dst_delay`` of each kind, for
    code that wants it; :meth:`update_min_delay` recomputes them from the synapses. ``Network.reset``
    drops the pending input and zeroes the three currents.

    With ``R > 1`` replicas the synapses' currents and the three sums are ``(R, size)``, and the
    pending input of each dendrite is ``(<Kind>_max_delay, R, size)``: the ``dst_delay`` of each
    neuron is shared by the replicas.
    """

    priority = Phase.DENDRITE_STRUCTURE
    category = "neuron"
    provides = ("I_proximal", "I_distal", "I_apical")
    supports_replicas = True
    reads_synapse_tags: ClassVar[tuple[str, ...]] = DENDRITES  # see conex_std.wiring

    Proximal_max_delay: int = param(1, check=ge(0), unit="iterations", doc="Proximal input buffer; 0: no proximal")
    Distal_max_delay: int = param(1, check=ge(0), unit="iterations", doc="Distal input buffer; 0: no distal")
    Apical_max_delay: int | None = param(
        None, check=ge(0), unit="iterations", doc="Apical input buffer; None: Distal_max_delay + 1; 0: no apical"
    )
    proximal_min_delay: int = param(0, check=ge(0), unit="iterations", doc="smallest Proximal dst_delay")
    distal_min_delay: int = param(0, check=ge(0), unit="iterations", doc="smallest Distal dst_delay")
    apical_min_delay: int | None = param(
        None, check=ge(0), unit="iterations", doc="smallest Apical dst_delay; None: distal_min_delay + 1"
    )

    def validate(self) -> None:
        apical_max = self.Distal_max_delay + 1 if self.Apical_max_delay is None else self.Apical_max_delay
        apical_min = self.distal_min_delay + 1 if self.apical_min_delay is None else self.apical_min_delay
        self.max_delays = {"Proximal": self.Proximal_max_delay, "Distal": self.Distal_max_delay, "Apical": apical_max}
        self.min_delays = {"Proximal": self.proximal_min_delay, "Distal": self.distal_min_delay, "Apical": apical_min}
        for kind in DENDRITES:
            if self.max_delays[kind] and self.min_delays[kind] >= self.max_delays[kind]:
                derived = kind == "Apical" and self.Apical_max_delay is None
                why = " (Distal_max_delay + 1: give Apical_max_delay, 0 for no apical)" if derived else ""
                raise self.bad_parameter(
                    f"{kind.lower()}_min_delay",
                    self.min_delays[kind],
                    f"< {kind}_max_delay = {self.max_delays[kind]}{why}",
                )

    def initialize(self, neurons: Any) -> None:
        net = neurons.network
        row = (*net.replica_shape, neurons.size)  # one iteration of every replica
        self._row_size = net.replicas * neurons.size
        self._columns = torch.arange(self._row_size, device=net.device).view(row)  # r * size + j
        self._pending: dict[str, torch.Tensor] = {}
        for kind in DENDRITES:
            length = self.max_delays[kind]
            synapses = neurons.afferent_synapses.get(kind, [])
            if synapses and not length:
                raise self.bad_parameter(
                    f"{kind}_max_delay", 0, f">= 1: {synapses[0].label()} is tagged {kind}", host=neurons
                )
            for synapse in synapses:
                if not isinstance(getattr(synapse, "I", None), torch.Tensor):
                    raise self.error(neurons, f"{kind} {synapse.label()} has no current I: give it a dendritic input")
                check_delays(self, synapse, "dst_delay", neurons.size, length, f"{kind}_max_delay of {neurons.label()}")
            if length > 1 and synapses:
                self._pending[kind] = torch.zeros((length, *row), dtype=net.def_dtype, device=net.device)
            setattr(neurons, f"I_{kind.lower()}", neurons.vector())
        # a one-iteration buffer delays nothing (every dst_delay is 0): its input is the currents' sum
        self._summed = tuple(
            (f"I_{kind.lower()}", tuple(neurons.afferent_synapses[kind]))
            for kind in DENDRITES
            if self.max_delays[kind] == 1 and neurons.afferent_synapses.get(kind)
        )
        self._step = 0

    def reset(self, neurons: Any) -> None:
        for kind in DENDRITES:
            getattr(neurons, f"I_{kind.lower()}").zero_()
        for buffer in self._pending.values():
            buffer.zero_()
        self._step = 0

    def update_min_delay(self, neurons: Any) -> None:
        """Set each kind's min delay to the smallest ``dst_delay`` of the group's afferent synapses of that kind."""
        for kind in DENDRITES:
            synapses = neurons.afferent_synapses.get(kind, [])
            if synapses:
                self.min_delays[kind] = min(int(s.dst_delay.min()) for s in synapses)

    def forward(self, neurons: Any) -> None:
        for name, (first, *others) in self._summed:
            total = getattr(neurons, name)
            if others:
                torch.add(first.I, others[0].I, out=total)
                for synapse in others[1:]:
                    total.add_(synapse.I)
            else:
                total.copy_(first.I)
        for kind, buffer in self._pending.items():
            length = buffer.shape[0]
            now = self._step % length
            flat = buffer.view(-1)
            for synapse in neurons.afferent_synapses.get(kind, []):
                slots = torch.remainder(synapse.dst_delay + now, length)
                flat.index_add_(0, torch.add(self._columns, slots.mul_(self._row_size)).view(-1), synapse.I.reshape(-1))
            getattr(neurons, f"I_{kind.lower()}").copy_(buffer[now])
            buffer[now].zero_()
        if self._pending:  # a plain attribute write on a torch Module costs microseconds: only when used
            self._step += 1


class SimpleDendriteComputation(Behavior):
    """Combines the dendrites into ``neurons.I``: proximal input drives, apical and distal input only prime.

    Each iteration::

        I = I * (1 - dt / I_tau)            (I = 0 when I_tau is None)
        I += I_proximal
        I += tau / R * tanh(I_apical) * max(v_rest + apical_provocativeness * (threshold - v_rest) - v, 0)
        I += tau / R * tanh(I_distal) * max(v_rest + distal_provocativeness * (threshold - v_rest) - v, 0)

    Apical and distal input only prime a neuron: at most they push ``v`` towards the fraction
    ``provocativeness`` of the way from rest to threshold (``tau``, ``R`` default to 1 when the group
    has none). A ``None`` provocativeness ignores that dendrite. ``Network.reset`` zeroes ``I``.
    With ``R > 1`` replicas ``I`` is ``(R, size)`` and the three parameters may differ per replica.
    """

    priority = Phase.DENDRITE_COMPUTATION
    category = "neuron"
    provides = ("I",)
    supports_replicas = True

    I_tau: float | None = param(
        None,
        check=gt(0),
        per_replica=True,
        time_constant=True,
        unit="ms",
        doc="decay time constant of I; None: I is reset",
    )
    apical_provocativeness: float | None = param(
        None, per_replica=True, doc="how far apical input may push v towards threshold"
    )
    distal_provocativeness: float | None = param(
        None, per_replica=True, doc="how far distal input may push v towards threshold"
    )

    @property
    def ignores_synapse_tags(self) -> dict[str, str]:
        """The dendrites whose input this computation drops (see :mod:`conex_std.wiring`)."""
        levels = {"Apical": self.apical_provocativeness, "Distal": self.distal_provocativeness}
        return {kind: f"{kind.lower()}_provocativeness is None" for kind, level in levels.items() if level is None}

    def initialize(self, neurons: Any) -> None:
        self._priming = [
            (f"I_{kind}", level)
            for kind, level in (("apical", self.apical_provocativeness), ("distal", self.distal_provocativeness))
            if level is not None
        ]
        self.requires = ("I_proximal", "I_distal", "I_apical") + (("v", "v_rest", "threshold") if self._priming else ())
        dt = neurons.network.dt
        self._keep = None if self.I_tau is None else 1.0 - dt / self.I_tau
        neurons.I = neurons.vector()

    def reset(self, neurons: Any) -> None:
        neurons.I.zero_()

    def forward(self, neurons: Any) -> None:
        current = neurons.I
        if self._keep is None:
            current.copy_(neurons.I_proximal)
        else:
            current.mul_(self._keep).add_(neurons.I_proximal)
        if self._priming:
            gain = getattr(neurons, "tau", 1.0) / getattr(neurons, "R", 1.0)
            for name, level in self._priming:
                limit = neurons.v_rest + level * (neurons.threshold - neurons.v_rest)
                room = torch.clamp(limit - neurons.v, min=0)
                current.add_(torch.tanh(getattr(neurons, name)) * room * gain)
