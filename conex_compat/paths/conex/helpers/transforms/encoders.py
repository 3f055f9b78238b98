"""CoNeX's ``conex.helpers.transforms.encoders``: the data transforms (all in one module here)."""

from conex_compat.helpers import *  # noqa: F403 - CoNeX's names, re-exported
from conex_compat.helpers import __all__  # noqa: F401
