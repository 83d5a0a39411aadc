"""A customer, with no account, checks the status of their complaint in a real browser."""

import engine
from tests.browser.conftest import screenshot


def test_a_customer_checks_the_status_with_the_reference_and_phone(browser, live):
    progress = engine.start_case(
        {"channel": "call_centre", "surname": "Quliyeva", "given_name": "Səbinə", "phone": "+994 55 765 43 21",
         "description": "The piano stool arrived broken"},
        actor=engine.model.Actor("intake", frozenset({"intake"})), **live.app.extensions["bpm"].deps(),
    )  # fmt: skip
    context = browser.new_context(locale="en-GB", viewport={"width": 1000, "height": 800})
    page = context.new_page()
    try:
        page.goto(live.url + "/login")
        page.click("text=Complaint status")
        page.fill("input[name=reference]", progress.reference)
        page.fill("input[name=contact]", "055 765 43 21")
        page.click("#status-form button[type=submit]")
        assert page.locator("#status-stage").inner_text() == "Initial review"
        assert page.locator("#status-deadline").inner_text() == "17.03.2026"
        assert "Quliyeva" not in page.content() and "piano" not in page.content()
        screenshot(page, "customer-status")

        page.fill("input[name=reference]", progress.reference)
        page.fill("input[name=contact]", "someone.else@example.az")
        page.click("#status-form button[type=submit]")
        assert page.locator("#status-not-found").is_visible()
        assert page.locator("#status-answer").count() == 0

        page.click("button[lang=ru]")
        page.fill("input[name=reference]", progress.reference)
        page.fill("input[name=contact]", "+994557654321")
        page.click("#status-form button[type=submit]")
        assert page.locator("#status-stage").inner_text() == "Первичное рассмотрение"
        screenshot(page, "customer-status-ru")
    finally:
        context.close()
    requests = [e for e in engine.show_case(progress.reference, uow=live.app.extensions["bpm"].uow).events
                if e.type == "status_requested"]  # fmt: skip
    assert [e.data["channel"] for e in requests] == ["status_page", "status_page"]
