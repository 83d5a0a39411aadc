"""Engine errors become 4xx answers (an HTML page, or JSON for API clients); never a traceback."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from engine.kernel.errors import DomainError, InvalidInput


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(HTTPException, _http_error)


def _wants_json() -> bool:
    """API paths, clients that ask for JSON, and requests that sent JSON (the modeler) get JSON errors."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json" or request.is_json


def _domain_error(error: DomainError):  # type: ignore[no-untyped-def]
    if _wants_json():
        body = {"error": type(error).__name__, "message": str(error)}
        if isinstance(error, InvalidInput):
            body["fields"] = error.errors
        return jsonify(body), error.status
    return render_template("error.html", status=error.status, message=str(error)), error.status


def _http_error(error: HTTPException):  # type: ignore[no-untyped-def]
    data = getattr(error, "data", None) or {}  # webargs / flask-smorest put details here
    message = data.get("message") or error.description
    if error.code == 429:
        message = _("Too many requests. Please wait a while and try again.")
    if _wants_json():
        body = {"error": error.name, "message": message}
        if "messages" in data:  # field errors of a request body, by location
            body["fields"] = data["messages"].get("json", data["messages"])
            if isinstance(body["fields"], dict) and "message" not in data:
                body["message"] = f"Please correct: {', '.join(sorted(map(str, body['fields'])))}."
        return jsonify(body), error.code, data.get("headers") or {}
    return render_template("error.html", status=error.code, message=message), error.code
