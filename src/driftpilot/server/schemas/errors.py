"""The error object every 4xx and 5xx response carries."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = ["ErrorBody", "ErrorResponse"]


class ErrorBody(BaseModel):
    """What went wrong: a stable ``code``, a sentence naming the field, and ``details``."""

    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["There is no model named 'churn'."])
    details: Any = None


class ErrorResponse(BaseModel):
    """``{"error": {"code": ..., "message": ..., "details": ...}}``."""

    error: ErrorBody
