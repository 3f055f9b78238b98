"""CoNeX's ``conex.behaviors.neurons``: each name resolves as a CoNeX script expects (see conex_compat.behaviors)."""

from conex_compat.behaviors import resolve as __getattr__  # noqa: F401 - module attribute lookup
