"""conex-triplet: triplet STDP (Pfister & Gerstner 2006) for conex, as a plugin another lab would write.

Installed, it registers (entry-point group ``conex``, plugin name ``triplet``) the all-to-all and
nearest-spike forms of the rule on every conex_std weight layout; see :mod:`conex_triplet.learning`.
"""

from conex_triplet.learning import *  # noqa: F403 - the package is its learning module's names
from conex_triplet.learning import __all__ as __all__
