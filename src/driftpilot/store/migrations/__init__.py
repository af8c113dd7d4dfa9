"""Alembic migrations of the driftpilot database, applied with ``driftpilot.store.upgrade``.

Developers add one with (from the repository root)::

    python -c "from driftpilot.store.migrate import revision; revision('what changed')"
"""
