"""The folder ``conex.behaviors`` lists in its ``__path__``: CoNeX's ``conex.behaviors.neurons`` and siblings."""
