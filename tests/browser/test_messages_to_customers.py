"""A supervisor finds a message that could not be sent and records that the customer was phoned."""

import engine
from persistence.smtp import SmtpMailer, SmtpSettings
from tests.browser.conftest import screenshot
from tests.smtp import free_port


def test_a_failed_acknowledgement_is_settled_from_the_messages_page(page_as, live):
    services = live.app.extensions["bpm"]
    progress = engine.start_case(
        {"channel": "call_centre", "surname": "Həsənova", "given_name": "Leyla", "phone": "+994 55 123 45 67",
         "description": "The guitar arrived scratched"},
        actor=engine.model.Actor("intake", frozenset({"intake"})), **services.deps(),
    )  # fmt: skip
    mailer = SmtpMailer(SmtpSettings("127.0.0.1", free_port(), security="none", timeout=2))
    assert engine.send_due_messages(mailer=mailer, **services.deps()).failed == 1  # phone only

    page = page_as("supervisor")
    page.goto(f"{live.url}/cases/{progress.reference}")
    assert "no e-mail address" in page.inner_text("table.messages")
    screenshot(page, "messages-case-failed")
    page.click("text=Messages")
    page.wait_for_selector("#failed table")
    assert progress.reference in page.inner_text("#failed")
    assert "no e-mail address" in page.inner_text("#failed")
    screenshot(page, "messages-failed")
    page.click("#failed details.told summary")
    page.fill("#failed input[name=note]", "Read the acknowledgement out by phone")
    page.click("#failed button:has-text('Mark handled')")
    page.wait_for_selector("text=Recorded in the case history")
    assert progress.reference not in page.inner_text("#failed")
    screenshot(page, "messages-after-handled")
    page.goto(f"{live.url}/cases/{progress.reference}")
    assert "told another way" in page.inner_text("table.messages")
    assert "Read the acknowledgement out by phone" in page.inner_text("ol.timeline")
    screenshot(page, "messages-case-handled")
