"""The axon: a neuron group's recent spike history, from which synapses read delayed spikes."""

from __future__ import annotations

from typing import Any

import torch

from conex import Behavior, Phase, ge, param

__all__ = ["NeuronAxon"]

DENDRITES = ("Proximal", "Distal", "Apical")


class NeuronAxon(Behavior):
    """Keeps the last ``max_delay`` iterations of ``neurons.spikes`` and serves them with per-neuron delays.

    Runs after firing (380 > 340) and sets ``neurons.axon = self``. :meth:`get_spike` with delay 0 gives
    this iteration's spikes, delay d those of d iterations ago (all False before the run began). The
    history is a ring buffer ``(max_delay, size)`` of bools: each iteration overwrites its oldest row.
    With ``R > 1`` replicas it is ``(max_delay, R, size)`` and a read gives ``(R, size)``: every
    replica's spikes through the same per-neuron delays.

    With ``have_trace`` (by default: when the group has a ``trace``, e.g. from :class:`SpikeTrace`, which
    runs before the axon) ``neurons.trace`` is kept the same way and served by :meth:`get_spike_trace`.
    ``Network.reset`` clears both histories, in place (the rows served with ``max_delay == 1`` stay valid).

    The ``*_min_delay`` parameters are CoNeX's: the smallest source delay of the group's efferent
    Proximal/Distal/Apical synapses, for code that wants it; :meth:`update_min_delay` recomputes them
    from the synapses.
    """

    priority = Phase.NEURON_AXON
    category = "neuron"
    requires = ("spikes",)
    provides = ("axon",)
    supports_replicas = True

    max_delay: int = param(1, check=ge(1), unit="iterations", doc="iterations of spike history kept (delays < it)")
    proximal_min_delay: int = param(0, check=ge(0), unit="iterations", doc="smallest delay of Proximal synapses")
    distal_min_delay: int = param(0, check=ge(0), unit="iterations", doc="smallest delay of Distal synapses")
    apical_min_delay: int = param(0, check=ge(0), unit="iterations", doc="smallest delay of Apical synapses")
    have_trace: bool | None = param(None, doc="also keep neurons.trace; None: when the group has a trace")

    def validate(self) -> None:
        for kind in DENDRITES:
            name = f"{kind.lower()}_min_delay"
            if getattr(self, name) >= self.max_delay:
                raise self.bad_parameter(name, getattr(self, name), f"< max_delay = {self.max_delay}")

    def initialize(self, neurons: Any) -> None:
        net = neurons.network
        row = (*net.replica_shape, neurons.size)  # one iteration of every replica
        self.size = neurons.size
        self._row_size = net.replicas * neurons.size  # elements per history row
        self.spike_history = torch.zeros((self.max_delay, *row), dtype=torch.bool, device=net.device)
        self.trace_history = None
        if self.have_trace or (self.have_trace is None and hasattr(neurons, "trace")):
            if not isinstance(getattr(neurons, "trace", None), torch.Tensor):
                raise self.error(neurons, "have_trace=True needs neurons.trace, which SpikeTrace provides")
            self.trace_history = torch.zeros((self.max_delay, *row), dtype=net.def_dtype, device=net.device)
        self._columns = torch.arange(self._row_size, device=net.device).view(row)  # r * size + i
        self._head = 0
        # with one row every delay is 0: the row itself is served, always as the same tensor object
        self._spike_row = self.spike_history.select(0, 0)
        self._trace_row = None if self.trace_history is None else self.trace_history.select(0, 0)
        neurons.axon = self

    def reset(self, neurons: Any) -> None:
        self.spike_history.zero_()
        if self.trace_history is not None:
            self.trace_history.zero_()
        self._head = 0

    def _read(self, history: torch.Tensor, delay: torch.Tensor) -> torch.Tensor:
        rows = torch.remainder(self._head - delay, self.max_delay)
        return history.view(-1)[torch.add(self._columns, rows.mul_(self._row_size))]

    def get_spike(self, neurons: Any, delay: torch.Tensor) -> torch.Tensor:
        """``(size,)`` bools: neuron i's spike of ``delay[i]`` iterations ago (``0 <= delay < max_delay``).

        ``delay`` is ``(size,)``, shared by the replicas; with ``R > 1`` the result is ``(R, size)``.

        With ``max_delay == 1`` this is a view of the history, which the axon's next iteration
        overwrites: read it, do not keep or modify it (the spike catchers re-read it every iteration).
        """
        return self._spike_row if self.max_delay == 1 else self._read(self.spike_history, delay)

    def get_spike_trace(self, neurons: Any, delay: torch.Tensor) -> torch.Tensor:
        """``(size,)`` (``(R, size)``): neuron i's ``trace`` of ``delay[i]`` iterations ago (needs ``have_trace``).

        A view with ``max_delay == 1``, as in :meth:`get_spike`.
        """
        if self.trace_history is None:
            raise self.error(neurons, "get_spike_trace needs have_trace=True (and a SpikeTrace on the group)")
        return self._trace_row if self.max_delay == 1 else self._read(self.trace_history, delay)

    def update_min_delay(self, neurons: Any) -> None:
        """Set each ``*_min_delay`` to the smallest ``src_delay`` of the group's efferent synapses of that kind."""
        for kind in DENDRITES:
            synapses = neurons.efferent_synapses.get(kind, [])
            if synapses:
                smallest = min(int(s.src_delay.min()) for s in synapses)
                setattr(self, f"{kind.lower()}_min_delay", smallest)

    def forward(self, neurons: Any) -> None:
        if self.max_delay == 1:
            self._spike_row.copy_(neurons.spikes)
            if self._trace_row is not None:
                self._trace_row.copy_(neurons.trace)
            return
        self._head = (self._head + 1) % self.max_delay
        self.spike_history[self._head].copy_(neurons.spikes)
        if self.trace_history is not None:
            self.trace_history[self._head].copy_(neurons.trace)
