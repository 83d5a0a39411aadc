"""Process owners' drafts: open a version, edit it, validate, deploy. Nothing typed is lost.

A draft keeps the BPMN and forms exactly as saved, with the problems its last validation found;
only a draft without problems can be deployed (then it becomes a version and the draft goes).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from engine import spiff
from engine.kernel import model, ports
from engine.kernel.clock import Clock
from engine.kernel.errors import Forbidden, InvalidBpmn, VersionNotFound
from engine.kernel.ids import new_id
from engine.kernel.policy import Policy
from engine.notation import bpmn
from engine.process_models import versions

WARNING = "Warning: "


def _require_owner(actor: model.Actor) -> None:
    if not actor.roles & {"process_owner", "system"}:
        raise Forbidden("Only process owners may edit and deploy the process.")


def open_draft(
    process_key: str, *, version_id: str | None = None, actor: model.Actor, uow: ports.UnitOfWork, clock: Clock
) -> model.Draft:
    """A new draft from a deployed version (the latest unless `version_id` is given)."""
    _require_owner(actor)
    now = clock.now()
    with uow:
        version = uow.versions.get(version_id) if version_id else uow.versions.latest(process_key)
        if version is None or version.process_key != process_key:
            raise VersionNotFound(f"No version of process '{process_key}' to start a draft from.")
        draft = model.Draft(
            new_id(), process_key, version.bpmn_xml, _forms_text(version), actor.id, now, now, version.id
        )
        uow.drafts.add(draft)
        uow.commit()
    return draft


def upload_draft(
    process_key: str,
    bpmn_xml: bytes,
    forms: Mapping[str, str] | None = None,
    *,
    actor: model.Actor,
    uow: ports.UnitOfWork,
    clock: Clock,
    policy: Policy,
    comment: str = "",
) -> model.Draft:
    """A new draft from an uploaded file (e.g. made in Camunda Modeler); forms default to the latest version's."""
    _require_owner(actor)
    _refuse_huge(bpmn_xml)
    now = clock.now()
    with uow:
        if forms is None:
            forms = _forms_text(uow.versions.latest(process_key))
        draft = model.Draft(new_id(), process_key, bpmn_xml, dict(forms), actor.id, now, now, None, comment)
        draft.problems = _problems(draft, policy, clock)
        uow.drafts.add(draft)
        uow.commit()
    return draft


def save_draft(
    draft_id: str,
    bpmn_xml: bytes,
    forms: Mapping[str, str] | None = None,
    *,
    actor: model.Actor,
    uow: ports.UnitOfWork,
    clock: Clock,
    policy: Policy,
    comment: str | None = None,
) -> model.Draft:
    """Store the edited BPMN (and forms) as typed and validate it; returns the draft with its problems."""
    _require_owner(actor)
    _refuse_huge(bpmn_xml)
    with uow:
        draft = uow.drafts.get(draft_id)
        draft.bpmn_xml, draft.updated_at = bpmn_xml, clock.now()
        if forms is not None:
            draft.forms = dict(forms)
        if comment is not None:
            draft.comment = comment
        draft.problems = _problems(draft, policy, clock)
        uow.drafts.save(draft)
        uow.commit()
    return draft


def deploy_draft(
    draft_id: str, *, actor: model.Actor, uow: ports.UnitOfWork, clock: Clock, policy: Policy
) -> model.ProcessVersion:
    """Deploy a valid draft as the next version; new cases start on it, running cases stay on theirs."""
    _require_owner(actor)
    with uow:
        draft = uow.drafts.get(draft_id)
    version, _ = versions.deploy_process_version(
        draft.process_key, draft.bpmn_xml, _form_bytes(draft), actor=actor, uow=uow, clock=clock, policy=policy,
        comment=draft.comment,
    )  # fmt: skip
    with uow:
        uow.drafts.delete(draft_id)
        uow.commit()
    return version


def discard_draft(draft_id: str, *, actor: model.Actor, uow: ports.UnitOfWork) -> None:
    """Throw a draft away."""
    _require_owner(actor)
    with uow:
        uow.drafts.get(draft_id)
        uow.drafts.delete(draft_id)
        uow.commit()


def get_draft(draft_id: str, *, uow: ports.UnitOfWork) -> model.Draft:
    with uow:
        return uow.drafts.get(draft_id)


def list_drafts(process_key: str | None = None, *, uow: ports.UnitOfWork) -> list[model.Draft]:
    with uow:
        return uow.drafts.list(process_key)


def blocking(draft: model.Draft) -> list[str]:
    """The problems that stop a deploy (warnings do not)."""
    return [p for p in draft.problems if not p.startswith(WARNING)]


def _problems(draft: model.Draft, policy: Policy, clock: Clock) -> list[str]:
    try:
        with spiff.clock_in_use(clock):
            checked = versions.check_upload(draft.bpmn_xml, _form_bytes(draft), policy)
    except InvalidBpmn as error:
        return list(error.problems)
    return [WARNING + w for w in checked.definition.warnings]


def _forms_text(version: model.ProcessVersion | None) -> dict[str, str]:
    """A version's forms as the editable JSON text a draft keeps."""
    forms = version.forms if version else {}
    return {path: json.dumps(form, indent=2, ensure_ascii=False) for path, form in forms.items()}


def _form_bytes(draft: model.Draft) -> dict[str, bytes]:
    return {path: text.encode() for path, text in draft.forms.items()}


def _refuse_huge(bpmn_xml: bytes) -> None:
    if len(bpmn_xml) > bpmn.MAX_BYTES:
        raise InvalidBpmn(f"Rejected: upload size limit ({len(bpmn_xml):,} bytes; at most {bpmn.MAX_BYTES:,}).")
