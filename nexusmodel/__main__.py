"""``python -m nexusmodel`` runs the command line."""

from nexusmodel.cli import main

main()
