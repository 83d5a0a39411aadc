"""Intake of complaints, the case page, its diagram, and status requests taken by staff."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import engine
from engine.kernel import access, model
from engine.kernel.errors import InvalidInput
from web.auth import STAFF, roles_required
from web.deps import deps, services
from web.views import local

bp = Blueprint("cases", __name__)
INTAKE_FIELDS = ("channel", "received_at", *model.PERSONAL_FIELDS)
STATUS_ROLES = tuple(sorted(access.STATUS_REQUESTS))


@bp.route("/intake", methods=["GET", "POST"])
@roles_required("intake")
def intake():  # type: ignore[no-untyped-def]
    """Record a complaint from any channel; incomplete data is kept and asked for later."""
    if request.method == "GET":
        return render_template(
            "intake.html", values={"received_at": local(services().clock.now(), "%Y-%m-%dT%H:%M")}, errors={}
        )
    values = {
        k: request.form.get(k, "").strip() if k != "description" else request.form.get(k, "") for k in INTAKE_FIELDS
    }
    data = dict(values, received_at=_baku_moment(values["received_at"]))
    try:
        progress = engine.start_case(data, actor=current_user.actor, **deps())
    except InvalidInput as error:
        return render_template("intake.html", values=values, errors=error.errors, message=str(error)), 400
    flash(_("Complaint recorded. Reference for the customer: %(ref)s", ref=progress.reference), "success")
    return redirect(url_for("cases.case", reference=progress.reference), 303)


def _baku_moment(text: str) -> str:
    """The form's local date-time (Baku) as an ISO moment with offset; kept as typed if odd."""
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=services().policy.calendar.zone)
    return moment.isoformat()


@bp.get("/cases")
@roles_required(*STAFF)
def find():  # type: ignore[no-untyped-def]
    """Go to a case by its reference."""
    reference = request.args.get("reference", "").strip().upper()
    return redirect(url_for("cases.case", reference=reference) if reference else url_for("tasks.index"))


@bp.get("/cases/<reference>")
@roles_required(*STAFF)
def case(reference: str):  # type: ignore[no-untyped-def]
    """Everything about a case; the customer's personal data only for roles that need it."""
    view = engine.view_case(reference, actor=current_user.actor, place="case_page", **_log_deps())
    version = next((v for v in engine.list_versions(uow=services().uow) if v.id == view.case.version_id), None)
    names = {k: v["name"] for k, v in (version.user_tasks if version else {}).items()}
    answer = engine.status_answer(view.case, view.events)
    return render_template(
        "case.html", view=view, names=names, answer=answer,
        timer_names={d.bpmn_id: d.name for d in view.case.deadlines},
        my_lanes=services().policy.lanes_for_roles(current_user.roles),
        can_record_status=bool(current_user.roles & set(STATUS_ROLES)),
        inbound_by_id={m.id: m for m in view.inbound},
        can_act_on_messages=bool(current_user.roles & access.MESSAGES),
    )  # fmt: skip


def _log_deps() -> dict:
    return {"uow": services().uow, "clock": services().clock}


@bp.get("/cases/<reference>/diagram.bpmn")
@roles_required(*STAFF)
def diagram(reference: str):  # type: ignore[no-untyped-def]
    """The BPMN of the version the case runs on, for the read-only viewer."""
    return Response(engine.process_diagram(reference, uow=services().uow), mimetype="application/xml")


@bp.post("/cases/<reference>/status-request")
@roles_required(*STATUS_ROLES)
def status_request(reference: str):  # type: ignore[no-untyped-def]
    """Record that someone asked for the status by phone or in a store, and what they were told."""
    form = request.form
    try:
        answer = engine.record_status_request(
            reference, form.get("channel", ""), requester=form.get("requester", ""),
            told=form.get("told", ""), actor=current_user.actor, **deps(),
        )  # fmt: skip
    except InvalidInput as error:  # nothing was recorded: the case page again, saying what is missing
        flash(f"{error} " + " ".join(f"{k}: {' '.join(v)}" for k, v in error.errors.items()), "error")
        return case(reference), 400
    flash(_("Status request recorded. Stage: %(stage)s; next deadline: %(due)s.", stage=answer.stage,
            due=local(answer.next_deadline)), "success")  # fmt: skip
    return redirect(url_for("cases.case", reference=reference), 303)
