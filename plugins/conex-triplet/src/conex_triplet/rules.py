"""The triplet rule of Pfister & Gerstner (2006) as pure functions of spikes, traces and weights.

Four traces (dimensionless) follow the spikes: ``r1``, ``r2`` of the source neurons (time
constants ``tau_plus``, ``tau_x``) and ``o1``, ``o2`` of the destination neurons (``tau_minus``,
``tau_y``). With every trace taken just before this iteration's spikes (the paper's ``t - eps``)::

    post spike at j:  w_ij += r1_i * (A2+ + A3+ * o2_j)
    pre spike at i:   w_ij -= o1_j * (A2- + A3- * r2_i)

then each spike bumps its traces: by 1 in the all-to-all form, to 1 in the nearest-spike form.
Between spikes the traces decay exactly, ``x *= exp(-dt / tau)``. The change is two conex_std
learning terms, each with its spike side stated, so conex_std's evaluator lays it out on the dense,
sparse, one-to-one, conv2d and local2d layouts and visits only the weights of spiking neurons where
that pays.
"""

from __future__ import annotations

import torch

from conex_std.synapses.terms import Bound, Term

__all__ = ["record_spikes", "triplet_stdp"]


def triplet_stdp(
    pre_spike: torch.Tensor,
    post_spike: torch.Tensor,
    r1: torch.Tensor,
    r2: torch.Tensor,
    o1: torch.Tensor,
    o2: torch.Tensor,
    amplitudes: tuple[float, float, float, float],
    w_min: float,
    w_max: float,
    positive_bound: Bound,
    negative_bound: Bound,
) -> tuple[Term, Term]:
    """The weight change of one iteration as two terms, potentiation at post spikes and depression at pre spikes::

        dw = correlate(r1, post * (A2+ + A3+ * o2)) * positive_bound(w, w_min, w_max)
           - correlate(pre * (A2- + A3- * r2), o1) * negative_bound(w, w_min, w_max)

    ``amplitudes`` is ``(A2+, A3+, A2-, A3-)``; spikes are bool, shaped like their traces.
    """
    a2_plus, a3_plus, a2_minus, a3_minus = amplitudes
    post = o2.mul(a3_plus).add_(a2_plus).mul_(post_spike)
    pre = r2.mul(a3_minus).add_(a2_minus).mul_(pre_spike)
    return (
        Term(1.0, r1, post, positive_bound, w_min, w_max, post_events=post_spike),
        Term(-1.0, pre, o1, negative_bound, w_min, w_max, pre_events=pre_spike),
    )


def record_spikes(trace: torch.Tensor, spike: torch.Tensor, nearest: bool) -> None:
    """Bump ``trace`` in place where ``spike``: ``+= 1`` (all-to-all) or ``= 1`` (nearest-spike)."""
    if nearest:
        trace.masked_fill_(spike if spike.dtype == torch.bool else spike != 0, 1.0)
    else:
        trace.add_(spike)
