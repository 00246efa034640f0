"""``python -m neurodl`` runs the command line."""

from neurodl.cli import main

main()
