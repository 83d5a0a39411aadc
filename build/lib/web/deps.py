"""The engine's dependencies for the current app (kept in app.extensions, never in globals)."""

from __future__ import annotations

from typing import Any

from flask import current_app


def services() -> Any:
    return current_app.extensions["bpm"]


def deps() -> dict[str, Any]:
    """Keyword arguments for a use case: uow, clock, policy."""
    return services().deps()
