"""CoNeX's ``conex.helpers``: the data transforms."""

from conex_compat.helpers import *  # noqa: F403 - CoNeX's names, re-exported
from conex_compat.helpers import __all__  # noqa: F401
