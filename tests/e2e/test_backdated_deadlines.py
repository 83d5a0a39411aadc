"""A complaint typed in after its receipt: every page shows the policy's deadlines, and they agree."""

import re
from datetime import datetime, timedelta, timezone

import pytest

import engine
from tests.e2e.conftest import english_client
from tests.web_app import csrf_token

BAKU = timezone(timedelta(hours=4))


@pytest.fixture
def late_case(as_user, services, clock):
    """Received Thursday 19 November in a store, entered Sunday 29 November (review due 24.11)."""
    clock.set(datetime(2026, 11, 29, 11, tzinfo=BAKU))
    intake = as_user("intake")
    response = intake.post(
        "/intake",
        {"channel": "store_book", "received_at": "2026-11-19T15:30", "surname": "Zeynalova", "given_name": "Leyla",
         "phone": "+994 50 444 55 66", "description": "The piano was delivered scratched."},
        token_from="/intake",
    )  # fmt: skip
    assert response.status_code == 303, response.text
    return engine.show_case(response.headers["Location"].rsplit("/", 1)[-1], uow=services.uow)


def row_of(page: str, marker: str) -> str:
    rows = [r for r in re.findall(r"<tr[^>]*>.*?</tr>", page, re.S) if marker in r]
    assert rows, f"no row with {marker!r}"
    return rows[0]


def test_the_task_list_puts_the_late_review_in_the_overdue_tab_first(as_user, late_case):
    officer = as_user("officer")
    overdue = officer.client.get("/?sla=overdue").text
    review = row_of(overdue, late_case.case.reference)
    assert "Initial review" in review and "Overdue" in review and "24.11.2026" in review
    tabs = re.search(r'class="sla-overdue"[^>]*>[^<]*<span class="count">(\d+)</span>', overdue)
    assert tabs and int(tabs.group(1)) >= 1
    on_time = officer.client.get("/?sla=on_time").text
    assert late_case.case.reference not in on_time


def test_the_case_page_keeps_the_passed_review_deadline_and_the_open_resolution(as_user, late_case):
    page = as_user("officer").client.get(f"/cases/{late_case.case.reference}").text
    assert "No deadlines" not in page
    review_deadline = row_of(page, "Registration and review deadline")
    assert "24.11.2026" in review_deadline and "Overdue" in review_deadline
    assert "03.12.2026" in row_of(page, "Resolution deadline")
    assert "Overdue" in row_of(page, 'data-task="Task_Review"')


def test_the_status_page_and_the_audit_page_give_the_same_dates(app, as_user, late_case):
    customer = english_client(app)
    token = csrf_token(customer.get("/status").text)
    answer = customer.post("/status", data={"reference": late_case.case.reference, "contact": "0504445566",
                                            "csrf_token": token}).text  # fmt: skip
    assert re.search(r'id="status-deadline">03\.12\.2026<', answer)
    audit = as_user("auditor").client.get(f"/audit/cases/{late_case.case.reference}").text
    review = row_of(audit, "Initial review (3)")
    assert "24.11.2026" in review and "missed by 3 working day(s)" in review  # 25-27 November, so far
    assert "03.12.2026" in row_of(audit, "Resolution (10)")
