"""Learning rules as pure functions of spikes, traces and weights.

Each rule is written once, as a sum of :class:`Term` s, each ``coef * correlate(pre, post) * bound(w)``.
A topology (:mod:`.topology`) lays every term out in its weight layout: densely through its
``correlate``, or event-driven, visiting only the weights of the neurons in a term's binary spike
vector (rows of spiking sources, columns of spiking destinations). So the same function serves dense,
sparse, one-to-one, conv2d and local2d synapses at every firing rate. Units: traces are dimensionless,
time constants in ms, ``dt`` in ms.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch

__all__ = [
    "BOUNDS",
    "Bound",
    "Term",
    "hard_bound",
    "no_bound",
    "pair_stdp",
    "resolve_bound",
    "soft_bound",
    "symmetric_istdp",
]

Limit = float | torch.Tensor  # a bound's w_min or w_max
Bound = Callable[[torch.Tensor, Limit, Limit], "torch.Tensor | float"]


def soft_bound(w: torch.Tensor, w_min: Limit, w_max: Limit) -> torch.Tensor:
    """Multiplicative bound ``(w - w_min) * (w_max - w)``: learning slows near either limit."""
    return (w - w_min).mul_(torch.rsub(w, w_max))


def hard_bound(w: torch.Tensor, w_min: Limit, w_max: Limit) -> torch.Tensor:
    """1 strictly inside ``(w_min, w_max)``, 0 at or beyond a limit."""
    return ((w > w_min) & (w < w_max)).to(dtype=w.dtype)


def no_bound(w: torch.Tensor, w_min: Limit, w_max: Limit) -> float:
    """No bound: the factor 1."""
    return 1.0


BOUNDS: dict[str, Bound] = {"soft_bound": soft_bound, "hard_bound": hard_bound, "no_bound": no_bound}


def resolve_bound(bound: str | Bound | None) -> Bound:
    """A bound function from its name (``None`` means ``no_bound``) or a callable ``f(w, w_min, w_max)``.

    Topologies call a bound with the limits as 0-d tensors of the weights' dtype (Python numbers
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

    ``pre`` ``(src.size,)`` and ``post`` ``(dst.size,)`` are vectors over the source and destination
    neurons. A ``bool`` one is a spike vector: the term is zero outside the rows (``pre``) or columns
    (``post``) of the spiking neurons, which lets a topology visit only those weights. ``bound`` is
    element-wise in ``w`` (the weights before this iteration's change); ``no_bound`` skips it.
    """

    coef: float
    pre: torch.Tensor
    post: torch.Tensor
    bound: Bound = no_bound
    w_min: float = 0.0
    w_max: float = 1.0


def pair_stdp(
    pre_spike: torch.Tensor,
    pre_trace: torch.Tensor,
    post_spike: torch.Tensor,
    post_trace: torch.Tensor,
    a_plus: float,
    a_minus: float,
    w_min: float,
    w_max: float,
    positive_bound: Bound,
    negative_bound: Bound,
) -> tuple[Term, Term]:
    """Pair-based STDP (SPEC 3) as two terms.

    Together they make the change of every weight in this iteration::

        dw = a_plus  * correlate(pre_trace, post_spike) * positive_bound(w)
           - a_minus * correlate(pre_spike, post_trace) * negative_bound(w)
    """
    return (
        Term(a_plus, pre_trace, post_spike, positive_bound, w_min, w_max),
        Term(-a_minus, pre_spike, post_trace, negative_bound, w_min, w_max),
    )


def symmetric_istdp(
    pre_spike: torch.Tensor,
    pre_trace: torch.Tensor,
    post_spike: torch.Tensor,
    post_trace: torch.Tensor,
    lr: float,
    alpha: float,
    sign: float,
) -> tuple[Term, Term]:
    """Symmetric inhibitory STDP (Vogels et al. 2011, SPEC 3) as two terms.

    Together they make the change of every weight in this iteration::

        dw = lr * (correlate(pre_spike, (alpha - post_trace) * sign) + correlate(pre_trace, post_spike))

    ``sign`` is +1 for excitatory and -1 for inhibitory synapses.
    """
    return Term(lr, pre_spike, (alpha - post_trace) * sign), Term(lr, pre_trace, post_spike)
