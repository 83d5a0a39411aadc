"""Forms: bpmn.io form-js JSON, validated on the server by a marshmallow schema built from it."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from engine.kernel import text
from engine.kernel.calendar import WorkingCalendar
from engine.kernel.errors import InvalidInput
from engine.notation import bpmn_checks, sandbox

MAX_TEXT = 10_000
# Checked whole (fullmatch), never by prefix: "a@b.org\r\nBcc: ..." or "x@y.org<script>" are not addresses.
_ATOM = r"[\w!#$%&'*+/=?^`{|}~-]+"
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
EMAIL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+(?:[^\W\d_]{{2,63}}|xn--[a-z0-9-]{{1,59}})", re.IGNORECASE)
PHONE = re.compile(r"\+?[0-9 ()-]{7,20}")
PHONE_DIGITS = (7, 15)  # E.164 allows at most 15 digits
EARLIEST_DATE = date(2000, 1, 1)  # no date typed in this service lies before it existed
LATEST_AHEAD = timedelta(days=366)  # a date promised to a customer more than a year ahead is a typo
INPUTS = {
    "textfield",
    "textarea",
    "number",
    "checkbox",
    "radio",
    "select",
    "checklist",
    "taglist",
    "datetime",
}


def components(form: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The input components of a form, groups flattened, in display order."""
    for component in form.get("components", []):
        if component.get("type") in ("group", "dynamiclist"):
            yield from components(component)
        elif component.get("type") in INPUTS and component.get("key"):
            yield component


def free_text_keys(form: Mapping[str, Any] | None) -> list[str]:
    """Fields where staff type free text (it may repeat a customer's name: sealed in the history)."""
    return [c["key"] for c in components(form or {}) if c["type"] in ("textfield", "textarea")]


def check_form(form: Any) -> str | None:
    """Why a form JSON cannot be used, or None."""
    if not isinstance(form, dict) or not isinstance(form.get("components"), list):
        return "is not a form-js form (an object with a 'components' list)"
    for component in components(form):
        hide = (component.get("conditional") or {}).get("hide")
        if hide and _feel_to_python(hide) is None:
            return f"field '{component['key']}': condition {hide!r} is not supported"
    return None


def email_address(value: str) -> None:
    """Marshmallow validator: a whole e-mail address, nothing before or after it."""
    if not EMAIL.fullmatch(value):
        raise ValidationError("Not a valid e-mail address.")


def phone_number(value: str) -> None:
    """Marshmallow validator: a whole phone number of 7 to 15 digits (spaces, dashes, brackets, a leading +)."""
    digits = sum(ch.isdigit() for ch in value)
    if not PHONE.fullmatch(value) or not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
        raise ValidationError("Not a valid phone number.")


def validate_data(
    form: Mapping[str, Any] | None,
    data: Mapping[str, Any],
    *,
    today: date,
    calendar: WorkingCalendar | None = None,
) -> dict[str, Any]:
    """Validated, typed values for the visible fields of the form; raises InvalidInput.

    With `calendar`, a date that may not be passed (a date promised to the customer) must be a working day.
    """
    if form is None:
        if data:
            raise InvalidInput("This task has no form; it takes no data.", {"_": ["unexpected data"]})
        return {}
    cleaned = {k: v for k, v in data.items() if not _blank(v)}
    facts = dict(cleaned)  # conditions see checkboxes as booleans, whatever the client sent
    for c in components(form):
        if c["type"] == "checkbox" and c["key"] in facts:
            facts[c["key"]] = str(facts[c["key"]]).lower() in ("true", "on", "1", "yes")
    visible = tuple(c["key"] for c in components(form) if not _hidden(c, facts))
    schema = _schema(form, visible, today, calendar)
    hidden = {c["key"] for c in components(form)} - set(visible)
    try:
        values = schema.load({k: v for k, v in cleaned.items() if k not in hidden})
    except ValidationError as error:
        errors = {k: v if isinstance(v, list) else [str(v)] for k, v in error.normalized_messages().items()}
        fields_ = ", ".join(sorted(errors))
        raise InvalidInput(f"Please correct: {fields_}.", errors) from None
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def _blank(value: Any) -> bool:
    """Nothing typed: empty, or only spaces (a required field of spaces is missing)."""
    return value is None or (isinstance(value, str) and not value.strip())


_schemas: dict[tuple[int, tuple[str, ...], date, int], tuple[Mapping[str, Any], Schema]] = {}


def _schema(form: Mapping[str, Any], visible: tuple[str, ...], today: date, calendar: WorkingCalendar | None) -> Schema:
    """Schemas are costly to build: one per (form, visible fields, day, calendar), kept while the form lives."""
    key = (id(form), visible, today, id(calendar))
    cached = _schemas.get(key)
    if cached is None or cached[0] is not form:
        if len(_schemas) > 512:
            _schemas.clear()
        by_key = {c["key"]: c for c in components(form)}
        schema = Schema.from_dict({k: _field(by_key[k], today, calendar) for k in visible})()  # refuses unknown fields
        cached = _schemas[key] = (form, schema)
    return cached[1]


def _field(component: Mapping[str, Any], today: date, calendar: WorkingCalendar | None) -> fields.Field:
    rules = component.get("validate") or {}
    required = bool(rules.get("required"))
    kind = component["type"]
    options = [str(v.get("value")) for v in component.get("values") or []]
    checks: list[Any] = []
    if kind == "checkbox":
        return fields.Boolean(load_default=False)
    if kind == "number":
        bounds = validate.Range(min=rules.get("min"), max=rules.get("max"))
        return fields.Float(required=required, validate=bounds)
    if kind == "datetime":
        return fields.Date(required=required, validate=_date_check(component, today, calendar))
    if kind in ("checklist", "taglist"):
        return fields.List(fields.String(validate=validate.OneOf(options)), required=required)
    if kind in ("radio", "select"):
        return fields.String(required=required, validate=validate.OneOf(options))
    checks.append(validate.Length(min=rules.get("minLength"), max=min(rules.get("maxLength") or MAX_TEXT, MAX_TEXT)))
    checks.append(text.one_line if kind == "textfield" else text.multi_line)
    if rules.get("pattern"):
        checks.append(_whole(rules["pattern"]))
    if rules.get("validationType") == "email":
        checks.append(email_address)
    if rules.get("validationType") == "phone":
        checks.append(phone_number)
    return fields.String(required=required, validate=checks)


def _whole(pattern: str) -> Any:
    """A form's `pattern` applies to the whole value, as in HTML's pattern attribute."""
    regex = re.compile(pattern)

    def check(value: str) -> None:
        if not regex.fullmatch(value):
            raise ValidationError("Does not match the expected format.")

    return check


def date_limits(component: Mapping[str, Any], today: date) -> tuple[date, date]:
    """The first and last date a date field takes.

    A field with form-js `disallowPassedDates` holds a date promised for the future: from today
    to a year ahead. Any other date records something that happened: not after today (unless
    the form says `"properties": {"allowFutureDates": "true"}`), never before the service existed.
    """
    if component.get("disallowPassedDates"):
        return today, today + LATEST_AHEAD
    future = str((component.get("properties") or {}).get("allowFutureDates")).lower() == "true"
    return EARLIEST_DATE, today + LATEST_AHEAD if future else today


def date_ranges(form: Mapping[str, Any] | None, today: date, calendar: WorkingCalendar) -> dict[str, tuple[date, date]]:
    """Per date field, the first and last date it takes (for the page's min/max; the server checks the same)."""
    ranges = {}
    for component in components(form or {}):
        if component["type"] == "datetime":
            first, last = date_limits(component, today)
            if component.get("disallowPassedDates") and not calendar.is_working_day(first):
                first = calendar.add_working_days(first, 1)
            ranges[component["key"]] = (first, last)
    return ranges


def _date_check(component: Mapping[str, Any], today: date, calendar: WorkingCalendar | None) -> Any:
    earliest, latest = date_limits(component, today)
    promised = bool(component.get("disallowPassedDates"))
    too_early = f"Must be today ({today.isoformat()}) or later." if promised else f"Must be {earliest} or later."
    too_late = f"Must not lie in the future (after {today})." if latest == today else f"Must be {latest} or earlier."

    def check(value: date) -> None:
        if value < earliest:
            raise ValidationError(too_early)
        if value > latest:
            raise ValidationError(too_late)
        if promised and calendar is not None and not calendar.is_working_day(value):
            after = calendar.add_working_days(value, 1).isoformat()
            raise ValidationError(f"{value.isoformat()} is not a working day; the next working day is {after}.")

    return check


_FEEL_TOKENS = re.compile(r'\s*(?:(!=|<=|>=|=|<|>|\(|\)|,)|("[^"]*")|([A-Za-z_][\w.]*)|(\d+(?:\.\d+)?))')


def _feel_to_python(expression: str) -> str | None:
    """A small FEEL subset (comparisons, and/or/not, literals) as Python, or None."""
    source = expression.strip()
    if not source.startswith("="):
        return None
    out, position, source = [], 0, source[1:]
    words = {"true": "True", "false": "False", "null": "None"}  # and, or, not: the same in Python
    while position < len(source):
        match = _FEEL_TOKENS.match(source, position)
        if not match:
            return None
        symbol, string, name, number = match.groups()
        out.append("==" if symbol == "=" else symbol or string or number or words.get(name, name))
        position = match.end()
    python = " ".join(out)
    return python if bpmn_checks.condition_problem(python) is None else None


def _hidden(component: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
    hide = (component.get("conditional") or {}).get("hide")
    python = _feel_to_python(hide) if hide else None
    if python is None:
        return False
    names = {**dict.fromkeys(re.findall(r"[A-Za-z_]\w*", python)), **data}  # a field left out is null
    try:
        return bool(sandbox.evaluate(python, names))
    except sandbox.SandboxError:
        return False


__all__ = ["components", "check_form", "validate_data", "EXCLUDE"]
