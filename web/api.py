"""The JSON intake API of the live-chat and social-media integrations (flask-smorest, OpenAPI).

Each integration holds a channel token (COMPLAINTS_API_TOKENS, `live_chat=...,social=...`) sent
as `Authorization: Bearer <token>`; the token decides the channel. Posting the same message id
again returns the case it opened (200) instead of opening another (201). No cookies, so no CSRF.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, request
from flask_smorest import Api, Blueprint, abort
from marshmallow import RAISE, Schema, fields, validate

import engine
from engine.casework.intake import IntakeSchema
from engine.kernel import text
from engine.kernel.errors import Conflict
from engine.notation import forms
from web import inputs
from web.deps import deps

blp = Blueprint(
    "intake_api", __name__, url_prefix="/api/v1",
    description="Complaints from the live-chat and social-media integrations.",
)  # fmt: skip
blp.ARGUMENTS_PARSER = inputs.JsonParser()  # before @blp.arguments below: JSON nested too deeply is a 400
TOKEN_SCHEME = "channelToken"


class IntakeMessageSchema(IntakeSchema):
    """A complaint from an integration: its message id, the customer's data and their words."""

    class Meta:
        unknown = RAISE
        exclude = ("channel",)  # the token says which channel

    message_id = fields.String(
        required=True, validate=[validate.Length(min=1, max=200), text.one_line],
        metadata={"description": "The integration's id of the message; a replay returns the same case."},
    )  # fmt: skip
    description = fields.String(required=True, validate=[validate.Length(min=1, max=forms.MAX_TEXT), text.multi_line])


class IntakeResultSchema(Schema):
    reference = fields.String(metadata={"description": "The reference the customer quotes, e.g. MG-2026-000123."})
    status = fields.String(metadata={"description": "open | closed | errored"})
    stage = fields.String()
    replayed = fields.Boolean(metadata={"description": "True when this message id was received before."})


class _Api(Api):
    def _register_error_handlers(self) -> None:
        """web/errors.py answers errors for the whole app, in the same JSON shape."""


def init_app(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "Music Gallery complaint intake")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = _Api(app)
    api.spec.components.security_scheme(TOKEN_SCHEME, {"type": "http", "scheme": "bearer"})
    api.register_blueprint(blp)


def _channel_token(view: Callable[..., Any]) -> Callable[..., Any]:
    """The channel whose token the request carries goes to `g.channel`; 401 before anything else."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.channel = _channel()
        return view(*args, **kwargs)

    return wrapper


def _channel() -> str:
    """Every configured token is compared, in constant time."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    found = None
    for channel, expected in current_app.config.get("API_TOKENS", {}).items():
        if hmac.compare_digest(token.strip().encode(), expected.encode()) and scheme.lower() == "bearer":
            found = channel
    if found is None:
        abort(401, message="Unknown or missing channel token.", headers={"WWW-Authenticate": "Bearer"})
    return found


@blp.route("/complaints", methods=["POST"])
@blp.doc(security=[{TOKEN_SCHEME: []}])
@blp.response(201, IntakeResultSchema, description="A new case was opened.")
@blp.alt_response(200, schema=IntakeResultSchema, description="This message id was received before: its case.")
@blp.alt_response(400, description="Bad data: `fields` names each problem; nothing was stored.")
@blp.alt_response(401, description="Unknown or missing channel token.")
@_channel_token
@blp.arguments(IntakeMessageSchema, error_status_code=400)
def post_complaint(data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Record a complaint from the live chat or social media; idempotent by message id."""
    channel = g.channel
    message_id = data.pop("message_id")
    try:
        result = engine.receive_intake_message(channel, message_id, data, **deps())
    except Conflict:  # the same message raced in twice: the other request opened the case
        result = engine.receive_intake_message(channel, message_id, data, **deps())
    body = {"reference": result.reference, "status": result.status, "stage": result.stage, "replayed": result.replayed}
    return body, 200 if result.replayed else 201
