"""Complaints by e-mail, end to end: a real SMTP conversation, the import command, and what staff see."""

import smtplib
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

import bootstrap
import engine
from web.commands import make_cli
from web.commands.mail import make_listener
from web.config import Config

MAIL = Path(__file__).resolve().parents[1] / "data" / "mail"
SMALL_FILES = {"MAIL_MAX_ATTACHMENT_BYTES": 16 * 1024}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app):
    """The app's SMTP listener on a free port, and a function that sends it raw mail."""
    app.config.update(SMALL_FILES, MAIL_MAX_BYTES=256 * 1024)
    listener = make_listener(app, "127.0.0.1", free_port())
    listener.start()

    def send(raw: bytes, sender: str = "customer@example.az") -> None:
        with smtplib.SMTP(listener.hostname, listener.port, timeout=10) as client:
            client.sendmail(sender, ["complaints@musicgallery.az"], raw)

    yield send
    listener.stop()


def test_mail_sent_over_smtp_becomes_a_case_and_a_reply_joins_it(smtp, services):
    smtp((MAIL / "multipart_alternative_az.eml").read_bytes())
    view = engine.show_case("MG-2026-000001", uow=services.uow)
    assert view.case.channel == "email" and view.personal.email == "aysel@example.az"
    smtp((MAIL / "reply_reference_in_subject.eml").read_bytes())
    view = engine.show_case("MG-2026-000001", uow=services.uow)
    assert view.events[-1].type == "customer_message" and len(view.inbound) == 2


def test_bad_mail_over_smtp_is_accepted_into_quarantine(smtp, services):
    for name in ("malformed_multipart.eml", "missing_sender.eml", "oversized_attachment.eml"):
        smtp((MAIL / name).read_bytes())  # 250: stored, so the sender does not retry for ever
    assert len(engine.list_quarantine(uow=services.uow)) == 3


def test_mail_over_the_size_limit_is_refused_in_the_smtp_conversation(smtp, services):
    with pytest.raises(smtplib.SMTPException) as refused:
        smtp(b"From: a@example.az\r\nSubject: big\r\n\r\n" + b"x" * 300 * 1024)
    assert "552" in str(refused.value) or "too" in str(refused.value).lower()  # the sender keeps it
    assert engine.list_quarantine(uow=services.uow) == []


def test_when_mail_cannot_be_stored_the_sender_is_told_to_retry(tmp_path, clock):
    settings = dict(Config().as_dict(), DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}", TESTING=True)
    app = bootstrap.create_app(settings, clock=clock)  # no process deployed yet: nothing can be filed
    app.extensions["bpm"].init_db()
    listener = make_listener(app, "127.0.0.1", free_port())
    listener.start()
    try:
        with smtplib.SMTP(listener.hostname, listener.port, timeout=10) as client:
            with pytest.raises(smtplib.SMTPDataError) as deferred:
                client.sendmail("a@example.az", ["complaints@musicgallery.az"], (MAIL / "html_only.eml").read_bytes())
        assert deferred.value.smtp_code == 451
    finally:
        listener.stop()


@pytest.fixture
def cli(tmp_path):
    settings = dict(DATABASE_URL=f"sqlite:///{tmp_path / 'c.sqlite3'}", TESTING=True, DEMO_MODE=True, **SMALL_FILES)
    group, runner = make_cli(lambda: bootstrap.create_app(dict(Config().as_dict(), **settings))), CliRunner()

    def invoke(*args):
        result = runner.invoke(group, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    invoke("setup")
    return invoke


def test_import_mail_files_a_folder_of_eml_and_mbox_and_is_idempotent(cli):
    out = cli("--now", "2026-03-09T10:00+04:00", "import-mail", MAIL)
    assert "Importing 15 message(s)" in out
    assert "10 new case(s), 2 repl(ies) attached to cases, 3 quarantined, 0 imported before." in out
    assert "missing_sender.eml: No sender address" in out and "fault.mp4" in out
    twice = (MAIL / "html_only.eml", MAIL / "three_complaints.mbox")
    again = cli("--now", "2026-03-09T11:00+04:00", "import-mail", *twice)
    assert "0 new case(s), 0 repl(ies) attached to cases, 0 quarantined, 4 imported before." in again
    shown = cli("show", "MG-2026-000004", "--json")
    assert '"channel": "email"' in shown and '"received_at": "2026-03-03T10:05:00+00:00"' in shown  # its Date


def test_staff_see_quarantined_mail_and_can_download_it(as_user, services, app):
    app.config.update(SMALL_FILES)
    raw = (MAIL / "oversized_attachment.eml").read_bytes()
    limits = engine.correspondence.mail.Limits(attachment_bytes=16 * 1024)
    held = engine.receive_email(raw, limits=limits, **services.deps())
    page = as_user("intake").client.get("/mail/quarantine").text
    assert "Video of the fault" in page and "fault.mp4" in page and "the limit is 16384" in page
    download = as_user("supervisor").client.get(f"/mail/quarantine/{held.inbound_id}.eml")
    assert download.status_code == 200 and download.data == raw
    assert "attachment" in download.headers["Content-Disposition"]
    for username in ("officer", "quality", "auditor"):
        assert as_user(username).client.get("/mail/quarantine").status_code == 403
    assert app.test_client().get("/mail/quarantine").status_code == 302  # anonymous: sign in first


def test_the_case_page_lists_attachments_and_the_customers_reply(as_user, services):
    opened = engine.receive_email((MAIL / "with_attachments.eml").read_bytes(), **services.deps())
    reply = (MAIL / "reply_reference_in_body.eml").read_bytes().replace(b"mg-2026-000001", opened.reference.encode())
    engine.receive_email(reply, **services.deps())
    officer = as_user("officer")
    page = officer.client.get(f"/cases/{opened.reference}").text
    assert "фото колонки.jpg" in page and "receipt-2026-02-27.pdf" in page
    assert "The customer wrote (E-mail)" in page and "SN 4471-22" in page
    view = engine.show_case(opened.reference, uow=services.uow)
    pdf = next(a for a in view.attachments if a.filename.endswith(".pdf"))
    url = f"/cases/{opened.reference}/attachments/{pdf.id}"
    response = officer.client.get(url)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.mimetype == "application/octet-stream" and response.headers["X-Content-Type-Options"] == "nosniff"
    quality = as_user("quality")
    assert quality.client.get(url).status_code == 403
    assert "SN 4471-22" not in quality.client.get(f"/cases/{opened.reference}").text  # personal data
    other = engine.start_case(
        {"channel": "call_centre", "description": "x"}, actor=engine.model.Actor("intake", frozenset({"intake"})),
        **services.deps(),
    )  # fmt: skip
    assert officer.client.get(f"/cases/{other.reference}/attachments/{pdf.id}").status_code == 404


def test_import_mail_without_a_deployed_process_says_so_and_exits_1(tmp_path):
    settings = dict(Config().as_dict(), DATABASE_URL=f"sqlite:///{tmp_path / 'bare.sqlite3'}", TESTING=True)
    group = make_cli(lambda: bootstrap.create_app(settings))
    runner = CliRunner()
    assert runner.invoke(group, ["init-db"]).exit_code == 0
    result = runner.invoke(group, ["import-mail", str(MAIL / "html_only.eml")])
    assert result.exit_code == 1 and "No version of process 'complaint_handling' is deployed yet." in result.output
