"""The folder ``conex`` lists in its ``__path__``: CoNeX's ``conex.helpers`` and ``conex.nn``."""
