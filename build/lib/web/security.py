"""Security headers on every response (Flask-Talisman): CSP, no framing, referrer, HSTS over TLS.

Every script and stylesheet is a file under /static, so no page may run inline script or load
anything from another site. Only the draft page, where the bpmn-js modeler and its properties
panel build their DOM from HTML strings carrying `style="..."` attributes, also allows inline
style *attributes* (`style-src-attr 'unsafe-inline'`; Chromium blocks them otherwise). `<style>`
elements stay forbidden there too, and a style attribute cannot run script. The viewers on the
case and audit pages, the form editor and Chart.js set styles through the CSSOM, which CSP allows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask_talisman import Talisman

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",  # Pico CSS, bpmn-js and form-js draw icons (ticks, arrows) as data: SVGs
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
MODELER_CSP = dict(CSP, **{"style-src-elem": "'self'", "style-src-attr": "'unsafe-inline'"})
talisman = Talisman()


def init_app(app: Flask) -> None:
    talisman.init_app(
        app,
        content_security_policy=CSP,
        frame_options="DENY",
        referrer_policy="same-origin",  # references in URLs never leave the site
        force_https=False,  # TLS is the proxy's job; HSTS is sent whenever a request came over TLS
        strict_transport_security=True,
        strict_transport_security_include_subdomains=False,
        session_cookie_secure=bool(app.config.get("SESSION_COOKIE_SECURE")),
        session_cookie_samesite=app.config.get("SESSION_COOKIE_SAMESITE", "Lax"),
    )


def modeler_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """The policy of a page with the bpmn-js modeler (inline style attributes allowed)."""
    return talisman(content_security_policy=MODELER_CSP)(view)
