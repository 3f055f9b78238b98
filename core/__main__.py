"""``python -m conex`` runs the command line."""

from conex.cli import main

main()
