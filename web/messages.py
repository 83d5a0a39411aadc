"""Messages to customers that did not go out: officers and supervisors see them, retry or settle them."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import engine
from engine.kernel import access
from web.auth import _safe_next, roles_required
from web.deps import services

bp = Blueprint("messages", __name__)
ROLES = tuple(sorted(access.MESSAGES))


@bp.get("/messages")
@roles_required(*ROLES)
def index():  # type: ignore[no-untyped-def]
    """Failed and waiting messages to customers, oldest first, with what went wrong."""
    listing = engine.list_undelivered_messages(actor=current_user.actor, uow=services().uow)
    return render_template("messages.html", listing=listing)


@bp.post("/messages/<message_id>/retry")
@roles_required(*ROLES)
def retry(message_id: str):  # type: ignore[no-untyped-def]
    """Send a failed or waiting message at the worker's next sweep."""
    engine.retry_message(message_id, actor=current_user.actor, uow=services().uow, clock=services().clock)
    flash(_("The message will be sent at the next sweep of the worker."), "success")
    return redirect(_back(), 303)


@bp.post("/messages/<message_id>/handled")
@roles_required(*ROLES)
def handled(message_id: str):  # type: ignore[no-untyped-def]
    """Record that the customer was told another way (e.g. by phone); the message is not sent."""
    engine.mark_message_handled(
        message_id, request.form.get("note", ""), actor=current_user.actor, uow=services().uow, clock=services().clock
    )
    flash(_("Recorded in the case history; the message will not be sent."), "success")
    return redirect(_back(), 303)


def _back() -> str:
    return _safe_next(request.form.get("next")) or url_for("messages.index")
