"""Mail that could not become a case (the quarantine), and files that came with customers' messages."""

from __future__ import annotations

import io

from flask import Blueprint, Response, abort, render_template, send_file

import engine
from engine.kernel import access
from web.auth import roles_required
from web.deps import services

bp = Blueprint("inbox", __name__)
QUARANTINE_ROLES = tuple(sorted(access.QUARANTINE))  # they take complaints in, and they see personal data


@bp.get("/mail/quarantine")
@roles_required(*QUARANTINE_ROLES)
def quarantine():  # type: ignore[no-untyped-def]
    """Mail held back (no sender, broken, too large), newest first, with the reason."""
    return render_template("quarantine.html", messages=engine.list_quarantine(uow=services().uow))


@bp.get("/mail/quarantine/<inbound_id>.eml")
@roles_required(*QUARANTINE_ROLES)
def quarantined_mail(inbound_id: str):  # type: ignore[no-untyped-def]
    """The held message as it arrived, to open in a mail program."""
    message = engine.inbound_message(inbound_id, uow=services().uow)
    if message.outcome != "quarantined" or message.raw is None:
        abort(404)
    return _download(message.raw, f"quarantined-{message.id[:8]}.eml", "message/rfc822")


@bp.get("/cases/<reference>/attachments/<attachment_id>")
@roles_required(*access.PERSONAL_DATA)
def attachment(reference: str, attachment_id: str):  # type: ignore[no-untyped-def]
    """A file the customer sent with a message on this case (always downloaded, never rendered)."""
    case = engine.show_case(reference, uow=services().uow).case
    file = engine.attachment(attachment_id, uow=services().uow)
    if file.case_id != case.id:
        abort(404)
    return _download(file.content, file.filename, "application/octet-stream")


def _download(content: bytes, name: str, mimetype: str) -> Response:
    response = send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
