"""Auditors' and data-protection commands: verify, chain-heads, replay-draft, history, sla-report, erase."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

import engine
from web.commands.common import actor, clock, deps, domain_errors, services
from web.exports import history_csv, history_json, report_csv


@click.command()
@click.argument("case", required=False)
@click.option("--batch", default=200, show_default=True, help="Cases read per transaction.")
@click.option("--heads", "heads_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A signed `chain-heads` export: every history must still extend its head.")  # fmt: skip
@domain_errors
def verify(case: str | None, batch: int, heads_file: Path | None) -> None:
    """Check the hash chain and replay CASE (or every case); report the first broken link or divergence."""
    heads_ok = _check_heads(heads_file) if heads_file else True
    if case:
        check = engine.verify_case(case, uow=services().uow, policy=services().policy)
        _print_check(check, verbose=True)
        raise SystemExit(0 if check.ok and heads_ok else 1)
    total, bad, unkeyed, seconds = _verify_all(batch)
    for check in bad:
        _print_check(check)
    rate = total / seconds if seconds else 0.0
    click.echo(f"{total} case(s) verified in {seconds:.1f} s ({rate:.0f} cases/s): "
               f"{total - len(bad)} identical, {len(bad)} with a problem.")  # fmt: skip
    if unkeyed:
        click.echo(
            f"{unkeyed} case(s) end in events recorded without a history key (before keys were "
            "configured): only a signed chain-heads export (`verify --heads`) shows they were not rewritten."
        )
    raise SystemExit(1 if bad or not heads_ok else 0)


def _verify_all(batch: int) -> tuple[int, list[Any], int, float]:
    """Every case verified with a progress bar: how many, those with a problem, how many unkeyed, seconds."""
    total, bad, unkeyed, started = engine.count_cases(uow=services().uow), [], 0, time.perf_counter()
    with click.progressbar(length=total, label="Verifying cases", file=sys.stderr) as bar:
        for check in engine.verify_cases(uow=services().uow, policy=services().policy, batch=batch):
            bar.update(1)
            unkeyed += check.key_id is None
            if not check.ok:
                bad.append(check)
    return total, bad, unkeyed, time.perf_counter() - started


def _print_check(check: Any, verbose: bool = False) -> None:
    if check.ok:
        if verbose:
            signed = f"signed with history key '{check.key_id}'" if check.key_id else "not signed with a history key"
            click.echo(f"{check.reference}: {check.events} events, chain whole, replay identical ({signed}).")
        return
    if check.broken:
        click.secho(f"{check.reference}: chain broken at event {check.broken.seq}: {check.broken.reason}", fg="red")
    if check.divergence:
        where = f"event {check.divergence.seq}" if check.divergence.seq else "the end"
        click.secho(f"{check.reference}: replay diverges at {where}: {check.divergence.what}", fg="red")


def _check_heads(path: Path) -> bool:
    try:
        export = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError):
        raise click.BadParameter("not a JSON file", param_hint="--heads") from None
    result = engine.check_chain_heads(export, uow=services().uow)
    for reference, what in result.problems:
        click.secho(f"{reference}: since the export of {result.generated_at}: {what}", fg="red")
    click.echo(
        f"Chain heads of {result.generated_at} (signed with key '{result.key_id}'): {result.exported} "
        f"case(s) exported, {len(result.problems)} no longer extend their head; {result.newer} newer case(s)."
    )
    return result.ok


@click.command("chain-heads")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the signed export (keep it outside the database's reach).")  # fmt: skip
@domain_errors
def chain_heads(out: Path) -> None:
    """Export every case's chain head (events, last hash), signed with the history key, for auditors."""
    export = engine.export_chain_heads(uow=services().uow, clock=clock())
    out.write_text(json.dumps(export, indent=1, ensure_ascii=False) + "\n")
    broken = [c["reference"] for c in export["cases"] if not c["chain_whole"]]
    click.echo(f"{len(export['cases'])} chain head(s) of {export['generated_at']} written to {out}, "
               f"signed with history key '{export['signature']['key_id']}'.")  # fmt: skip
    if broken:
        click.secho(f"{len(broken)} of them have a broken chain already: {', '.join(broken[:20])}", fg="red")


@click.command("replay-draft")
@click.argument("bpmn_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--version", "version", help="A deployed version (number or id) instead of a file.")
@click.option("--forms", "forms_dir", type=click.Path(file_okay=False, path_type=Path), help="Default: forms/ beside.")
@click.option("--case", "cases", multiple=True, help="Only this case (repeatable).")
@click.option("--sample", type=int, help="Only this many cases, spread evenly.")
@domain_errors
def replay_draft(bpmn_file: Path | None, version: str | None, forms_dir: Path | None, cases: tuple[str, ...],
                 sample: int | None) -> None:  # fmt: skip
    """Replay recorded cases against a draft BPMN file (or another version); report where each diverges."""
    if bool(bpmn_file) == bool(version):
        raise click.UsageError("give a BPMN file or --version")
    draft: str | bytes
    forms: dict[str, bytes] = {}
    if bpmn_file:
        folder = forms_dir or bpmn_file.parent / "forms"
        forms = {f"forms/{p.name}": p.read_bytes() for p in sorted(folder.glob("*.form"))} if folder.is_dir() else {}
        draft = bpmn_file.read_bytes()
    else:
        draft = _version_id(str(version))
    run = engine.replay_against_draft(draft, forms, cases=list(cases) or None, sample=sample, **deps())
    for report in run.reports:
        _print_draft_report(report)
    same, failed = len(run.reports) - len(run.diverging) - len(run.not_comparable), len(run.not_comparable)
    click.echo(f"{len(run.reports)} case(s) replayed on the {run.draft}: {len(run.diverging)} diverge, {same} same, "
               f"{failed} own replay fails.")  # fmt: skip
    if failed:
        click.echo("A case whose own replay fails is not compared with the draft: `complaints verify CASE` says why.")
    if run.migrated:
        click.echo(f"{len(run.migrated)} migrated case(s) compared from their last migration on "
                   "(they ran on other versions before).")  # fmt: skip


def _print_draft_report(report: Any) -> None:
    if report.own_failure:
        where = f"event {report.own_failure.seq}" if report.own_failure.seq else "the end"
        click.secho(f"{report.reference}: own replay fails at {where}: {report.own_failure.what}", fg="red")
        return
    if report.same:
        return
    since = f" (migrated: compared from event {report.compared_from})" if report.compared_from else ""
    click.echo(f"{report.reference}:{since}")
    for d in report.differences:
        click.echo(f"  event {d.seq:>3}  {d.kind:<12} {d.what}")


def _version_id(text: str) -> str:
    for v in engine.list_versions(uow=services().uow):
        if text in (v.id, str(v.number), f"v{v.number}") or (len(text) >= 8 and v.id.startswith(text)):
            return v.id
    raise click.BadParameter(f"no deployed version {text!r}", param_hint="--version")


@click.command()
@click.argument("case")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@domain_errors
def history(case: str, fmt: str) -> None:
    """Export a case's history (events, SLA checkpoints, chain and replay check) as JSON or CSV."""
    record = engine.case_history(case, **deps())
    click.echo(history_csv(record) if fmt == "csv" else json.dumps(history_json(record), indent=2, ensure_ascii=False))


@click.command("sla-report")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day of receipt.")
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day of receipt.")
@click.option("--csv", "as_csv", is_flag=True, help="Rows per stage and channel as CSV.")
@domain_errors
def sla_report(start: Any, end: Any, as_csv: bool) -> None:
    """The share of cases registered/reviewed within 3 and resolved within 10 working days, per channel."""
    report = engine.sla_report(start.date(), end.date(), **deps())
    if as_csv:
        click.echo(report_csv(report), nl=False)
        return
    click.echo(f"{report.cases} case(s) received {report.start} - {report.end} (Asia/Baku)")
    for row in report.totals + [r for r in report.rows if r.met + r.missed + r.pending]:
        share = "-" if row.share is None else f"{row.share:.0%}"
        click.echo(f"  {row.stage:<13} {row.channel:<12} met {row.met:>4}  missed {row.missed:>4}  "
                   f"pending {row.pending:>4}  within SLA {share:>5}")  # fmt: skip
    for reason, count in report.reasons():
        click.echo(f"  delay reason ({count}x): {reason}")


@click.command()
@click.argument("case")
@click.option("--reason", required=True, help="Why (e.g. the customer's request of 2026-05-01).")
@click.option("--as", "username", required=True, envvar="COMPLAINTS_USER", help="A data-protection officer.")
@domain_errors
def erase(case: str, reason: str, username: str) -> None:
    """Erase a closed case's personal data: a tombstone, free text redacted, the chain kept whole."""
    erasure = engine.erase_personal_data(case, reason, actor=actor(username), **deps())
    click.echo(
        f"Personal data of {erasure.reference} erased: {erasure.fields} free-text value(s) redacted in the "
        f"history, {erasure.messages} message(s) cleaned. The erasure is recorded in the case history."
    )


COMMANDS = (verify, chain_heads, replay_draft, history, sla_report, erase)
