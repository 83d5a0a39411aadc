"""The public status page: a customer, with no account, asks where their complaint stands.

Rate-limited per client address and per reference (Flask-Limiter; COMPLAINTS_STATUS_LIMIT_*).
A wrong reference/contact pair gets the same page, status and wording whether or not the
reference exists; the engine does the same reads either way.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template, request
from flask_babel import lazy_gettext
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

import engine
from web.deps import deps

bp = Blueprint("status", __name__)
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# The customer sees the policy's stages, not staff task names (POLICY.md §5).
STAGES = {
    "Register complaint": lazy_gettext("Registration"),
    "Initial review": lazy_gettext("Initial review"),
    "Clarify with customer": lazy_gettext("Initial review: we are clarifying details with you"),
    "Chase overdue review": lazy_gettext("Initial review"),
    "Analyse and decide": lazy_gettext("Analysis"),
    "Notify customer of delay": lazy_gettext("Analysis"),
    "Escalate missed new date": lazy_gettext("Analysis"),
    "Escalate overdue complaint": lazy_gettext("Analysis"),
    "Respond to customer": lazy_gettext("Preparing our response"),
    "Take corrective measures": lazy_gettext("Answered; we are improving our processes"),
    "Closed": lazy_gettext("Closed: our answer has been given"),
}


def init_app(app: Flask) -> None:
    # One limiter per process: each app sets it up afresh (enabled flag, storage), so say both.
    app.config.setdefault("RATELIMIT_ENABLED", True)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter.init_app(app)


class StatusForm(FlaskForm):
    reference = StringField("reference", validators=[DataRequired(), Length(max=40)])
    contact = StringField("contact", validators=[DataRequired(), Length(max=254)])


def _reference_key() -> str:
    return "reference:" + request.form.get("reference", "").strip().upper()[:40]


def stage_label(stage: str) -> str:
    """The customer's words for a stage: each main task named, the first that is known."""
    labels = [str(STAGES[name]) for name in stage.split(" / ") if name in STAGES]
    return labels[0] if labels else stage


@bp.route("/status", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["STATUS_LIMIT_CLIENT"], methods=["POST"])
@limiter.limit(lambda: current_app.config["STATUS_LIMIT_REFERENCE"], key_func=_reference_key, methods=["POST"])
def status():  # type: ignore[no-untyped-def]
    """Public: the stage, next deadline and any delay of a complaint, for its reference and contact."""
    form = StatusForm()
    if request.method == "GET":
        return render_template("status.html", form=form, answer=None)
    if not form.validate():
        return render_template("status.html", form=form, answer=None), 400
    answer = engine.check_status(form.reference.data or "", form.contact.data or "", **deps())
    if answer is None:
        return render_template("status.html", form=form, answer=None, not_found=True), 404
    fresh = StatusForm(formdata=None)  # the answer is shown; the form starts empty again
    return render_template("status.html", form=fresh, answer=answer, stage=stage_label(answer.stage))
