"""Learning terms and their one evaluator.

A learning rule (:mod:`.rules`) states its weight change as a sum of :class:`Term` s::

    change = sum over terms of  coef * correlate(pre, post) * bound(w, w_min, w_max)

where ``pre`` ``(src.size,)`` and ``post`` ``(dst.size,)`` are vectors over the source and
destination neurons and ``correlate`` lays out ``pre[i] * post[j]`` like the weights (the outer
product for dense weights; see :mod:`.topology`). :func:`add_terms` adds that change into the
weights (or R-STDP's eligibility ``c``) on any topology. It is the only place where term
arithmetic happens, in two formulations with the same result up to float rounding order:

* **dense**: the terms that share a bound are correlated and summed first, then multiplied by
  their bound once; on large dense weights this can run as one ``torch.compile``'d pass
  (:attr:`~.topology.Dense.compile_min_weights`);
* **event-driven**: a term states which side is an event side (``pre_events`` / ``post_events``:
  the ``bool`` spikes outside which that side's vector is zero), and the evaluator visits only the
  weights of the spiking neurons of the cheaper side, as the topology gathers them
  (:meth:`~.topology.Topology.visit`). It is chosen per term and per step where the topology's
  cost model says it pays.

Every term is computed from the weights as they are before any of the change is written.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal, NamedTuple

import torch

from conex_std.spikes import as_numbers

if TYPE_CHECKING:
    from conex_std.synapses.topology import Topology

__all__ = [
    "BOUNDS",
    "Bound",
    "Side",
    "Term",
    "Visit",
    "add_terms",
    "hard_bound",
    "no_bound",
    "resolve_bound",
    "soft_bound",
]

Side = Literal["pre", "post"]
Limit = float | torch.Tensor  # a bound's w_min or w_max
Bound = Callable[[torch.Tensor, Limit, Limit], "torch.Tensor | float"]


def soft_bound(w: torch.Tensor, w_min: Limit, w_max: Limit) -> torch.Tensor:
    """Multiplicative bound ``(w - w_min) * (w_max - w)``: learning slows near either limit."""
    return (w - w_min).mul_(torch.rsub(w, w_max))


def hard_bound(w: torch.Tensor, w_min: Limit, w_max: Limit) -> torch.Tensor:
    """1 strictly inside ``(w_min, w_max)``, 0 at or beyond a limit (a weight at a limit stays there)."""
    return ((w > w_min) & (w < w_max)).to(dtype=w.dtype)


def no_bound(w: torch.Tensor, w_min: Limit, w_max: Limit) -> float:
    """No bound: the factor 1."""
    return 1.0


BOUNDS: dict[str, Bound] = {"soft_bound": soft_bound, "hard_bound": hard_bound, "no_bound": no_bound}


def resolve_bound(bound: str | Bound | None) -> Bound:
    """A bound function from its name (``None`` means ``no_bound``) or a callable ``f(w, w_min, w_max)``.

    The evaluator calls a bound with the limits as 0-d tensors of the weights' dtype (Python numbers
    would be wrapped anew at every op), so a custom bound should accept both.

    Raises ``KeyError`` for an unknown name; callers turn it into a parameter error.
    """
    if bound is None:
        return no_bound
    if callable(bound):
        return bound
    return BOUNDS[bound]


class Term(NamedTuple):
    """One term of a weight change: ``coef * correlate(pre, post) * bound(w, w_min, w_max)``.

    ``pre_events`` (``post_events``), when given, is a ``bool`` spike vector outside which ``pre``
    (``post``) is zero: the term may then be evaluated by visiting only the weights of those
    spiking sources (destinations). An event side's vector may be the spikes themselves.
    """

    coef: float | torch.Tensor
    pre: torch.Tensor
    post: torch.Tensor
    bound: Bound = no_bound
    w_min: float = 0.0
    w_max: float = 1.0
    pre_events: torch.Tensor | None = None
    post_events: torch.Tensor | None = None


def add_terms(topology: Topology, target: torch.Tensor, terms: Sequence[Term]) -> None:
    """``target += sum coef * correlate(pre, post) * bound(w)`` on the weights of ``topology``.

    ``target`` is shaped like ``topology.values`` (the weights themselves, or R-STDP's ``c``).
    Large dense weights are worked on one block at a time (:meth:`~.topology.Topology.blocks`), so
    no temporary grows with the whole matrix; each block's change depends only on its own weights,
    so this is exact. With replicas, a term's vectors are ``(R, size)`` and its ``coef`` may be a
    ``(R, 1)`` tensor of per-replica values.
    """
    live = [term for term in terms if not _vanishes(term, topology)]
    if live:
        for block_target, block_w, block_terms in topology.blocks(target, live):
            _add_block(topology, block_target, block_w, block_terms)


def _vanishes(term: Term, topology: Topology) -> bool:
    """Whether an event side of ``term`` has no spike (the term is then 0)."""
    pre, post = term.pre_events, term.post_events
    return (pre is not None and topology.silent(pre)) or (post is not None and topology.silent(post))


def _add_block(topology: Topology, target: torch.Tensor, w: torch.Tensor, terms: Sequence[Term]) -> None:
    """The terms on weights ``w``, event-driven where that pays, the rest densely; all read ``w`` before any write."""
    visits, dense = [], []
    for term in terms:
        chosen = visited_side(topology, term)
        if chosen is None:
            dense.append(term)
        else:
            visits.append(_visited_change(topology, w, term, *chosen))
    if dense:
        _add_dense(topology, target, w, dense)
    for visit, delta in visits:
        visit.add(target, delta)


def visited_side(topology: Topology, term: Term) -> tuple[Side, torch.Tensor] | None:
    """The event side to visit for ``term`` and its spiking neurons, or None for the dense formulation.

    A side is visited when the weights hold at least ``event_min_weights`` entries and the fraction
    of its neurons spiking (times ``column_cost`` for the post side) is at most
    :meth:`~.topology.Topology.visited_fraction`; the cheaper side wins. The neurons are flat
    indices over the replicas (``r * size + i``).
    """
    if topology.values.numel() < topology.event_min_weights:  # small weights: dense, without looking
        return None
    best, best_cost = None, topology.visited_fraction()
    if not best_cost:
        return None
    for side, events, cost in (("pre", term.pre_events, 1.0), ("post", term.post_events, topology.column_cost)):
        if events is not None:
            index = (events if events.dim() == 1 else events.reshape(-1)).nonzero().squeeze(1)
            fraction = cost * index.numel() / max(events.numel(), 1)
            if fraction <= best_cost:
                best, best_cost = (side, index), fraction
    return best


class Visit(NamedTuple):
    """Where a topology's event-driven path reads and writes the weights of a set of spiking neurons.

    ``gather(w)`` is the visited block of weights ``w`` (or of anything shaped like them), ``add(target,
    delta)`` adds a change shaped like the block into ``target``, and ``pre``/``post`` are the two
    sides' values arranged to broadcast against the block (None where the side is the spikes
    themselves, whose value there is 1).
    """

    gather: Callable[[torch.Tensor], torch.Tensor]
    add: Callable[[torch.Tensor, torch.Tensor], object]
    pre: torch.Tensor | None
    post: torch.Tensor | None


def _visited_change(
    topology: Topology, w: torch.Tensor, term: Term, side: Side, index: torch.Tensor
) -> tuple[Visit, torch.Tensor]:
    """``term`` on the weights that the spiking neurons ``index`` of ``side`` touch: the visit and its change."""
    events = term.pre_events if side == "pre" else term.post_events
    pre = None if side == "pre" and term.pre is events else topology.as_float(term.pre)
    post = None if side == "post" and term.post is events else topology.as_float(term.post)
    coef = term.coef
    if isinstance(coef, torch.Tensor):  # per replica: into the side that is not visited, which is given
        if side == "pre":
            post = post * coef
        else:
            pre = pre * coef
        coef = 1.0
    visit = topology.visit(side, index, pre, post)
    block = visit.gather(w)
    factors = [f for f in (visit.pre, visit.post) if f is not None]
    delta = factors[0] * topology.constant(coef)
    if len(factors) == 2:
        delta = delta * factors[1]
    if term.bound is not no_bound:
        delta = delta * term.bound(block, topology.constant(term.w_min), topology.constant(term.w_max))
    return visit, delta.expand(block.shape)


Correlate = Callable[[torch.Tensor, torch.Tensor, "torch.Tensor | None", float], torch.Tensor]
BoundGroup = tuple[Bound, torch.Tensor, torch.Tensor, list[tuple[torch.Tensor, torch.Tensor, float]]]


def dense_change(target: torch.Tensor, w: torch.Tensor, groups: Sequence[BoundGroup], correlate: Correlate) -> None:
    """``target += sum over groups of bound(w) * sum coef * correlate(pre, post)``: the dense formulation.

    Each group holds one bound with its limits (0-d tensors) and the ``(pre, post, coef)`` of its
    terms. Written with torch operations only, so the same function runs eagerly and as one
    compiled pass.
    """
    changes = []  # every product and bound is computed before the first write: target may be w itself
    for bound, w_min, w_max, pairs in groups:
        product = None
        for pre, post, coef in pairs:
            product = correlate(pre, post, product, coef)
        changes.append((product, None if bound is no_bound else bound(w, w_min, w_max)))
    for product, factor in changes:
        if factor is None:
            target.add_(product)
        else:
            target.addcmul_(product, factor)


def _add_dense(topology: Topology, target: torch.Tensor, w: torch.Tensor, terms: Sequence[Term]) -> None:
    """Group the terms by bound (each bound is evaluated once) and run :func:`dense_change`, compiled where asked.

    Compiled, each coefficient is folded into its ``post`` vector as a 0-d tensor, so that new values
    do not compile anew; eager, the layout's correlate applies it in the same pass.
    """
    if topology.compiles(w):
        try:
            with warnings.catch_warnings():  # torch's own deprecation warnings while it compiles
                warnings.simplefilter("ignore")
                topology.compiled_change()(target, w, _by_bound(topology, terms, folded=True), topology.correlate)
            return
        except Exception as error:  # noqa: BLE001 - any compiler failure means: stay eager
            topology.compiling_failed(error)
    dense_change(target, w, _by_bound(topology, terms, folded=False), topology.correlate)


def _by_bound(topology: Topology, terms: Sequence[Term], folded: bool) -> list[BoundGroup]:
    """The terms grouped by ``(bound, w_min, w_max)`` for :func:`dense_change`."""
    constant = topology.constant
    groups: dict[tuple[Bound, float, float], BoundGroup] = {}
    for term in terms:
        key = (term.bound, term.w_min, term.w_max)
        if key not in groups:
            groups[key] = (term.bound, constant(term.w_min), constant(term.w_max), [])
        if folded or isinstance(term.coef, torch.Tensor):  # a per-replica coef scales its replica's post vector
            pair = (topology.as_float(term.pre), as_numbers(term.post) * constant(term.coef), 1.0)
        else:
            pair = (term.pre, term.post, term.coef)
        groups[key][3].append(pair)
    return list(groups.values())
