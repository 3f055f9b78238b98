"""Tools for plugin authors: the conformance suite and small networks built around one behavior.

Run the generic checks over every behavior a plugin registers::

    # tests/test_conformance.py of a plugin
    from conex.testing import ConformanceEntry, SynapseHost, conformance_suite

    CONFORMANCE = [
        ConformanceEntry("MyRule", kwargs={"rate": 0.1}, host=SynapseHost("dense")),
        ConformanceEntry("MyTrace", kwargs={"tau": 5.0}),
    ]
    TestConformance = conformance_suite(CONFORMANCE, plugin="myplugin")

and test a behavior's math on a small network whose other inputs come from stand-ins::

    built = build(MyRule(rate=0.1), SynapseHost("conv2d"), seed=0)
    built.run(10)

The pytest fixture ``conex_build`` does the same; enable it with
``pytest_plugins = ("conex.testing.fixtures",)`` in a ``conftest.py``.
"""

from conex.layouts import LAYOUTS
from conex.testing.conformance import (
    CHECKS,
    RUNTIME_CHECKS,
    ConformanceEntry,
    ConformanceError,
    Invalid,
    assert_complete,
    conformance_cases,
    conformance_suite,
    missing_entries,
    run_check,
)
from conex.testing.hosts import (
    STAND_IN_PRIORITY,
    Built,
    NetworkHost,
    NeuronHost,
    StandInAxon,
    Stimulus,
    SynapseHost,
    SynapseStandIn,
    build,
)

__all__ = [
    "CHECKS",
    "LAYOUTS",
    "RUNTIME_CHECKS",
    "STAND_IN_PRIORITY",
    "Built",
    "ConformanceEntry",
    "ConformanceError",
    "Invalid",
    "NetworkHost",
    "NeuronHost",
    "StandInAxon",
    "Stimulus",
    "SynapseHost",
    "SynapseStandIn",
    "assert_complete",
    "build",
    "conformance_cases",
    "conformance_suite",
    "missing_entries",
    "run_check",
]
