"""API keys: created, listed, revoked and verified; stored only as hashes.

A key reads ``dp_<key id>_<secret>``: the key id (8 random bytes, hex) is public and finds the
row; the secret is 32 random bytes (``secrets.token_urlsafe``). The row holds the SHA-256 of
the whole key, compared with ``hmac.compare_digest`` (constant time).

Why SHA-256 and not bcrypt or argon2: those are slow on purpose to protect guessable
passwords; a 256-bit random secret cannot be guessed, so a fast hash loses nothing, and a
slow one would cost tens of milliseconds on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from driftpilot.errors import AuthError, ForbiddenError, InvalidParameterError, NotFoundError
from driftpilot.store import _tables as t
from driftpilot.store._engine import read, write
from driftpilot.store._time import now_us
from driftpilot.store.records import ApiKeyRecord, NewApiKey, Scope

__all__ = ["KeyRepository", "parse_scopes"]

_KEY = re.compile(r"dp_([0-9a-f]{16})_([A-Za-z0-9_-]{20,100})")
_KEY_ID = re.compile(r"[0-9a-f]{16}")
_MAX_ID = 2**63 - 1  # the largest id a BIGINT column holds


def parse_scopes(scopes: Iterable[str | Scope]) -> frozenset[Scope]:
    """Return the scopes named; ``InvalidParameterError`` for an unknown one or none at all."""
    parsed = set()
    for scope in scopes:
        try:
            parsed.add(Scope(scope))
        except ValueError:
            allowed = ", ".join(repr(s.value) for s in Scope)
            raise InvalidParameterError(
                f"An API key scope must be one of {allowed}. Got {scope!r} instead."
            ) from None
    if not parsed:
        raise InvalidParameterError("An API key needs at least one scope (ingest, read, admin).")
    return frozenset(parsed)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _record(row: sa.Row[Any]) -> ApiKeyRecord:
    return ApiKeyRecord(
        id=row.id,
        key_id=row.key_id,
        name=row.name,
        scopes=parse_scopes(row.scopes.split()),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


class KeyRepository:
    """Create, list, revoke and verify API keys."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def create(self, scopes: Iterable[str | Scope], *, name: str | None = None) -> NewApiKey:
        """Create a key; the returned ``key`` is the only time the secret is available."""
        scope_set = parse_scopes(scopes)
        if name is not None and not 0 < len(name) <= 200:
            raise InvalidParameterError(f"A key name must be 1-200 characters. Got {name!r}.")
        key_id = secrets.token_hex(8)
        key = f"dp_{key_id}_{secrets.token_urlsafe(32)}"
        with write(self._engine) as connection:
            connection.execute(
                t.api_keys.insert().values(
                    key_id=key_id,
                    name=name,
                    scopes=" ".join(sorted(s.value for s in scope_set)),
                    key_hash=_hash(key),
                    created_at=now_us(),
                )
            )
            row = connection.execute(
                sa.select(t.api_keys).where(t.api_keys.c.key_id == key_id)
            ).one()
        return NewApiKey(record=_record(row), key=key)

    def list_keys(self) -> list[ApiKeyRecord]:
        """Return every key (revoked ones too), oldest first."""
        with read(self._engine) as connection:
            rows = connection.execute(sa.select(t.api_keys).order_by(t.api_keys.c.id)).all()
        return [_record(row) for row in rows]

    def revoke(self, key_id: str) -> ApiKeyRecord:
        """Revoke a key by its id (``dp_<id>_...``) or number; revoking twice is a no-op."""
        number = key_id.isascii() and key_id.isdigit()
        missing = NotFoundError(f"There is no API key {key_id[:60]!r}. List them with keys list.")
        if number and (len(key_id) > 19 or int(key_id) > _MAX_ID):
            raise missing  # no row has such an id, and the database could not compare it
        if not number and not _KEY_ID.fullmatch(key_id):
            raise missing
        column = t.api_keys.c.id if number else t.api_keys.c.key_id
        value: int | str = int(key_id) if number else key_id
        with write(self._engine) as connection:
            connection.execute(
                t.api_keys.update()
                .where(column == value, t.api_keys.c.revoked_at.is_(None))
                .values(revoked_at=now_us())
            )
            row = connection.execute(sa.select(t.api_keys).where(column == value)).first()
        if row is None:
            raise missing
        return _record(row)

    def verify(self, key: str | None, scope: Scope) -> ApiKeyRecord:
        """Return the key's record if it is valid and allows ``scope``.

        Raises
        ------
        AuthError
            No key, a malformed or unknown key, or a revoked one.
        ForbiddenError
            A valid key without ``scope`` (or ``admin``).
        """
        if not key:
            raise AuthError("This route needs an API key: send 'Authorization: Bearer <key>'.")
        match = _KEY.fullmatch(key)
        if match is None:
            raise AuthError("The API key is malformed; keys look like 'dp_<id>_<secret>'.")
        with read(self._engine) as connection:
            row = connection.execute(
                sa.select(t.api_keys).where(t.api_keys.c.key_id == match.group(1))
            ).first()
        if row is None or not hmac.compare_digest(_hash(key), str(row.key_hash)):
            raise AuthError("The API key is not valid.")
        record = _record(row)
        if record.revoked_at is not None:
            raise AuthError("The API key was revoked.")
        if not record.allows(scope):
            granted = ", ".join(sorted(s.value for s in record.scopes))
            raise ForbiddenError(
                f"The API key has scopes [{granted}]; this route needs {scope.value!r}."
            )
        return record
