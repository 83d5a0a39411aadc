"""A minimal health page: is the database reachable, which process versions are deployed."""

from __future__ import annotations

from flask import Blueprint, jsonify

import engine
from web.deps import services

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():  # type: ignore[no-untyped-def]
    """Liveness and readiness: 200 with the deployed versions, 503 if the database fails."""
    try:
        versions = engine.list_versions(uow=services().uow)
    except Exception as error:  # noqa: BLE001 - report, do not crash, when the database is down
        return jsonify({"status": "error", "error": type(error).__name__}), 503
    return jsonify(
        {
            "status": "ok",
            "database": services().database_url,
            "versions": [{"key": v.process_key, "number": v.number, "id": v.id[:12]} for v in versions],
        }
    )
