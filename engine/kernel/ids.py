"""Identifiers: the only place that draws random ids."""

from __future__ import annotations

import secrets
import uuid


def new_id() -> str:
    return uuid.uuid4().hex


def case_reference(prefix: str, year: int, sequence: int) -> str:
    """The reference a customer quotes, e.g. MG-2026-000123."""
    return f"{prefix}-{year}-{sequence:06d}"


def new_salt() -> str:
    """16 random bytes (hex) that make a sealed value's commitment unguessable."""
    return secrets.token_hex(16)
