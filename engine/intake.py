"""What an intake must carry (POLICY.md §1-2): a channel and a moment; the rest may come later."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from engine import forms, model
from engine.errors import InvalidInput

FUTURE_SLACK = timedelta(minutes=5)


def _text(limit: int, *checks: Any) -> fields.String:
    return fields.String(load_default="", validate=[validate.Length(max=limit), *checks])


class IntakeSchema(Schema):
    class Meta:
        unknown = RAISE

    channel = fields.String(required=True, validate=validate.OneOf(model.CHANNELS))
    received_at = fields.AwareDateTime(load_default=None, format="iso")
    surname = _text(100)
    given_name = _text(100)
    patronymic = _text(100)
    phone = _text(30, validate.Regexp(forms.PHONE, error="Not a valid phone number."))
    email = _text(254, validate.Regexp(forms.EMAIL, error="Not a valid e-mail address."))
    employee = _text(200)
    description = _text(forms.MAX_TEXT)

    @validates("received_at")
    def _not_naive(self, value: datetime | None, **_: Any) -> None:
        if value is not None and value.tzinfo is None:
            raise ValidationError("Needs a UTC offset, e.g. 2026-03-02T10:15:00+04:00.")


def validate_intake(data: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Typed intake values; received_at defaults to now and may not lie in the future."""
    cleaned = {k: v for k, v in data.items() if v not in ("", None)}
    try:
        values = IntakeSchema().load(cleaned)
    except ValidationError as error:
        messages = error.normalized_messages()
        raise InvalidInput(f"Please correct: {', '.join(sorted(messages))}.", messages) from None
    values["received_at"] = values["received_at"] or now
    if values["received_at"] > now + FUTURE_SLACK:
        raise InvalidInput("Please correct: received_at.", {"received_at": ["Lies in the future."]})
    return values
