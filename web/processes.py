"""Process owners: versions and their diagrams, drafts in the modeler, deploy, diff, migration."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import engine
from engine.kernel.errors import InvalidBpmn, InvalidInput
from engine.process_models.drafts import blocking
from web import security
from web.auth import roles_required
from web.deps import deps, services

bp = Blueprint("processes", __name__, url_prefix="/processes")
OWNER = "process_owner"
MAX_UPLOAD = 5 * 1024 * 1024


def _versions(key: str) -> list[engine.model.ProcessVersion]:
    return [v for v in engine.list_versions(uow=services().uow) if v.process_key == key]


def _version(key: str, number: int) -> engine.model.ProcessVersion:
    found = [v for v in _versions(key) if v.number == number]
    if not found:
        abort(404)
    return found[0]


@bp.get("/")
@roles_required(OWNER)
def index():  # type: ignore[no-untyped-def]
    """Every process with its versions (who, when, checksum, running cases) and open drafts."""
    uow = services().uow
    keys = sorted({v.process_key for v in engine.list_versions(uow=uow)} | {services().policy.process_key})
    with uow:
        running = {key: uow.versions.open_cases(key) for key in keys}
    drafts = engine.list_drafts(uow=uow)
    return render_template("processes.html", keys=keys, versions={k: _versions(k) for k in keys}, running=running,
                           drafts=drafts, blocking={d.id: blocking(d) for d in drafts})  # fmt: skip


@bp.get("/<key>/versions/<int:number>")
@roles_required(OWNER)
def version(key: str, number: int):  # type: ignore[no-untyped-def]
    """One deployed version: its facts and its diagram."""
    return render_template("version.html", version=_version(key, number), numbers=[v.number for v in _versions(key)])


@bp.get("/<key>/versions/<int:number>.bpmn")
@roles_required(OWNER)
def download(key: str, number: int):  # type: ignore[no-untyped-def]
    """The version's BPMN file, e.g. to open it in Camunda Modeler."""
    xml = _version(key, number).bpmn_xml
    return Response(xml, mimetype="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{key}-v{number}.bpmn"'})  # fmt: skip


@bp.get("/<key>/diff")
@roles_required(OWNER)
def diff(key: str):  # type: ignore[no-untyped-def]
    """What changed between two versions."""
    try:
        older, newer = int(request.args.get("a", 0)), int(request.args.get("b", 0))
    except ValueError:
        abort(400)
    result = engine.compare_versions(key, older, newer, uow=services().uow)
    return render_template("diff.html", key=key, diff=result, numbers=[v.number for v in _versions(key)])


@bp.post("/<key>/drafts")
@roles_required(OWNER)
def new_draft(key: str):  # type: ignore[no-untyped-def]
    """Start a draft from a deployed version (the latest unless one is chosen)."""
    version_id = request.form.get("version_id") or None
    draft = engine.open_draft(key, version_id=version_id, actor=current_user.actor, uow=services().uow,
                              clock=services().clock)  # fmt: skip
    return redirect(url_for("processes.draft", draft_id=draft.id), 303)


@bp.post("/<key>/upload")
@roles_required(OWNER)
def upload(key: str):  # type: ignore[no-untyped-def]
    """A .bpmn file made elsewhere (e.g. Camunda Modeler) becomes a draft, with its problems listed."""
    file = request.files.get("bpmn")
    if file is None or not file.filename:
        flash(_("Choose a .bpmn file to upload."), "error")
        return redirect(url_for("processes.index"), 303)
    with file.stream:
        data = file.read(MAX_UPLOAD + 1)
    draft = engine.upload_draft(key, data, actor=current_user.actor, comment=file.filename, **deps())
    _flash_problems(draft)
    return redirect(url_for("processes.draft", draft_id=draft.id), 303)


@bp.get("/drafts/<draft_id>")
@security.modeler_page
@roles_required(OWNER)
def draft(draft_id: str):  # type: ignore[no-untyped-def]
    """The modeler with the draft loaded, its forms and the problems of its last validation."""
    found = engine.get_draft(draft_id, uow=services().uow)
    return render_template("draft.html", draft=found, blocking=blocking(found))


@bp.get("/drafts/<draft_id>.bpmn")
@roles_required(OWNER)
def draft_xml(draft_id: str):  # type: ignore[no-untyped-def]
    """The draft's BPMN as saved (the modeler loads it; owners may download it)."""
    found = engine.get_draft(draft_id, uow=services().uow)
    disposition = f'attachment; filename="{found.process_key}-draft.bpmn"'
    return Response(found.bpmn_xml, mimetype="application/xml", headers={"Content-Disposition": disposition})


@bp.post("/drafts/<draft_id>")
@roles_required(OWNER)
def save(draft_id: str):  # type: ignore[no-untyped-def]
    """Save from the modeler (JSON: xml, forms, comment); answers with the problems found."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("xml"), str):
        return jsonify({"error": "InvalidInput", "message": _("Send JSON with the diagram as 'xml'.")}), 400
    forms = body.get("forms")
    if forms is not None and not (isinstance(forms, dict) and all(isinstance(v, str) for v in forms.values())):
        return jsonify({"error": "InvalidInput", "message": _("'forms' maps form paths to JSON text.")}), 400
    saved = engine.save_draft(draft_id, body["xml"].encode(), forms, comment=body.get("comment"),
                              actor=current_user.actor, **deps())  # fmt: skip
    return jsonify({"problems": saved.problems, "deployable": not blocking(saved)})


@bp.post("/drafts/<draft_id>/deploy")
@roles_required(OWNER)
def deploy(draft_id: str):  # type: ignore[no-untyped-def]
    """Deploy a valid draft as the next version."""
    try:
        version = engine.deploy_draft(draft_id, actor=current_user.actor, **deps())
    except InvalidBpmn as error:
        flash(_("Not deployed: %(problem)s", problem=str(error)), "error")
        return redirect(url_for("processes.draft", draft_id=draft_id), 303)
    flash(_("Deployed as version %(n)s. New cases start on it; running cases stay on theirs.", n=version.number),
          "success")  # fmt: skip
    return redirect(url_for("processes.version", key=version.process_key, number=version.number), 303)


@bp.post("/drafts/<draft_id>/discard")
@roles_required(OWNER)
def discard(draft_id: str):  # type: ignore[no-untyped-def]
    """Throw a draft away."""
    engine.discard_draft(draft_id, actor=current_user.actor, uow=services().uow)
    flash(_("Draft discarded."), "info")
    return redirect(url_for("processes.index"), 303)


@bp.route("/<key>/migrate", methods=["GET", "POST"])
@roles_required(OWNER)
def migrate(key: str):  # type: ignore[no-untyped-def]
    """Move running cases to another version: a dry run first, then for real, one case at a time."""
    numbers = [v.number for v in _versions(key)]
    form, results = request.form, None
    if request.method == "POST":
        try:
            results = engine.migrate_cases(
                key, int(form.get("to", 0)), from_number=int(form.get("from", 0)),
                mapping=engine.parse_mapping(form.get("mapping", "")), dry_run=form.get("action") != "migrate",
                actor=current_user.actor, **deps(),
            )  # fmt: skip
        except ValueError:
            abort(400)
        except InvalidInput as error:
            flash(str(error), "error")
    return render_template("migrate.html", key=key, numbers=numbers, form=form, results=results)


def _flash_problems(draft: engine.model.Draft) -> None:
    if blocking(draft):
        flash(_("The file has problems; fix them before deploying (listed below)."), "error")
    else:
        flash(_("The file is valid and can be deployed."), "success")
