"""conex's conformance suite over every behavior the triplet plugin registers (needs the plugin installed)."""

from conex.testing import conformance_suite
from conex_triplet.conformance import CONFORMANCE

TestTripletConformance = conformance_suite(CONFORMANCE, plugin="triplet")
