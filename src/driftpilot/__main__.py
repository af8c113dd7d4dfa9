"""``python -m driftpilot`` runs the CLI."""

from driftpilot.cli import main

if __name__ == "__main__":
    main()
