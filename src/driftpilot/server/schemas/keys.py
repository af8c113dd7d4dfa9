"""Bodies of the API-key routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from driftpilot.store.records import Scope

__all__ = ["KeyCreate", "KeyList", "KeyOut", "NewKeyOut"]


class KeyCreate(BaseModel):
    """A key to create."""

    model_config = ConfigDict(extra="forbid")

    scopes: list[Scope] = Field(min_length=1)
    name: str | None = Field(default=None, min_length=1, max_length=200, pattern=r"^[^\x00]*$")


class KeyOut(BaseModel):
    """A key's public part."""

    id: int
    key_id: str
    name: str | None
    scopes: list[Scope]
    created_at: datetime
    revoked_at: datetime | None


class NewKeyOut(KeyOut):
    """A new key: ``key`` is shown this once."""

    key: str


class KeyList(BaseModel):
    """Every key, revoked ones too."""

    items: list[KeyOut]
