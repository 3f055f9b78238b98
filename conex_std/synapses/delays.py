"""Per-synapse (heterogeneous) delays: event-driven delivery through a ring of pending events.

A synapse with per-synapse delays (``DelayInitializer(per_synapse=True)``) holds one whole number
of iterations ``d`` per stored synapse (``synapse.synapse_delay``, laid out like the topology's
``values``) and a :class:`DelayBuffer` (``synapse.delay_buffer``) that delivers spikes late:

* **axonal** (``kind="axonal"``, Brian2's pre-synaptic ``delay``): the spike of source ``i`` reaches
  synapse ``ij`` ``d_ij`` iterations after the synapse's ``pre_spike`` shows it. The current
  arrives then, with the weight of then, and the learning rule sees the pre spike (and pre trace)
  then: a spike fired in iteration t enters ``synapse.I`` in iteration ``t + 1 + src_delay + d_ij``
  and pairs with the post spikes of iteration ``t + src_delay + d_ij``.
* **dendritic** (``kind="dendritic"``, NEST's delay): the synapse sees the pre spike at once, its
  current (with the weight of then) reaches the soma ``d_ij`` iterations later, and the post spike
  of destination ``j`` travels back to the synapse in ``d_ij`` iterations, so the rule pairs the
  pre spike with the post spikes (and post trace) of ``d_ij`` iterations ago.

Memory stays about the weights plus the pending events: the delays are one small integer per
synapse, the ring holds, per future iteration, the indices of the synapses whose spike arrives then
(only spikes in flight), and the delayed side keeps a short per-neuron history of its spikes and
trace (``(max delay + 1, neurons)``) from which the learning rule gathers what each synapse sees.
No ``(max_delay, src, dst)`` tensor exists. The dendritic current is accumulated per destination
neuron, ``(max delay + 1, dst)``.

With replicas every replica has delays and events of its own (delays are drawn per replica, like
the weights; given ones of the plain shape are copied to each): synapse indices are flat over
replicas, as the topology's ``values`` are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from conex_std.synapses.terms import Side, Term, no_bound
from conex_std.synapses.topology import Topology

__all__ = ["KINDS", "DelayBuffer", "delay_dtype"]

KINDS = ("axonal", "dendritic")


def delay_dtype(largest: int) -> torch.dtype:
    """The smallest integer dtype that holds delays up to ``largest`` (1 byte per synapse below 256)."""
    if largest < 2**8:
        return torch.uint8
    return torch.int16 if largest < 2**15 else torch.int32


class _Seen:
    """The synapse as the learning rule sees it on a set of synapses: its four vectors gathered per synapse.

    Every other attribute is the synapse's own, so a rule's ``terms(synapse)`` runs unchanged on it.
    """

    def __init__(self, synapse: Any, **vectors: torch.Tensor | None) -> None:
        self.__dict__.update(vectors, _synapse=synapse)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_synapse"], name)


class DelayBuffer:
    """The pending events of one synapse with per-synapse delays (see the module docstring).

    ``delays`` is flat over the topology's ``values`` (every replica's synapses), a small integer dtype.
    The spike catcher of the delayed side calls :meth:`catch` each iteration, its trace :meth:`record`;
    the dendritic input asks :meth:`current`, the learning rule :meth:`add_terms`.
    """

    def __init__(self, synapse: Any, topology: Topology, delays: torch.Tensor, kind: str) -> None:
        net = synapse.network
        self.synapse, self.topology, self.kind = synapse, topology, kind
        self.side: Side = "pre" if kind == "axonal" else "post"
        self.other: Side = "post" if kind == "axonal" else "pre"
        self.delays = delays
        self.slots = (int(delays.max()) if delays.numel() else 0) + 1
        self.sources = synapse.src.size
        self._batch, self._destinations = net.replica_shape, net.replicas * synapse.dst.size
        self._neurons = net.replicas * (synapse.src.size if self.side == "pre" else synapse.dst.size)
        self._index_dtype = torch.int32 if delays.numel() < 2**31 else torch.long
        device, dtype = delays.device, net.def_dtype
        self._nothing = torch.zeros(0, dtype=torch.long, device=device)
        # everything that changes while it runs, in one dict of values: DelayInitializer holds the same dict
        # as its ``delay_state``, which checkpoints save and restore item by item
        self.state: dict[str, Any] = {
            "head": 0,  # the slot of this iteration
            "current_head": 0,  # the slot of this iteration's dendritic current
            "pending": [[] for _ in range(self.slots)],  # per slot: chunks of synapse indices arriving then
            "arrivals": self._nothing,  # the synapses the delayed side's spikes reach now
            "spikes": torch.zeros((self.slots, self._neurons), dtype=torch.bool, device=device),
            "traces": None,  # the delayed side's trace history, once its trace behavior asks (keep_trace)
            "dendritic": None,
        }
        if kind == "dendritic":  # the current on its way to each destination's soma
            self.state["dendritic"] = torch.zeros((self.slots, self._destinations), dtype=dtype, device=device)
        self._event_sides: list[Side | None] | None = None

    @property
    def arrivals(self) -> torch.Tensor:
        """Flat indices of the synapses the delayed side's spikes reach in this iteration."""
        return self.state["arrivals"]

    def reset(self) -> None:
        """No spike in flight, empty histories (``Network.reset``)."""
        state = self.state
        state.update(head=0, current_head=0, pending=[[] for _ in range(self.slots)], arrivals=self._nothing)
        for name in ("spikes", "traces", "dendritic"):
            if state[name] is not None:
                state[name].zero_()

    def keep_trace(self, trace: torch.Tensor) -> None:
        """Keep a history of the delayed side's trace (called once by that side's trace behavior)."""
        self.state["traces"] = torch.zeros((self.slots, self._neurons), dtype=trace.dtype, device=trace.device)

    def pending_events(self) -> int:
        """How many synapse events are in flight."""
        return sum(chunk.numel() for slot in self.state["pending"] for chunk in slot)

    def memory(self) -> dict[str, int]:
        """Bytes of the delay structures: the delays, the pending events, the per-neuron histories."""
        state = self.state
        histories = [state[name] for name in ("spikes", "traces", "dendritic") if state[name] is not None]
        return {
            "delays": self.delays.numel() * self.delays.element_size(),
            "pending": sum(chunk.numel() * chunk.element_size() for slot in state["pending"] for chunk in slot),
            "histories": sum(h.numel() * h.element_size() for h in histories),
        }

    # -- each iteration ---------------------------------------------------------------------------

    def catch(self, spikes: torch.Tensor) -> None:
        """The delayed side's spikes of this iteration, as its catcher set them: schedule and deliver events."""
        state = self.state
        state["head"] = head = (state["head"] + 1) % self.slots
        flat = spikes.reshape(-1)
        state["spikes"][head].copy_(flat)
        index = flat.nonzero().squeeze(1)
        if index.numel():
            synapses = self.topology.synapses_of(self.side, index)
            delay = self.delays.index_select(0, synapses).long()
            counts = torch.bincount(delay, minlength=self.slots).tolist()
            ordered = synapses.index_select(0, torch.argsort(delay, stable=True)).to(self._index_dtype)
            pending = state["pending"]
            for step, chunk in enumerate(ordered.split(counts)):
                if chunk.numel():
                    pending[(head + step) % self.slots].append(chunk)
        arriving = state["pending"][head]
        state["pending"][head] = []
        state["arrivals"] = (
            (torch.cat(arriving) if len(arriving) > 1 else arriving[0]).long() if arriving else self._nothing
        )

    def record(self, trace: torch.Tensor) -> None:
        """The delayed side's trace of this iteration (after its catcher's :meth:`catch`)."""
        if self.state["traces"] is not None:
            self.state["traces"][self.state["head"]].copy_(trace.reshape(-1))

    def current(self, pre: torch.Tensor) -> torch.Tensor:
        """The current ``(D,)`` (``(R, D)``) the synapse delivers now, ``pre`` being this iteration's ``pre_spike``."""
        topology = self.topology
        values = topology.values.reshape(-1)
        if self.kind == "axonal":  # the synapses the pre spikes reach now, with their weights of now
            out = torch.zeros(self._destinations, dtype=values.dtype, device=values.device)
            synapses = self.arrivals
            out.index_add_(0, topology.endpoint("post", synapses), values.index_select(0, synapses))
            return out.view(*self._batch, -1)
        state = self.state
        state["current_head"] = head = (state["current_head"] + 1) % self.slots
        index = pre.reshape(-1).nonzero().squeeze(1)
        if index.numel():  # each contribution lands at the soma d iterations from now
            synapses = topology.synapses_of("pre", index)
            slot = torch.remainder(self.delays.index_select(0, synapses).long() + head, self.slots)
            into = slot.mul_(self._destinations).add_(topology.endpoint("post", synapses))
            state["dendritic"].view(-1).index_add_(0, into, values.index_select(0, synapses))
        row = state["dendritic"][head]
        out = row.clone()
        row.zero_()
        return out.view(*self._batch, -1)

    def add_terms(self, target: torch.Tensor, terms_of: Callable[[Any], Sequence[Term]]) -> None:
        """``target += sum coef * pre * post * bound(w)`` of the rule's terms, per synapse, as each synapse sees them.

        ``terms_of(synapse)`` is the rule (``TermLearning.terms``); it is called on :class:`_Seen` views whose
        vectors are gathered per synapse. A term with an event side is evaluated only on the synapses
        where that side's seen spike is 1 (the arrivals for the delayed side, the synapses of the
        spiking neurons for the other); a term without one on every synapse.
        """
        syn = self.synapse
        if self._event_sides is None:  # a rule's terms keep their event sides from step to step
            self._event_sides = [
                "pre" if t.pre_events is not None else "post" if t.post_events is not None else None
                for t in terms_of(syn)
            ]
        changes = []
        for side in dict.fromkeys(self._event_sides):
            synapses = self._synapses(side)
            if synapses.numel() == 0:
                continue
            seen = self._seen(synapses)
            terms = terms_of(seen)
            w = self.topology.values.reshape(-1).index_select(0, synapses)
            for term, term_side in zip(terms, self._event_sides, strict=True):
                if term_side == side:
                    changes.append((synapses, self._change(term, synapses, w)))
        flat = target.view(-1)
        for synapses, change in changes:  # every change is computed from the weights before this iteration's
            flat.index_add_(0, synapses, change)

    def _synapses(self, side: Side | None) -> torch.Tensor:
        """The synapses where ``side``'s seen spike is 1 (None: every synapse)."""
        if side is None:
            return torch.arange(self.delays.numel(), device=self.delays.device)
        if side == self.side:
            return self.arrivals
        spikes = getattr(self.synapse, f"{side}_spike").reshape(-1)
        index = spikes.nonzero().squeeze(1)
        return self.topology.synapses_of(side, index) if index.numel() else self._nothing

    def _seen(self, synapses: torch.Tensor) -> _Seen:
        """Spikes and traces of both sides as ``synapses`` see them: the delayed side's from ``d`` iterations ago."""
        syn, topology = self.synapse, self.topology
        spikes, traces = self.state["spikes"], self.state["traces"]
        rows = torch.remainder(self.state["head"] - self.delays.index_select(0, synapses).long(), self.slots)
        at = rows.mul_(self._neurons).add_(topology.endpoint(self.side, synapses))
        other = topology.endpoint(self.other, synapses)
        trace = getattr(syn, f"{self.other}_trace", None)
        vectors = {
            f"{self.side}_spike": spikes.view(-1).index_select(0, at),
            f"{self.side}_trace": None if traces is None else traces.view(-1).index_select(0, at),
            f"{self.other}_spike": getattr(syn, f"{self.other}_spike").reshape(-1).index_select(0, other),
            f"{self.other}_trace": None if trace is None else trace.reshape(-1).index_select(0, other),
        }
        return _Seen(syn, **vectors)

    def _change(self, term: Term, synapses: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """One term on ``synapses`` (weights ``w``): ``coef * pre * post * bound(w)``."""
        topology = self.topology
        change = topology.as_float(term.pre) * topology.as_float(term.post)
        coef = term.coef
        if isinstance(coef, torch.Tensor) and coef.dim():  # per replica
            replica = topology.endpoint("pre", synapses) // self.sources
            change = change * coef.reshape(-1).index_select(0, replica)
        else:
            change = change * topology.constant(coef)
        if term.bound is not no_bound:
            change = change * term.bound(w, topology.constant(term.w_min), topology.constant(term.w_max))
        return change
