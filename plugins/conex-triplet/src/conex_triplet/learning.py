"""Triplet STDP behaviors: the rule of :mod:`.rules` on every conex_std weight layout.

Two forms of the rule, each with the minimal-model parameters of Pfister & Gerstner's fit to
visual-cortex data (Sjöström et al. 2001; J. Neurosci. 26:9673, 2006, table 4) as defaults:

==================  ========  ========  ===========  =========  ========  ========
form                tau_x     tau_y     A2+          A3+        A2-       A3-
==================  ========  ========  ===========  =========  ========  ========
all-to-all          101 ms    125 ms    5e-10        6.2e-3     7e-3      0
nearest-spike       714 ms    40 ms     8.8e-11      5.3e-2     8e-3      0
==================  ========  ========  ===========  =========  ========  ========

``tau_plus = 16.8`` ms and ``tau_minus = 33.7`` ms in both. The minimal model has ``A3- = 0``, so
``tau_x`` (from the full model's fit) has no effect unless ``a3_minus`` is set.

Each behavior is a rule form composed with a conex_std topology, exactly as conex_std's own
learning rules: :class:`TripletSTDP` / :class:`NearestTripletSTDP` x ``Dense``, ``Sparse``,
``One2One``, ``Conv2d``, ``Local2d``. They read ``weights``, ``pre_spike`` and ``post_spike`` of
their synapse (WeightInitializer, PreSpikeCatcher, PostSpikeCatcher) and keep the four traces on
it as ``r1``, ``r2`` (``(src.size,)``) and ``o1``, ``o2`` (``(dst.size,)``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import attrs

from conex import Phase, ge, gt, param
from conex_std.synapses.learning import BoundedLearning
from conex_std.synapses.terms import Term
from conex_std.synapses.topology import Conv2d, Dense, Local2d, One2One, Sparse
from conex_triplet.rules import record_spikes, triplet_stdp

__all__ = [
    "ALL_TO_ALL",
    "BEHAVIORS",
    "NEAREST",
    "Conv2dNearestTripletSTDP",
    "Conv2dTripletSTDP",
    "Fit",
    "Local2dNearestTripletSTDP",
    "Local2dTripletSTDP",
    "NearestTripletSTDP",
    "One2OneNearestTripletSTDP",
    "One2OneTripletSTDP",
    "SimpleNearestTripletSTDP",
    "SimpleTripletSTDP",
    "SparseNearestTripletSTDP",
    "SparseTripletSTDP",
    "TripletSTDP",
]


@attrs.frozen
class Fit:
    """The parameters Pfister & Gerstner fitted per form (time constants in ms)."""

    tau_x: float
    tau_y: float
    a2_plus: float
    a3_plus: float
    a2_minus: float
    a3_minus: float


ALL_TO_ALL = Fit(tau_x=101.0, tau_y=125.0, a2_plus=5e-10, a3_plus=6.2e-3, a2_minus=7e-3, a3_minus=0.0)
"""Minimal all-to-all model, visual cortex."""

NEAREST = Fit(tau_x=714.0, tau_y=40.0, a2_plus=8.8e-11, a3_plus=5.3e-2, a2_minus=8e-3, a3_minus=0.0)
"""Minimal nearest-spike model, visual cortex."""

_UNRESOLVED = "a trace that decays within one step is not resolved: make dt smaller"
_FITTED = {
    "tau_x": (gt(0), "ms", "time constant of r2, the slow source trace (used by A3-)"),
    "tau_y": (gt(0), "ms", "time constant of o2, the slow destination trace (used by A3+)"),
    "a2_plus": (ge(0), None, "pair potentiation A2+: r1 x post spike"),
    "a3_plus": (ge(0), None, "triplet potentiation A3+: r1 x post spike x o2"),
    "a2_minus": (ge(0), None, "pair depression A2-: pre spike x o1"),
    "a3_minus": (ge(0), None, "triplet depression A3-: pre spike x o1 x r2"),
}


def _fitted(name: str, fit: Fit) -> Any:
    """The declaration of fitted parameter ``name`` with ``fit``'s value as default."""
    check, unit, doc = _FITTED[name]
    return param(getattr(fit, name), check=check, unit=unit, doc=doc, time_constant=_UNRESOLVED if unit else False)


class TripletSTDP(BoundedLearning):
    """Triplet STDP (Pfister & Gerstner 2006), all-to-all form: every spike adds 1 to its traces.

    Each iteration the four traces decay to their values just before this iteration's spikes,
    the weights change by::

        dw = correlate(r1, post_spike * (a2_plus + a3_plus * o2)) * positive_bound(w, w_min, w_max)
           - correlate(pre_spike * (a2_minus + a3_minus * r2), o1) * negative_bound(w, w_min, w_max)

    and the spikes are added to the traces. Defaults: the minimal visual-cortex fit
    (:data:`ALL_TO_ALL`). A spike pair in the same iteration changes nothing (each side sees the
    other's trace from before it). The layout is :attr:`topology` (Dense here).
    """

    priority = Phase.LEARNING
    requires = ("weights", "pre_spike", "post_spike")
    provides = ("r1", "r2", "o1", "o2")
    nearest: ClassVar[bool] = False

    tau_plus: float = param(
        16.8, check=gt(0), time_constant=_UNRESOLVED, unit="ms", doc="time constant of r1, the fast source trace"
    )
    tau_minus: float = param(
        33.7, check=gt(0), time_constant=_UNRESOLVED, unit="ms", doc="time constant of o1, the fast destination trace"
    )
    # last, so that NearestTripletSTDP, which declares them again with its fit, keeps the same order
    tau_x: float = _fitted("tau_x", ALL_TO_ALL)
    tau_y: float = _fitted("tau_y", ALL_TO_ALL)
    a2_plus: float = _fitted("a2_plus", ALL_TO_ALL)
    a3_plus: float = _fitted("a3_plus", ALL_TO_ALL)
    a2_minus: float = _fitted("a2_minus", ALL_TO_ALL)
    a3_minus: float = _fitted("a3_minus", ALL_TO_ALL)

    def initialize(self, synapse: Any) -> None:
        super().initialize(synapse)
        dt = synapse.network.dt
        synapse.r1, synapse.r2 = synapse.src.vector(), synapse.src.vector()
        synapse.o1, synapse.o2 = synapse.dst.vector(), synapse.dst.vector()
        taus = (self.tau_plus, self.tau_x, self.tau_minus, self.tau_y)
        self._decays = tuple(math.exp(-dt / tau) for tau in taus)
        self._amplitudes = (self.a2_plus, self.a3_plus, self.a2_minus, self.a3_minus)

    def terms(self, synapse: Any) -> Sequence[Term]:
        return triplet_stdp(
            synapse.pre_spike,
            synapse.post_spike,
            synapse.r1,
            synapse.r2,
            synapse.o1,
            synapse.o2,
            self._amplitudes,
            self.w_min,
            self.w_max,
            self.positive,
            self.negative,
        )

    def forward(self, synapse: Any) -> None:
        traces = (synapse.r1, synapse.r2, synapse.o1, synapse.o2)
        for trace, decay in zip(traces, self._decays, strict=True):
            trace.mul_(decay)
        super().forward(synapse)
        for trace, spike in zip(traces, (synapse.pre_spike,) * 2 + (synapse.post_spike,) * 2, strict=True):
            record_spikes(trace, spike, self.nearest)

    def reset(self, synapse: Any) -> None:
        for trace in (synapse.r1, synapse.r2, synapse.o1, synapse.o2):
            trace.zero_()


class NearestTripletSTDP(TripletSTDP):
    """Triplet STDP (Pfister & Gerstner 2006), nearest-spike form: a spike sets its traces to 1.

    So only the latest spike of each side counts. Otherwise as :class:`TripletSTDP`; defaults:
    the minimal visual-cortex fit of this form (:data:`NEAREST`).
    """

    nearest = True

    tau_x: float = _fitted("tau_x", NEAREST)
    tau_y: float = _fitted("tau_y", NEAREST)
    a2_plus: float = _fitted("a2_plus", NEAREST)
    a3_plus: float = _fitted("a3_plus", NEAREST)
    a2_minus: float = _fitted("a2_minus", NEAREST)
    a3_minus: float = _fitted("a3_minus", NEAREST)


# -- the compositions: form x topology ------------------------------------------------------------


class SimpleTripletSTDP(TripletSTDP):
    """All-to-all triplet STDP on dense weights ``(src.size, dst.size)``."""

    topology = Dense


class SparseTripletSTDP(TripletSTDP):
    """All-to-all triplet STDP on sparse ``(src.size, dst.size)`` weights: only stored synapses learn."""

    topology = Sparse


class One2OneTripletSTDP(TripletSTDP):
    """All-to-all triplet STDP on one-to-one weights ``(size,)``: source ``i`` to destination ``i``."""

    topology = One2One


class Conv2dTripletSTDP(TripletSTDP):
    """All-to-all triplet STDP on a shared kernel ``(out_c, in_c, kh, kw)``, averaged over output positions."""

    topology = Conv2d


class Local2dTripletSTDP(TripletSTDP):
    """All-to-all triplet STDP on local weights ``(out_c, out_h*out_w, in_c*kh*kw)``."""

    topology = Local2d


class SimpleNearestTripletSTDP(NearestTripletSTDP):
    """Nearest-spike triplet STDP on dense weights ``(src.size, dst.size)``."""

    topology = Dense


class SparseNearestTripletSTDP(NearestTripletSTDP):
    """Nearest-spike triplet STDP on sparse ``(src.size, dst.size)`` weights: only stored synapses learn."""

    topology = Sparse


class One2OneNearestTripletSTDP(NearestTripletSTDP):
    """Nearest-spike triplet STDP on one-to-one weights ``(size,)``: source ``i`` to destination ``i``."""

    topology = One2One


class Conv2dNearestTripletSTDP(NearestTripletSTDP):
    """Nearest-spike triplet STDP on a shared kernel ``(out_c, in_c, kh, kw)``, averaged over output positions."""

    topology = Conv2d


class Local2dNearestTripletSTDP(NearestTripletSTDP):
    """Nearest-spike triplet STDP on local weights ``(out_c, out_h*out_w, in_c*kh*kw)``."""

    topology = Local2d


BEHAVIORS = (
    SimpleTripletSTDP,
    SparseTripletSTDP,
    One2OneTripletSTDP,
    Conv2dTripletSTDP,
    Local2dTripletSTDP,
    SimpleNearestTripletSTDP,
    SparseNearestTripletSTDP,
    One2OneNearestTripletSTDP,
    Conv2dNearestTripletSTDP,
    Local2dNearestTripletSTDP,
)
"""What the plugin registers: each form on each layout (the two forms themselves are for subclassing)."""
