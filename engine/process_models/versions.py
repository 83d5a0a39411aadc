"""Deploying a BPMN file (and its forms) as a new immutable process version."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine import spiff
from engine.kernel import model, ports
from engine.kernel.clock import Clock
from engine.kernel.errors import Forbidden, InvalidBpmn
from engine.kernel.policy import Policy
from engine.notation import bpmn, bpmn_checks, forms


@dataclass(frozen=True)
class Checked:
    """A BPMN upload that passed every check: ready to deploy."""

    definition: bpmn.Definition
    spec: dict[str, Any]
    forms: dict[str, dict[str, Any]]
    checksum: str


def check_upload(bpmn_xml: bytes, form_files: Mapping[str, bytes], policy: Policy) -> Checked:
    """Validate an upload without storing anything; raises InvalidBpmn with every problem."""
    root = bpmn.load(bpmn_xml)
    parsed = {path: _form(path, content) for path, content in form_files.items()}
    definition = bpmn_checks.inspect(root, parsed, policy.lane_roles, spiff.timer_literal_problem)
    spec, _ = spiff.parse(root, definition.process_id)
    used = {path: parsed[path] for path in sorted(definition.form_paths())}
    digest = hashlib.sha256(bpmn_xml)
    digest.update(json.dumps(used, sort_keys=True).encode())
    return Checked(definition, spec, used, digest.hexdigest())


def _form(path: str, content: bytes) -> dict[str, Any]:
    try:
        form = json.loads(content)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidBpmn(f"Form {path} is not valid JSON: {error}.") from None
    problem = forms.check_form(form)
    if problem:
        raise InvalidBpmn(f"Form {path} {problem}.")
    return form


def deploy_process_version(
    process_key: str,
    bpmn_xml: bytes,
    form_files: Mapping[str, bytes],
    *,
    actor: model.Actor,
    uow: ports.UnitOfWork,
    clock: Clock,
    policy: Policy,
    comment: str = "",
) -> tuple[model.ProcessVersion, bool]:
    """Store a checked upload as the next version of `process_key`; new cases start on it.

    Returns the version and whether it is new: deploying identical content again returns
    the version that already has it.
    """
    if not actor.roles & {"process_owner", "system"}:
        raise Forbidden("Only process owners may deploy process versions.")
    with spiff.clock_in_use(clock):
        checked = check_upload(bpmn_xml, form_files, policy)
    version_id = version_id_for(process_key, checked.checksum)
    with uow:
        existing = uow.versions.list(process_key)
        for version in existing:
            if version.id in (version_id, checked.checksum):  # versions deployed before ids had keys
                return version, False
        version = model.ProcessVersion(
            id=version_id, process_key=process_key,
            number=max((v.number for v in existing), default=0) + 1,
            process_id=checked.definition.process_id, name=checked.definition.name,
            bpmn_xml=bpmn_xml, forms=checked.forms, spec=checked.spec,
            user_tasks={t.id: _task_info(t) for t in checked.definition.user_tasks.values()},
            deployed_by=actor.id, deployed_at=clock.now(), comment=comment,
        )  # fmt: skip
        uow.versions.add(version)
        uow.commit()
    return version, True


def version_id_for(process_key: str, checksum: str) -> str:
    """A version's id: sha256 of its process key and content, so the same file can be a version of two processes."""
    return hashlib.sha256(f"{process_key}\n{checksum}".encode()).hexdigest()


def _task_info(task: bpmn.UserTask) -> dict[str, Any]:
    return {"name": task.name, "lane": task.lane, "form": task.form, "main": task.main}


def list_versions(process_key: str | None = None, *, uow: ports.UnitOfWork) -> list[model.ProcessVersion]:
    """Deployed versions, newest first (read only)."""
    with uow:
        return sorted(uow.versions.list(process_key), key=lambda v: (v.process_key, -v.number))
