"""A complaint from a store's book, typed in ten days after it was written: in Chromium, the officer
finds it overdue on the task list and the case page, and the customer's status page gives the date."""

from datetime import datetime, timedelta, timezone

from tests.browser.conftest import screenshot

BAKU = timezone(timedelta(hours=4))


def test_a_complaint_entered_late_is_overdue_on_every_page_that_shows_it(page_as, live, browser):
    live.clock.set(datetime(2026, 11, 29, 11, tzinfo=BAKU))
    intake = page_as("intake")
    intake.click("text=New complaint")
    intake.select_option("select[name=channel]", "store_book")
    intake.fill("input[name=received_at]", "2026-11-19T15:30")
    intake.fill("input[name=surname]", "Zeynalova")
    intake.fill("input[name=given_name]", "Leyla")
    intake.fill("input[name=phone]", "+994 50 444 55 66")
    intake.fill("textarea[name=description]", "The piano was delivered scratched.")
    intake.click("button:has-text('Record complaint')")
    reference = intake.locator("h1").inner_text().split()[0]

    officer = page_as("officer")
    overdue_tab = officer.locator("nav.tabs a.sla-overdue")
    assert overdue_tab.locator(".count").inner_text() == "1"
    overdue_tab.click()
    row = officer.locator("tr", has_text=reference)
    assert "Initial review" in row.inner_text() and "24.11.2026" in row.inner_text()
    assert row.locator(".badge").inner_text() == "Overdue"
    screenshot(officer, "late-entered-task-list")

    officer.goto(f"{live.url}/cases/{reference}")
    deadline = officer.locator("table.deadlines tr", has_text="Registration and review deadline")
    assert "24.11.2026" in deadline.inner_text() and "Overdue" in deadline.inner_text()
    assert "03.12.2026" in officer.locator("table.deadlines tr", has_text="Resolution deadline").inner_text()

    customer = browser.new_context(locale="en-GB").new_page()
    customer.goto(f"{live.url}/status")
    customer.fill("input[name=reference]", reference)
    customer.fill("input[name=contact]", "050 444 55 66")
    customer.click("button:has-text('Check status')")
    assert customer.locator("#status-deadline").inner_text() == "03.12.2026"
    customer.context.close()
