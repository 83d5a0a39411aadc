"""The Flask app factory: configuration, the engine's services, extensions, blueprints, errors."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from web.config import Config


def create_app(config: Config | dict[str, Any] | None = None, services: Any = None) -> Flask:
    """Build the app around `services` (engine dependencies built by bootstrap.py)."""
    app = Flask(__name__, instance_relative_config=False)
    settings = config.as_dict() if isinstance(config, Config) else dict(config or Config().as_dict())
    app.config.from_mapping(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not (settings.get("DEMO_MODE") or settings.get("TESTING")),
        REMEMBER_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,  # a long shift on one page must not expire its forms
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,  # above the 5 MB BPMN limit, so that limit can explain itself
    )
    app.config.from_mapping(settings)
    if proxies := int(app.config.get("TRUSTED_PROXIES") or 0):  # clients as the proxy saw them, for rate limits
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    if services is None:
        raise RuntimeError("create_app needs services; use bootstrap.create_app()")
    app.extensions["bpm"] = services
    _install(app)
    return app


def _install(app: Flask) -> None:
    """Extensions, blueprints and commands, in the order their hooks must run."""
    from web import (
        api,
        audit,
        auth,
        cases,
        commands,
        errors,
        health,
        i18n,
        inbox,
        inputs,
        messages,
        processes,
        security,
        status,
        tasks,
        views,
    )

    i18n.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    views.init_app(app)
    status.init_app(app)
    inputs.init_app(app)  # after CSRF and the rate limits: a forged or flooding request is refused first
    security.init_app(app)
    blueprints = (health.bp, auth.bp, tasks.bp, cases.bp, status.bp, inbox.bp, messages.bp, processes.bp, audit.bp)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    api.init_app(app)
    auth.csrf.exempt(api.blp)  # token-authenticated JSON, no cookies
    commands.init_app(app)
