"""CoNeX's module paths, imported as ``conex.<path>``: ``conex/`` holds ``conex.helpers`` and ``conex.nn``,
``behaviors/`` holds ``conex.behaviors.neurons`` and its siblings.

``conex`` and ``conex.behaviors`` list these folders in their ``__path__``, so a CoNeX import such as
``from conex.helpers.transforms.encoders import Poisson`` finds them while the code stays in
conex_compat. Each module only re-exports names of conex_compat.
"""
