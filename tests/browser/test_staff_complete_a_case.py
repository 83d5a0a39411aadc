"""Staff in a real browser: intake by phone, review with two clarifications, analysis, written answer;
a supervisor sees the case overdue once the clock passes 10 working days."""

from datetime import datetime, timedelta, timezone

from tests.browser.conftest import screenshot

BAKU = timezone(timedelta(hours=4))


def test_a_complaint_taken_by_phone_is_handled_to_a_written_answer(page_as, live):
    intake = page_as("intake")
    intake.click("text=New complaint")
    intake.select_option("select[name=channel]", "call_centre")
    intake.fill("input[name=surname]", "Məmmədov")
    intake.fill("input[name=given_name]", "Orxan")
    intake.fill("input[name=phone]", "+994 50 123 45 67")
    intake.fill("textarea[name=description]", "The amplifier <b>hums</b> loudly.")
    screenshot(intake, "intake")
    intake.click("button:has-text('Record complaint')")
    reference = intake.locator("h1").inner_text().split()[0]
    assert reference.startswith("MG-2026-")
    assert intake.locator(".description").inner_text() == "The amplifier <b>hums</b> loudly."

    officer = page_as("officer")
    row = officer.locator("tr", has_text=reference)
    row.locator("button:has-text('Take')").click()
    officer.locator("tr", has_text=reference).locator("a", has_text="Initial review").click()
    screenshot(officer, "task-review")
    for question in ("Which store did you buy it in?", "Does it hum with another cable?"):
        officer.fill("textarea[name=review_notes]", "Need details")
        officer.check("input[name=clarify]")
        officer.fill("textarea[name=question]", question)
        officer.click("button:has-text('Complete task')")
        officer.locator("tr", has_text=reference).locator("a", has_text="Clarify with customer").click()
        officer.select_option("select[name=contacted_via]", "phone")
        officer.fill("textarea[name=customer_answer]", "Ganjlik Mall; yes it does")
        officer.click("button:has-text('Complete task')")
        officer.locator("tr", has_text=reference).locator("a", has_text="Initial review").click()
    officer.fill("textarea[name=review_notes]", "Clear now")
    assert officer.locator("textarea[name=question]").is_hidden()
    officer.click("button:has-text('Complete task')")

    officer.locator("tr", has_text=reference).locator("a", has_text="Analyse and decide").click()
    officer.click("button:has-text('Complete task')")  # nothing filled: errors beside the fields
    assert officer.locator(".field-error").count() >= 2
    officer.fill("textarea[name=findings]", "Faulty power supply")
    officer.check("input[name=decision][value=upheld]")
    officer.fill("textarea[name=measures]", "Repair free of charge")
    officer.click("button:has-text('Complete task')")

    officer.locator("tr", has_text=reference).locator("a", has_text="Respond to customer").click()
    officer.check("input[name=response_mode][value=written]")
    officer.fill("textarea[name=response_text]", "We will repair your amplifier free of charge.")
    officer.click("button:has-text('Complete task')")
    officer.goto(f"{live.url}/cases/{reference}")
    assert "Closed" in officer.locator("h1").inner_text()
    assert officer.locator("table.messages td", has_text="Written response").count() == 1
    officer.wait_for_selector("#diagram[data-ready=true]")
    screenshot(officer, "case-closed")


def test_a_supervisor_sees_an_overdue_case_after_10_working_days(page_as, live):
    intake = page_as("intake")
    intake.click("text=New complaint")
    intake.select_option("select[name=channel]", "store_book")
    intake.fill("input[name=surname]", "Əliyeva")
    intake.fill("input[name=given_name]", "Nərmin")
    intake.fill("input[name=email]", "nermin@example.az")
    intake.fill("textarea[name=description]", "Wrong price at the till")
    intake.click("button:has-text('Record complaint')")
    reference = intake.locator("h1").inner_text().split()[0]

    live.clock.set(datetime(2026, 3, 18, 9, 0, tzinfo=BAKU))  # 10 working days after 2 March
    from engine import fire_due_timers

    fire_due_timers(**live.app.extensions["bpm"].deps())
    supervisor = page_as("supervisor")
    supervisor.click("a:has-text('Overdue')")
    row = supervisor.locator("tr", has_text=reference)
    assert row.count() >= 1
    assert "Escalate overdue complaint" in row.first.inner_text() or "Chase overdue review" in row.first.inner_text()
    screenshot(supervisor, "supervisor-overdue")
    supervisor.goto(f"{live.url}/cases/{reference}")
    assert supervisor.locator(".badge.sla-overdue").count() >= 1
    supervisor.wait_for_selector("#diagram[data-ready=true]")
    screenshot(supervisor, "case-overdue")
