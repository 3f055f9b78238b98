"""The conformance suite of :mod:`conex.testing` over every behavior the std plugin registers."""

from conex.testing import conformance_suite
from conex_std.conformance import CONFORMANCE

TestStdConformance = conformance_suite(CONFORMANCE, plugin="std")
