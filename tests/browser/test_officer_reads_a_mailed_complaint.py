"""An officer opens a complaint that came by e-mail: the text, the files, and the customer's reply."""

from pathlib import Path

import engine
from tests.browser.conftest import screenshot

MAIL = Path(__file__).resolve().parents[1] / "data" / "mail"


def test_an_officer_sees_the_mail_its_files_and_the_reply(page_as, live):
    deps = live.app.extensions["bpm"].deps()
    opened = engine.receive_email((MAIL / "with_attachments.eml").read_bytes(), **deps)
    reply = (MAIL / "reply_reference_in_body.eml").read_bytes().replace(b"mg-2026-000001", opened.reference.encode())
    engine.receive_email(reply, **deps)  # from another address than the one on file
    officer = page_as("officer")
    officer.goto(f"{live.url}/cases/{opened.reference}")
    assert "crackles at any volume" in officer.locator(".description").first.inner_text()
    files = officer.locator("ul.attachments a")
    assert files.all_inner_texts() == ["receipt-2026-02-27.pdf", "фото колонки.jpg"]
    with officer.expect_download() as download:
        files.first.click()
    assert download.value.suggested_filename == "receipt-2026-02-27.pdf"
    entry = officer.locator(".timeline li", has_text="The customer wrote")
    assert "from another address" in entry.inner_text()
    entry.locator("summary").click()
    assert "SN 4471-22" in entry.inner_text()
    screenshot(officer, "case-from-email")
