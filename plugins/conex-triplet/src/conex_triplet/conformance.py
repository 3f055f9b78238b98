"""The conformance database of the triplet plugin: every registered rule on its own layout."""

from __future__ import annotations

from conex import ConexError, ParameterError
from conex.testing import ConformanceEntry, Invalid, SynapseHost
from conex_triplet import BEHAVIORS

__all__ = ["CONFORMANCE"]

_LAYOUTS = {"Simple": "dense", "Sparse": "sparse", "One2One": "one2one", "Conv2d": "conv2d", "Local2d": "local2d"}


def _entry(cls: type) -> ConformanceEntry:
    layout = next(layout for prefix, layout in _LAYOUTS.items() if cls.__name__.startswith(prefix))
    wrong = "dense" if layout != "dense" else "one2one"
    return ConformanceEntry(
        cls.__name__,
        kwargs={"a2_plus": 0.01, "a3_minus": 0.002, "positive_bound": "soft_bound"},
        host=SynapseHost(layout),
        invalid=(
            Invalid({"w_min": 1.0, "w_max": 0.5}, ParameterError, "w_max"),
            Invalid({"negative_bound": "firm"}, ParameterError, "negative_bound"),
            Invalid({}, ConexError, f"{cls.__name__} on synapse src=>dst", at="initialize", host=SynapseHost(wrong)),
        ),
    )


CONFORMANCE = [_entry(cls) for cls in BEHAVIORS]
"""One entry per registered behavior."""
