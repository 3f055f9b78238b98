"""Learning rules as pure functions of spikes, traces and weights, each a sum of terms.

A rule returns :class:`~.terms.Term` s ``coef * correlate(pre, post) * bound(w)``, stating which of
their sides are spike (event) sides; :func:`~.terms.add_terms` lays them out on any topology, so
the same function serves dense, sparse, one-to-one, conv2d and local2d synapses at every firing
rate. Units: traces are dimensionless, time constants in ms, ``dt`` in ms.
"""

from __future__ import annotations

import torch

from conex_std.synapses.terms import Bound, Term

__all__ = ["pair_stdp", "symmetric_istdp"]


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
    """Pair-based STDP as two terms: potentiation at post spikes, depression at pre spikes::

        dw = a_plus  * correlate(pre_trace, post_spike) * positive_bound(w)
           - a_minus * correlate(pre_spike, post_trace) * negative_bound(w)

    The bounds are evaluated on the weights before this iteration's change.
    """
    return (
        Term(a_plus, pre_trace, post_spike, positive_bound, w_min, w_max, post_events=post_spike),
        Term(-a_minus, pre_spike, post_trace, negative_bound, w_min, w_max, pre_events=pre_spike),
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
    """Symmetric inhibitory STDP (Vogels et al. 2011) as two terms::

        dw = lr * (correlate(pre_spike, (alpha - post_trace) * sign) + correlate(pre_trace, post_spike))

    ``sign`` is +1 for excitatory and -1 for inhibitory synapses.
    """
    return (
        Term(lr, pre_spike, (alpha - post_trace) * sign, pre_events=pre_spike),
        Term(lr, pre_trace, post_spike, post_events=post_spike),
    )
