"""Engine errors become 4xx answers (JSON for API clients, text otherwise); never a traceback."""

from __future__ import annotations

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from engine.errors import DomainError, InvalidInput


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(HTTPException, _http_error)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/")


def _domain_error(error: DomainError):  # type: ignore[no-untyped-def]
    body = {"error": type(error).__name__, "message": str(error)}
    if isinstance(error, InvalidInput):
        body["fields"] = error.errors
    if _wants_json():
        return jsonify(body), error.status
    return f"{error}\n", error.status, {"Content-Type": "text/plain; charset=utf-8"}


def _http_error(error: HTTPException):  # type: ignore[no-untyped-def]
    if _wants_json():
        return jsonify({"error": error.name, "message": error.description}), error.code
    return error
