"""What every request may carry: text that can be stored, JSON of sane depth, integers in range.

Forms and the intake API are validated field by field in the engine; this is the floor under
every route, including the ones that take only an id in the path or a filter in the query:
a NUL or a lone surrogate anywhere in a request is a 400 naming the field, never a database
error, and JSON nested too deeply is a 400, never a RecursionError.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

from engine.kernel import text
from engine.kernel.errors import InvalidInput


def init_app(app: Flask) -> None:
    app.json = JSONProvider(app)
    app.before_request(refuse_unstorable_text)


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, with too deep a document refused as bad JSON (a 400) instead of a RecursionError."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError(f"'{_deepest(s)}' is nested too deeply.") from None


class JsonParser(FlaskParser):
    """The API's body parser: too deep a document is a 400 naming its field (`fields`, as for bad data)."""

    def _raw_load_json(self, req: Any) -> Any:
        if not is_json_request(req):
            return core.missing
        body = req.get_data(cache=True)
        try:
            return core.parse_json(body)
        except RecursionError:
            field = _deepest(body)
            reason = f"Nested deeper than {text.MAX_DEPTH} levels."
            abort(400, message=f"Please correct: {field}.", messages={"json": {field: [reason]}})


def _deepest(document: str | bytes) -> str:
    source = document.decode("utf-8", "replace") if isinstance(document, bytes) else document
    return text.too_deep(source) or "(body)"


def refuse_unstorable_text() -> None:
    """Before any view: path, query, form fields, file names and (outside the API) JSON strings."""
    for field, value in _request_text():
        reason = text.unstorable(value)
        if reason:
            raise InvalidInput(f"Please correct: {field}. {reason}", {field: [reason]})


def _request_text() -> Iterator[tuple[str, str]]:
    yield from ((k, v) for k, v in (request.view_args or {}).items() if isinstance(v, str))
    for source in (request.args, request.form):
        for key, value in source.items(multi=True):
            yield key, key
            yield key, value
    for key, file in request.files.items(multi=True):
        yield key, file.filename or ""
    if request.is_json and not request.path.startswith("/api/"):  # the API checks its token first
        yield from text.strings(request.get_json(silent=True))


def int_arg(name: str, default: int, *, lowest: int = 1, highest: int = 10**6) -> int:
    """An integer query parameter: junk gives the default, anything else is kept between the bounds."""
    try:
        value = int(request.args.get(name, default))
    except ValueError:
        return default
    return min(max(value, lowest), highest)
