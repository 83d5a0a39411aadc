"""The Flask app factory: configuration, the engine's services, blueprints and error handlers."""

from __future__ import annotations

from typing import Any

from flask import Flask

from web.config import Config


def create_app(config: Config | dict[str, Any] | None = None, services: Any = None) -> Flask:
    """Build the app around `services` (engine dependencies built by bootstrap.py)."""
    app = Flask(__name__, instance_relative_config=False)
    settings = config.as_dict() if isinstance(config, Config) else dict(config or Config().as_dict())
    app.config.from_mapping(settings)
    if services is None:
        raise RuntimeError("create_app needs services; use bootstrap.create_app()")
    app.extensions["bpm"] = services

    from web import cli, errors, health

    errors.init_app(app)
    app.register_blueprint(health.bp)
    cli.init_app(app)
    return app
