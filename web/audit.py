"""Audit pages (auditor role, read only): case timeline and step-through, exports, SLA report; erasure (dpo)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user

import engine
from engine.kernel import access
from engine.kernel.errors import Conflict, InvalidInput
from web.auth import roles_required
from web.deps import deps, services
from web.exports import history_csv, history_json, report_csv
from web.views import CHANNELS, local

bp = Blueprint("audit", __name__)
AUDITORS = tuple(sorted(access.AUDIT))
DPO = tuple(sorted(access.ERASURE))
EVENT_LABELS = {  # one per type in engine.records.history.TYPES (a test holds them together)
    "case_started": lazy_gettext("Complaint recorded"), "task_completed": lazy_gettext("Task completed"),
    "timer_fired": lazy_gettext("Deadline reached"), "status_requested": lazy_gettext("Status requested"),
    "version_migrated": lazy_gettext("Moved to another process version"),
    "process_failed": lazy_gettext("Process error"), "customer_message": lazy_gettext("The customer wrote"),
    "message_handled": lazy_gettext("Customer told another way"),
    "personal_data_erased": lazy_gettext("Personal data erased"),
}  # fmt: skip


@bp.get("/audit")
@roles_required(*AUDITORS)
def index():  # type: ignore[no-untyped-def]
    """Find a case to audit; links to the SLA report."""
    reference = request.args.get("reference", "").strip().upper()
    if reference:
        return redirect(url_for("audit.case", reference=reference))
    start, end = _default_period()
    return render_template("audit_index.html", start=start, end=end)


@bp.get("/audit/cases/<reference>")
@roles_required(*AUDITORS)
def case(reference: str):  # type: ignore[no-untyped-def]
    """A case's timeline with actors, data changes and SLA checkpoints; its chain and replay check."""
    record = engine.case_history(reference, **deps())
    return render_template("audit_case.html", record=record, steps=_steps(record), labels=EVENT_LABELS)


def _steps(record: engine.audit.verification.CaseHistory) -> list[dict[str, Any]]:
    """What the step-through shows for each event: its own elements and what waited after it."""
    return [
        {
            "seq": e.seq,
            "type": e.type,
            "actor": e.actor,
            "at": local(e.at),
            "elements": engine.audit.verification.elements(e),
            "waiting": sorted({bpmn for bpmn, _ in (e.data.get("after") or {}).get("ready", [])}),
        }  # fmt: skip
        for e in record.events
    ]


@bp.get("/audit/cases/<reference>/diagram.bpmn")
@roles_required(*AUDITORS)
def diagram(reference: str):  # type: ignore[no-untyped-def]
    """The BPMN of the version the case runs on, for the step-through."""
    return Response(engine.process_diagram(reference, uow=services().uow), mimetype="application/xml")


@bp.get("/audit/cases/<reference>/history.json")
@roles_required(*AUDITORS)
def history_json_export(reference: str):  # type: ignore[no-untyped-def]
    """The case history as JSON (events with hashes, SLA checkpoints, checks)."""
    response = jsonify(history_json(engine.case_history(reference, **deps())))
    response.headers["Content-Disposition"] = f'attachment; filename="{reference}-history.json"'
    return response


@bp.get("/audit/cases/<reference>/history.csv")
@roles_required(*AUDITORS)
def history_csv_export(reference: str):  # type: ignore[no-untyped-def]
    """The case history as CSV, one row per event."""
    text = history_csv(engine.case_history(reference, **deps()))
    return _csv(text, f"{reference}-history.csv")


@bp.get("/audit/chain-heads.json")
@roles_required(*AUDITORS)
def chain_heads_export():  # type: ignore[no-untyped-def]
    """Every case's chain head, signed with the history key: keep it to prove later what the histories were."""
    export = engine.export_chain_heads(uow=services().uow, clock=services().clock)
    response = jsonify(export)
    stamp = export["generated_at"][:19].replace(":", "")
    response.headers["Content-Disposition"] = f'attachment; filename="chain-heads-{stamp}.json"'
    return response


@bp.get("/audit/sla")
@roles_required(*AUDITORS)
def sla():  # type: ignore[no-untyped-def]
    """The SLA report for a period, per stage and channel, with charts."""
    start, end = _period()
    report = engine.sla_report(start, end, **deps())
    names = {key: str(label) for key, label in CHANNELS.items()}
    return render_template("sla.html", report=report, chart=_chart(report), channel_names=names)


@bp.get("/audit/sla.csv")
@roles_required(*AUDITORS)
def sla_csv():  # type: ignore[no-untyped-def]
    """The SLA report's rows as CSV."""
    start, end = _period()
    return _csv(report_csv(engine.sla_report(start, end, **deps())), f"sla-{start}-{end}.csv")


def _period() -> tuple[date, date]:
    default_start, default_end = _default_period()
    try:
        start = date.fromisoformat(request.args.get("from") or default_start.isoformat())
        end = date.fromisoformat(request.args.get("to") or default_end.isoformat())
    except ValueError:
        raise InvalidInput(_("Dates are written YYYY-MM-DD.")) from None
    return start, end


def _default_period() -> tuple[date, date]:
    today = services().policy.calendar.local_date(services().clock.now())
    return today.replace(day=1) - timedelta(days=30), today


def _chart(report: Any) -> dict[str, Any]:
    """Chart.js data: per channel, the share within SLA of each stage (percent)."""
    channels = sorted({r.channel for r in report.rows if r.met + r.missed})
    stages = [s for s, _ in engine.audit.sla.STAGES]
    share = {(r.stage, r.channel): r.share for r in report.rows}
    return {
        "labels": channels,
        "datasets": [
            {"label": stage, "data": [round((share.get((stage, c)) or 0) * 100) for c in channels]} for stage in stages
        ],
    }


def _csv(text: str, filename: str) -> Response:
    return Response(text, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/privacy/cases/<reference>/erase", methods=["GET", "POST"])
@roles_required(*DPO)
def erase(reference: str):  # type: ignore[no-untyped-def]
    """Erase a closed case's personal data (data-protection officers); asks for the reason first."""
    record = engine.case_history(reference, **deps())
    if request.method == "GET":
        return render_template("erase.html", record=record, errors={})
    reason = request.form.get("reason", "")
    try:
        erasure = engine.erase_personal_data(reference, reason, actor=current_user.actor, **deps())
    except (InvalidInput, Conflict) as error:
        return render_template("erase.html", record=record, errors={"reason": [str(error)]}), error.status
    flash(
        _("Personal data of %(ref)s erased; the erasure is recorded in its history.", ref=erasure.reference), "success"
    )
    return redirect(url_for("audit.erase", reference=reference), 303)


@bp.get("/privacy")
@roles_required(*DPO)
def privacy():  # type: ignore[no-untyped-def]
    """Data-protection officers find a case by reference."""
    reference = request.args.get("reference", "").strip().upper()
    if reference:
        return redirect(url_for("audit.erase", reference=reference))
    return render_template("privacy.html")
