"""Learning rules as pure functions of spikes, traces and weights.

Each rule is written once; the topology passed in (``correlate``) lays the pre x post products
out in the weight layout, so the same function serves dense, sparse, one-to-one, conv2d and
local2d synapses. Units: traces are dimensionless, time constants in ms, ``dt`` in ms.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = [
    "BOUNDS",
    "Bound",
    "hard_bound",
    "no_bound",
    "pair_stdp",
    "resolve_bound",
    "soft_bound",
    "symmetric_istdp",
]

Correlate = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Bound = Callable[[torch.Tensor, float, float], "torch.Tensor | float"]


def soft_bound(w: torch.Tensor, w_min: float, w_max: float) -> torch.Tensor:
    """Multiplicative bound ``(w - w_min) * (w_max - w)``: learning slows near either limit."""
    return (w - w_min) * (w_max - w)


def hard_bound(w: torch.Tensor, w_min: float, w_max: float) -> torch.Tensor:
    """1 strictly inside ``(w_min, w_max)``, 0 at or beyond a limit."""
    return ((w > w_min) & (w < w_max)).to(w.dtype)


def no_bound(w: torch.Tensor, w_min: float, w_max: float) -> float:
    """No bound: the factor 1."""
    return 1.0


BOUNDS: dict[str, Bound] = {"soft_bound": soft_bound, "hard_bound": hard_bound, "no_bound": no_bound}


def resolve_bound(bound: str | Bound | None) -> Bound:
    """A bound function from its name (``None`` means ``no_bound``) or a callable ``f(w, w_min, w_max)``.

    Raises ``KeyError`` for an unknown name; callers turn it into a parameter error.
    """
    if bound is None:
        return no_bound
    if callable(bound):
        return bound
    return BOUNDS[bound]


def pair_stdp(
    correlate: Correlate,
    w: torch.Tensor,
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
) -> torch.Tensor:
    """Pair-based STDP (SPEC 3).

    The change of every weight in this iteration::

        dw = a_plus  * correlate(pre_trace, post_spike) * positive_bound(w)
           - a_minus * correlate(pre_spike, post_trace) * negative_bound(w)
    """
    potentiation = correlate(pre_trace, post_spike) * positive_bound(w, w_min, w_max)
    depression = correlate(pre_spike, post_trace) * negative_bound(w, w_min, w_max)
    return a_plus * potentiation - a_minus * depression


def symmetric_istdp(
    correlate: Correlate,
    pre_spike: torch.Tensor,
    pre_trace: torch.Tensor,
    post_spike: torch.Tensor,
    post_trace: torch.Tensor,
    lr: float,
    alpha: float,
    sign: float,
) -> torch.Tensor:
    """Symmetric inhibitory STDP (Vogels et al. 2011, SPEC 3).

    The change of every weight in this iteration::

        dw = lr * (correlate(pre_spike, (alpha - post_trace) * sign) + correlate(pre_trace, post_spike))

    ``sign`` is +1 for excitatory and -1 for inhibitory synapses.
    """
    return lr * (correlate(pre_spike, (alpha - post_trace) * sign) + correlate(pre_trace, post_spike))
