"""CoNeX's ``conex.nn.structure``: neocortex, layers, columns, connections and ports."""

from conex_compat.structure import *  # noqa: F403 - CoNeX's names, re-exported
from conex_compat.structure import __all__  # noqa: F401
