"""Staff's commands: record a complaint, list and complete tasks, fire due timers, show a case,
record a status request."""

from __future__ import annotations

import json
from typing import Any

import click

import engine
from engine.kernel import access, model
from engine.kernel.errors import InvalidInput, TaskNotFound
from engine.records import history
from web.commands.common import actor, as_option, clock, countdown, deps, domain_errors, local, services


@click.command()
@click.option("--channel", required=True, type=click.Choice(model.CHANNELS))
@click.option("--received-at", help="Moment of receipt, ISO with offset (default: now).")
@click.option("--surname", default="")
@click.option("--given-name", default="")
@click.option("--patronymic", default="")
@click.option("--phone", default="")
@click.option("--email", default="")
@click.option("--employee", default="", help="Employee who served the customer.")
@click.option("--description", default="")
@as_option
@domain_errors
def start(username: str, **intake: str) -> None:
    """Record a complaint (incomplete data is kept; the register task asks for the rest)."""
    progress = engine.start_case(intake, actor=actor(username), **deps())
    click.echo(f"Case {progress.reference} started ({progress.case_id}).")
    _print_progress(progress)


@click.command()
@click.option("--role", "roles", multiple=True, help="List the work of this role (repeatable).")
@click.option("--as", "username", envvar="COMPLAINTS_USER", help="List the work of this user's roles.")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def tasks(roles: tuple[str, ...], username: str | None, limit: int, as_json: bool) -> None:
    """List the ready work items of a role or a user, soonest due first."""
    if not roles and not username:
        raise click.UsageError("give --role or --as")
    role_set = frozenset(roles) | (actor(username).roles if username else frozenset())
    lanes = services().policy.lanes_for_roles(role_set)
    items = engine.list_work_items(lanes, uow=services().uow, limit=limit)
    now = clock().now()
    if as_json:
        click.echo(json.dumps([_item_json(i) for i in items], indent=2, ensure_ascii=False))
        return
    if not items:
        click.echo(f"No ready tasks for lanes: {', '.join(lanes) or 'none'}.")
    for item in items:
        click.echo(
            f"{item.reference}  {item.task_id[:8]}  {item.name:<32} {item.lane:<10} due {local(item.due_at)}  "
            f"{countdown(item.due_at, now)}"
        )


def _print_progress(progress: Any) -> None:
    click.echo(f"  status: {progress.status}; stage: {progress.stage}")
    if progress.error:
        click.secho(f"  the process failed: {progress.error}", fg="red")


def _item_json(item: model.WorkItem) -> dict[str, Any]:
    return {
        "reference": item.reference, "case_id": item.case_id, "task_id": item.task_id,
        "bpmn_id": item.bpmn_id, "name": item.name, "lane": item.lane, "form": item.form,
        "due_at": item.due_at.isoformat() if item.due_at else None, "assignee": item.assignee,
    }  # fmt: skip


@click.command()
@click.argument("case")
@click.argument("task")
@click.option("--data", "data_json", help="Form data as a JSON object.")
@click.option("-f", "--field", "pairs", multiple=True, metavar="KEY=VALUE", help="A form field (repeatable).")
@as_option
@domain_errors
def complete(case: str, task: str, data_json: str | None, pairs: tuple[str, ...], username: str) -> None:
    """Complete TASK (its id, id prefix or BPMN id) of CASE (reference or id) with form data."""
    data = _form_data(data_json, pairs)
    view = engine.show_case(case, uow=services().uow)
    item = _resolve_task(view, task)
    progress = engine.complete_task(view.case.id, item.task_id, data, actor=actor(username), **deps())
    click.echo(f"Completed '{item.name}' of {progress.reference}.")
    _print_progress(progress)


def _form_data(data_json: str | None, pairs: tuple[str, ...]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if data_json:
        try:
            data = json.loads(data_json)
        except json.JSONDecodeError as error:
            raise InvalidInput(f"--data is not valid JSON: {error}") from None
        if not isinstance(data, dict):
            raise InvalidInput("--data must be a JSON object")
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise InvalidInput(f"-f {pair!r}: expected KEY=VALUE")
        data[key.strip()] = value
    return data


def _resolve_task(view: model.CaseView, task: str) -> model.WorkItem:
    matches = [i for i in view.work_items if task in (i.task_id, i.bpmn_id)]
    matches = matches or [i for i in view.work_items if len(task) >= 4 and i.task_id.startswith(task)]
    if len(matches) == 1:
        return matches[0]
    ready = ", ".join(f"{i.bpmn_id} ({i.task_id[:8]})" for i in view.work_items) or "none"
    problem = "is ambiguous" if matches else "is not a ready task"
    raise TaskNotFound(f"{task!r} {problem} of {view.case.reference}; ready: {ready}.")


@click.command("fire-timers")
@click.option("--limit", default=1000, show_default=True, help="At most this many cases.")
def fire_timers(limit: int) -> None:
    """Fire every BPMN timer that is due now (or at --now)."""
    the_clock = clock()
    fired = engine.fire_due_timers(limit=limit, **dict(deps(), clock=the_clock))
    click.echo(f"Fired due timers of {fired} case(s) at {local(the_clock.now())} (Asia/Baku).")


@click.command()
@click.argument("case")
@click.option("--personal", is_flag=True, help="Also show the customer's data and free text (needs --as; logged).")
@click.option("--as", "username", envvar="COMPLAINTS_USER", help="Who looks (required with --personal).")
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def show(case: str, personal: bool, as_json: bool, username: str | None = None) -> None:
    """Show a case: stage, deadlines, work items, messages and history (free text hidden without --personal)."""
    if personal and not username:
        raise click.UsageError("--personal needs --as USER: personal data is shown only to roles that need it.")
    who = actor(username) if username else model.Actor("anonymous")
    view = engine.view_case(case, actor=who, place="cli", personal=personal, uow=services().uow, clock=clock())
    if as_json:
        click.echo(json.dumps(_view_json(view), indent=2, ensure_ascii=False, default=str))
        return
    now, c = clock().now(), view.case
    click.echo(f"{c.reference}  [{c.status}]  stage: {c.stage}")
    click.echo(f"  channel {c.channel}, received {local(c.received_at)} (Asia/Baku), process {c.process_key}")
    if c.error:
        click.secho(f"  error: {c.error}", fg="red")
    if view.personal:
        p = view.personal
        click.echo(
            f"  customer: {p.surname} {p.given_name} {p.patronymic}".rstrip()
            + f"; phone {p.phone or '-'}; e-mail {p.email or '-'}"
        )
        click.echo(f"  description: {p.description}")
    click.echo("  deadlines:")
    for d in c.deadlines:
        state = d.state(now)
        shown = countdown(d.due, now) if state in ("pending", "passed") and d.binding else state
        click.echo(f"    {'New date (delay notice)' if d.kind == 'promise' else d.name:<34} {local(d.due)}  {shown}")
    click.echo("  ready tasks:")
    for i in view.work_items:
        due = f"due {local(i.due_at)} {countdown(i.due_at, now)}"
        click.echo(f"    {i.task_id[:8]}  {i.bpmn_id:<24} {i.name} ({i.lane})  {due}")
    click.echo("  messages to the customer:")
    for m in view.outbox:
        tried = f" after {m.attempts} attempt(s)" if m.attempts else ""
        problem = f" - {m.last_error}" if m.last_error and m.status != "sent" else ""
        click.echo(f"    {local(m.created_at)}  {m.message:<22} {m.status}{tried}{problem}")
    click.echo("  history:")
    for e in view.events:
        click.echo(f"    {e.seq:>3} {local(e.at)}  {e.type:<17} by {e.actor:<12} {_event_text(e)[:90]}")


def _event_text(event: model.Event) -> str:
    """An event's data in one line; a sealed value the reader may not see is shown as hidden."""
    data = {k: _readable(v) for k, v in event.data.items() if k not in ("after", "sealed")}
    return json.dumps(data, ensure_ascii=False, default=str)


def _readable(value: Any) -> Any:
    if history.is_masked(value):
        return access.HIDDEN
    return {k: _readable(v) for k, v in value.items()} if isinstance(value, dict) else value


def _view_json(view: model.CaseView) -> dict[str, Any]:
    c = view.case
    return {
        "reference": c.reference, "id": c.id, "status": c.status, "stage": c.stage, "channel": c.channel,
        "received_at": c.received_at.isoformat(), "error": c.error, "revision": c.revision,
        "deadlines": [
            {"bpmn_id": d.bpmn_id, "name": d.name, "kind": d.kind, "due": d.due.isoformat(), "passed": d.passed,
             "settled_at": d.settled_at.isoformat() if d.settled_at else None}
            for d in c.deadlines
        ],  # fmt: skip
        "work_items": [_item_json(i) for i in view.work_items],
        "messages": [
            {"id": m.id, "message": m.message, "status": m.status, "attempts": m.attempts,
             "last_error": m.last_error, "payload": m.payload}
            for m in view.outbox
        ],
        "events": [
            {"seq": e.seq, "type": e.type, "actor": e.actor, "at": e.at.isoformat(), "data": e.data}
            for e in view.events
        ],
        "personal": vars(view.personal) if view.personal else None,
    }  # fmt: skip


@click.command()
@click.argument("reference")
@click.option("--channel", required=True, type=click.Choice(model.CHANNELS + ("in_person",)))
@click.option("--requester", required=True, help="Who asked (e.g. 'the customer').")
@click.option("--told", default="", help="What they were told.")
@as_option
@domain_errors
def status(reference: str, channel: str, requester: str, told: str, username: str) -> None:
    """Record a customer's status request and print the answer to give."""
    answer = engine.record_status_request(
        reference, channel, requester=requester, told=told, actor=actor(username), **deps()
    )
    click.echo(
        f"{answer.reference}: stage {answer.stage} ({answer.status}); next deadline {local(answer.next_deadline)}"
    )
    if answer.new_date:
        click.echo(f"  delayed: {answer.delay_reason}; new date {answer.new_date}")


COMMANDS = (start, tasks, complete, fire_timers, show, status)
