"""What an intake must carry (POLICY.md §1-2): a channel and a moment; the rest may come later."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate, validates

from engine.kernel import model, text
from engine.kernel.errors import InvalidInput
from engine.notation import forms

FUTURE_SLACK = timedelta(minutes=5)
# No complaint was received by this service before it existed: an older moment is a typing
# error (0001-01-01 would even make a reference like MG-1-000001).
EARLIEST_RECEIPT = datetime(2000, 1, 1, tzinfo=UTC)


def _text(limit: int, *checks: Any, one_line: bool = True) -> fields.String:
    typed = text.one_line if one_line else text.multi_line
    return fields.String(load_default="", validate=[validate.Length(max=limit), typed, *checks])


class IntakeSchema(Schema):
    class Meta:
        unknown = RAISE

    channel = fields.String(required=True, validate=validate.OneOf(model.CHANNELS))
    received_at = fields.AwareDateTime(load_default=None, format="iso")
    surname = _text(100)
    given_name = _text(100)
    patronymic = _text(100)
    phone = _text(30, forms.phone_number)
    email = _text(254, forms.email_address)
    employee = _text(200)
    description = _text(forms.MAX_TEXT, one_line=False)

    @pre_load
    def _blank_is_missing(self, data: Any, **_: Any) -> Any:
        """Spaces around one-line values are dropped; a value of spaces only was not given."""
        if not isinstance(data, Mapping):
            return data
        one_line = {name for name, f in self.fields.items() if name != "description" and isinstance(f, fields.String)}
        stripped = {k: v.strip() if isinstance(v, str) and k in one_line else v for k, v in data.items()}
        return {k: v for k, v in stripped.items() if not (isinstance(v, str) and not v.strip())}

    @validates("received_at")
    def _in_service_time(self, value: datetime | None, **_: Any) -> None:
        if value is not None and value.tzinfo is None:
            raise ValidationError("Needs a UTC offset, e.g. 2026-03-02T10:15:00+04:00.")
        if value is not None and value < EARLIEST_RECEIPT:
            raise ValidationError(f"Lies before {EARLIEST_RECEIPT.year}, before this service existed.")


def validate_intake(data: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Typed intake values; received_at defaults to now and may not lie in the future."""
    cleaned = {k: v for k, v in data.items() if v not in ("", None)}
    try:
        values = IntakeSchema().load(cleaned)
    except ValidationError as error:
        messages = error.normalized_messages()
        raise InvalidInput(f"Please correct: {', '.join(sorted(map(str, messages)))}.", messages) from None
    values["received_at"] = values["received_at"] or now
    if values["received_at"] > now + FUTURE_SLACK:
        raise InvalidInput("Please correct: received_at.", {"received_at": ["Lies in the future."]})
    return values


STATUS_CHANNELS = (*model.CHANNELS, "status_page", "in_person")


class StatusRequestSchema(Schema):
    """A status request taken by staff: how and by whom it was asked; what they were told is optional."""

    class Meta:
        unknown = RAISE

    channel = fields.String(required=True, validate=validate.OneOf(STATUS_CHANNELS, error="Unknown channel."))
    requester = fields.String(required=True, validate=[validate.Length(max=200), text.one_line])
    told = fields.String(load_default="", validate=[validate.Length(max=2000), text.multi_line])


def validate_status_request(channel: str, requester: str, told: str) -> dict[str, str]:
    """The request as it will be recorded; nothing is made up for what was left empty."""
    given = {"channel": channel.strip(), "requester": requester.strip(), "told": told.strip()}
    try:
        return StatusRequestSchema().load({k: v for k, v in given.items() if v})
    except ValidationError as error:
        messages = error.normalized_messages()
        raise InvalidInput(f"Please correct: {', '.join(sorted(map(str, messages)))}.", messages) from None
