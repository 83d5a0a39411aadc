"""Every page carries the security headers; templates keep to what the Content-Security-Policy allows."""

import re
from pathlib import Path

import jinja2.nodes
import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"


def policy(response):
    return dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))


@pytest.mark.parametrize("path", ["/login", "/status", "/", "/cases/MG-2026-000001", "/api/openapi.json", "/nope"])
def test_every_answer_carries_the_security_headers(as_user, case, path):
    response = as_user("officer").client.get(path)
    csp = policy(response)
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'" and csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'" and response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: HSTS would be ignored anyway


def test_hsts_is_sent_when_the_request_came_over_tls(app):
    response = app.test_client().get("/login", base_url="https://complaints.example")
    assert re.fullmatch(r"max-age=\d{8}", response.headers["Strict-Transport-Security"])  # a year
    assert response.status_code == 200  # no redirect loops: TLS is ended by the proxy


def test_only_the_modeler_page_allows_inline_style_attributes(as_user):
    owner = as_user("owner")
    draft = owner.post("/processes/complaint_handling/drafts", token_from="/processes/").headers["Location"]
    csp = policy(owner.client.get(draft))
    assert csp["style-src-attr"] == "'unsafe-inline'" and csp["style-src-elem"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert "unsafe-inline" not in owner.client.get("/processes/").headers["Content-Security-Policy"]


def test_no_template_has_inline_script_event_handlers_or_style(app):
    for template in sorted(TEMPLATES.glob("*.html")):
        source = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", source), f"inline <script> in {template.name}"
        assert not re.search(r"\son[a-z]+\s*=", source), f"inline event handler in {template.name}"
        assert not re.search(r"<style|\sstyle\s*=|javascript:", source), f"inline style in {template.name}"


def test_every_filter_and_test_a_template_uses_exists(app):
    environment = app.jinja_env
    for template in sorted(TEMPLATES.glob("*.html")):
        for name, kind in used_filters_and_tests(environment.parse(template.read_text())):
            known = environment.filters if kind == "filter" else environment.tests
            assert name in known, f"{template.name}: no {kind} named {name!r}"


def used_filters_and_tests(tree):
    """(name, "filter" or "test"); `select("match", ...)` names a test too, as its first argument."""
    for node in tree.find_all((jinja2.nodes.Filter, jinja2.nodes.Test)):
        yield node.name, "filter" if isinstance(node, jinja2.nodes.Filter) else "test"
        position = {"select": 0, "reject": 0, "selectattr": 1, "rejectattr": 1}.get(node.name)
        if isinstance(node, jinja2.nodes.Filter) and position is not None and len(node.args) > position:
            if isinstance(node.args[position], jinja2.nodes.Const):
                yield node.args[position].value, "test"
