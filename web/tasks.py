"""The task list and the task page: staff see their lanes' work, claim it and complete it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import engine
from engine.kernel.errors import InvalidInput, StaleCase, TaskNotReady
from engine.notation import forms
from web.auth import STAFF, _safe_next, home_for, roles_required
from web.deps import deps, services
from web.inputs import int_arg

bp = Blueprint("tasks", __name__)
FILTERS = ("sla", "stage", "channel", "sort", "mine")


def _filters() -> engine.Filters:
    args = request.args
    lanes = tuple(services().policy.lanes_for_roles(current_user.roles))
    page = int_arg("page", 1)
    return engine.Filters(
        lanes=lanes, sla=args.get("sla") or None, stage=args.get("stage") or None,
        channel=args.get("channel") or None, sort=args.get("sort") or "due",
        assignee=current_user.id if args.get("mine") else None, page=page,
    )  # fmt: skip


@bp.get("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    """The work of the user's lanes: SLA tabs with counts, filters, soonest due first."""
    if not current_user.roles & set(STAFF):
        home = home_for(current_user)
        return redirect(home) if home != request.path else abort(403)
    filters = _filters()
    listing = engine.task_list(filters, **deps())
    stages = [t["name"] for t in _stage_names(filters.lanes)]
    keep = {k: v for k, v in request.args.items() if k in FILTERS and v}
    return render_template("tasks.html", listing=listing, filters=filters, stages=stages, keep=keep)


def _stage_names(lanes: tuple[str, ...]) -> list[dict[str, Any]]:
    """The user tasks of the deployed process in these lanes, for the stage filter."""
    names: dict[str, dict[str, Any]] = {}
    for version in engine.list_versions(uow=services().uow):
        for task in version.user_tasks.values():
            if task.get("lane") in lanes:
                names.setdefault(task["name"], task)
    return list(names.values())


@bp.post("/tasks/<case_id>/<task_id>/claim")
@roles_required(*STAFF)
def claim(case_id: str, task_id: str):  # type: ignore[no-untyped-def]
    """Take a task so that colleagues see it is being handled."""
    item = engine.claim_task(case_id, task_id, actor=current_user.actor, **deps())
    flash(_("You took “%(task)s” of %(ref)s.", task=item.name, ref=item.reference), "success")
    return redirect(_safe_next(request.form.get("next")) or url_for("tasks.index"), 303)


@bp.post("/tasks/<case_id>/<task_id>/release")
@roles_required(*STAFF)
def release(case_id: str, task_id: str):  # type: ignore[no-untyped-def]
    """Give a task back to the lane."""
    item = engine.claim_task(case_id, task_id, actor=current_user.actor, release=True, **deps())
    flash(_("You released “%(task)s” of %(ref)s.", task=item.name, ref=item.reference), "info")
    return redirect(_safe_next(request.form.get("next")) or url_for("tasks.index"), 303)


@bp.route("/tasks/<case_id>/<task_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def task(case_id: str, task_id: str):  # type: ignore[no-untyped-def]
    """A task's form: rendered from its form-js JSON, validated on the server."""
    try:
        page = _open(case_id, task_id)
    except TaskNotReady as error:
        return _done_already(error, case_id)
    if request.method == "GET":
        return _task_page(page, page.values)
    values = {k: v for k, v in request.form.items(multi=False) if k not in ("csrf_token", "revision")}
    values.update({k: request.form.getlist(k) for k in request.form if len(request.form.getlist(k)) > 1})
    try:
        revision = int(request.form.get("revision", ""))
    except ValueError:
        abort(400)
    try:
        progress = engine.complete_task(
            case_id, task_id, values, actor=current_user.actor, expected_revision=revision, **deps()
        )
    except InvalidInput as error:
        return _task_page(page, values, error.errors, str(error)), 400
    except StaleCase as error:
        return _task_page(page, values, {}, str(error)), 409
    except TaskNotReady as error:
        return _done_already(error, case_id)
    flash(_("“%(task)s” of %(ref)s completed. Now: %(stage)s.", task=page.item.name, ref=progress.reference,
            stage=progress.stage), "success")  # fmt: skip
    if progress.error:
        flash(_("The process failed after your step: %(error)s", error=progress.error), "error")
    return redirect(url_for("tasks.index"), 303)


def _open(case_id: str, task_id: str) -> engine.casework.cases.TaskPage:
    """Shown (GET): the customer's data only to roles that may see it, the view logged; re-shown (POST): not logged."""
    if request.method == "GET":
        return engine.view_task(case_id, task_id, actor=current_user.actor, **deps())
    return engine.open_task(case_id, task_id, actor=current_user.actor, uow=services().uow, policy=services().policy)


def _task_page(
    page: engine.casework.cases.TaskPage, values: dict[str, Any], errors: Any = None, message: str = ""
) -> str:
    """The task form with the values typed so far, the errors beside their fields, and the dates it takes."""
    policy = services().policy
    today = policy.calendar.local_date(services().clock.now())
    dates = forms.date_ranges(page.form, today, policy.calendar)
    return render_template("task.html", page=page, values=values, errors=errors or {}, message=message, dates=dates)


def _done_already(error: TaskNotReady, case_id: str):  # type: ignore[no-untyped-def]
    """A second submission by the same person lands on the case; anyone else gets the 409."""
    if request.method == "POST" and error.completed_by == current_user.id:
        flash(_("This task was already completed."), "info")
        reference = engine.show_case(case_id, uow=services().uow).case.reference
        return redirect(url_for("cases.case", reference=reference), 303)
    raise error
