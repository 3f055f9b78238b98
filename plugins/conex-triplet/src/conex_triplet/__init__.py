"""conex-triplet: triplet STDP (Pfister & Gerstner 2006) for conex, as a plugin another lab would write.

Installed, it registers (entry-point group ``conex``, plugin name ``triplet``) the all-to-all and
nearest-spike forms of the rule on every conex_std weight layout; see :mod:`conex_triplet.learning`.
"""

from conex_triplet.learning import (
    ALL_TO_ALL,
    NEAREST,
    Conv2dNearestTripletSTDP,
    Conv2dTripletSTDP,
    Fit,
    Local2dNearestTripletSTDP,
    Local2dTripletSTDP,
    NearestTripletSTDP,
    One2OneNearestTripletSTDP,
    One2OneTripletSTDP,
    SimpleNearestTripletSTDP,
    SimpleTripletSTDP,
    SparseNearestTripletSTDP,
    SparseTripletSTDP,
    TripletSTDP,
)

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
