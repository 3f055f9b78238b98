"""CoNeX's ``conex.nn.utils``: saving, building and replicating structures."""

from conex_compat.replication import *  # noqa: F403 - CoNeX's names, re-exported
from conex_compat.replication import __all__  # noqa: F401
