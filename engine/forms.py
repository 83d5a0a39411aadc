"""Forms: bpmn.io form-js JSON, validated on the server by a marshmallow schema built from it."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from engine import bpmn_checks, sandbox
from engine.errors import InvalidInput

MAX_TEXT = 10_000
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE = re.compile(r"\+?[0-9 ()-]{7,20}")
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


def validate_data(form: Mapping[str, Any] | None, data: Mapping[str, Any], *, today: date) -> dict[str, Any]:
    """Validated, typed values for the visible fields of the form; raises InvalidInput."""
    if form is None:
        if data:
            raise InvalidInput("This task has no form; it takes no data.", {"_": ["unexpected data"]})
        return {}
    cleaned = {k: v for k, v in data.items() if v not in ("", None)}
    facts = dict(cleaned)  # conditions see checkboxes as booleans, whatever the client sent
    for c in components(form):
        if c["type"] == "checkbox" and c["key"] in facts:
            facts[c["key"]] = str(facts[c["key"]]).lower() in ("true", "on", "1", "yes")
    visible = tuple(c["key"] for c in components(form) if not _hidden(c, facts))
    schema = _schema(form, visible, today)
    hidden = {c["key"] for c in components(form)} - set(visible)
    try:
        values = schema.load({k: v for k, v in cleaned.items() if k not in hidden})
    except ValidationError as error:
        errors = {k: v if isinstance(v, list) else [str(v)] for k, v in error.normalized_messages().items()}
        fields_ = ", ".join(sorted(errors))
        raise InvalidInput(f"Please correct: {fields_}.", errors) from None
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


_schemas: dict[tuple[int, tuple[str, ...], date], tuple[Mapping[str, Any], Schema]] = {}


def _schema(form: Mapping[str, Any], visible: tuple[str, ...], today: date) -> Schema:
    """Schemas are costly to build: one per (form, visible fields, day), kept while the form lives."""
    key = (id(form), visible, today)
    cached = _schemas.get(key)
    if cached is None or cached[0] is not form:
        if len(_schemas) > 512:
            _schemas.clear()
        by_key = {c["key"]: c for c in components(form)}
        schema = Schema.from_dict({k: _field(by_key[k], today) for k in visible})(unknown=RAISE)
        cached = _schemas[key] = (form, schema)
    return cached[1]


def _field(component: Mapping[str, Any], today: date) -> fields.Field:
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
        checks = [_not_past(today)] if component.get("disallowPassedDates") else []
        return fields.Date(required=required, validate=checks)
    if kind in ("checklist", "taglist"):
        return fields.List(fields.String(validate=validate.OneOf(options)), required=required)
    if kind in ("radio", "select"):
        return fields.String(required=required, validate=validate.OneOf(options))
    checks.append(validate.Length(min=rules.get("minLength"), max=min(rules.get("maxLength") or MAX_TEXT, MAX_TEXT)))
    if rules.get("pattern"):
        checks.append(validate.Regexp(rules["pattern"], error="Does not match the expected format."))
    if rules.get("validationType") == "email":
        checks.append(validate.Regexp(EMAIL, error="Not a valid e-mail address."))
    if rules.get("validationType") == "phone":
        checks.append(validate.Regexp(PHONE, error="Not a valid phone number."))
    return fields.String(required=required, validate=checks)


def _not_past(today: date) -> Any:
    def check(value: date) -> None:
        if value < today:
            raise ValidationError(f"Must be today ({today.isoformat()}) or later.")

    return check


_FEEL_TOKENS = re.compile(r'\s*(?:(!=|<=|>=|=|<|>|\(|\)|,)|("[^"]*")|([A-Za-z_][\w.]*)|(\d+(?:\.\d+)?))')


def _feel_to_python(expression: str) -> str | None:
    """A small FEEL subset (comparisons, and/or/not, literals) as Python, or None."""
    text = expression.strip()
    if not text.startswith("="):
        return None
    out, position, text = [], 0, text[1:]
    words = {"and": "and", "or": "or", "not": "not", "true": "True", "false": "False", "null": "None"}
    while position < len(text.rstrip()):
        match = _FEEL_TOKENS.match(text, position)
        if not match:
            return None
        symbol, string, name, number = match.groups()
        out.append("==" if symbol == "=" else symbol or string or number or words.get(name, name))
        position = match.end()
    python = " ".join(t for t in out if t)
    return python if bpmn_checks.condition_problem(python) is None else None


def _hidden(component: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
    hide = (component.get("conditional") or {}).get("hide")
    python = _feel_to_python(hide) if hide else None
    if python is None:
        return False
    names = {**{c: None for c in _names(python)}, **data}
    try:
        return bool(sandbox.evaluate(python, names))
    except sandbox.SandboxError:
        return False


def _names(python: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_]\w*", python)) - {"and", "or", "not", "True", "False", "None"}


__all__ = ["components", "check_form", "validate_data", "EXCLUDE"]
