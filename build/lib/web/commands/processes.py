"""Process owners' commands: deploy a BPMN file with its forms, list the deployed versions."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

import engine
from web.commands.common import actor, as_option, deps, domain_errors, local, services


@click.command()
@click.argument("bpmn_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", help="Process key (default: the configured complaint process).")
@click.option(
    "--forms",
    "forms_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder with the .form files (default: forms/ beside the BPMN file).",
)
@click.option("--comment", default="", help="Why this version.")
@as_option
@domain_errors
def deploy(bpmn_file: Path, key: str | None, forms_dir: Path | None, comment: str, username: str) -> None:
    """Deploy a BPMN file (and its forms) as a new process version."""
    forms_dir = forms_dir or bpmn_file.parent / "forms"
    form_files = (
        {f"forms/{p.name}": p.read_bytes() for p in sorted(forms_dir.glob("*.form"))} if forms_dir.is_dir() else {}
    )
    version, new = engine.deploy_process_version(
        key or current_app.config["PROCESS_KEY"], bpmn_file.read_bytes(), form_files,
        actor=actor(username), comment=comment, **deps(),
    )  # fmt: skip
    verb = "Deployed" if new else "Already deployed as"
    click.echo(f"{verb} {version.process_key} version {version.number} ({version.id[:12]}): {version.name}")


@click.command()
def versions() -> None:
    """List the deployed process versions."""
    for v in engine.list_versions(uow=services().uow):
        click.echo(f"{v.process_key} v{v.number}  {v.id[:12]}  {local(v.deployed_at)}  by {v.deployed_by}  {v.name}")


COMMANDS = (deploy, versions)
