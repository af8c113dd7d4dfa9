"""The ``driftpilot`` command line: thin, over the library; exit codes mean something.

Exit codes: 0 ok, 1 drift found (only with ``--fail-on-drift``), 2 bad input or usage.
"""

from driftpilot.cli.app import app, main

__all__ = ["app", "main"]
