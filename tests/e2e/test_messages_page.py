"""Staff see messages that did not go out and act on them: roles, CSRF, retry, "told another way"."""

import pytest

import engine
from persistence.smtp import SmtpMailer, SmtpSettings
from tests.smtp import SmtpServer, free_port

STAFF = ["intake", "officer", "quality", "supervisor", "owner", "auditor"]
OFFICER = engine.model.Actor("officer", frozenset({"officer"}))


@pytest.fixture
def failed(services, case):
    """The case's acknowledgement, failed: the customer gave only a phone number."""
    mailer = SmtpMailer(SmtpSettings("127.0.0.1", free_port(), security="none", timeout=2))
    assert engine.send_due_messages(mailer=mailer, **services.deps()).failed == 1
    return engine.show_case(case.case.id, uow=services.uow).outbox[0]


def test_only_officers_and_supervisors_open_the_messages_page(as_user, app, failed):
    for username in STAFF:
        status = as_user(username).client.get("/messages").status_code
        assert status == (200 if username in ("officer", "supervisor") else 403), username
    response = app.test_client().get("/messages")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_failed_message_is_listed_with_the_reason_and_its_case(as_user, case, failed):
    officer = as_user("officer")
    page = officer.client.get("/messages").text
    assert case.case.reference in page and "no e-mail address (phone only)" in page
    assert f'id="message-{failed.id}"' in page
    assert ">Messages</a>" in officer.client.get("/").text  # in the navigation
    assert ">Messages</a>" not in as_user("intake").client.get("/").text
    case_page = officer.client.get(f"/cases/{case.case.reference}").text
    assert "failed" in case_page and "no e-mail address" in case_page and "Mark handled" in case_page
    assert "Mark handled" not in as_user("intake").client.get(f"/cases/{case.case.reference}").text


def test_actions_need_csrf_and_the_role(as_user, services, failed):
    for path in (f"/messages/{failed.id}/retry", f"/messages/{failed.id}/handled"):
        assert as_user("officer").client.post(path, data={"note": "x"}).status_code == 400
        assert as_user("intake").post(path, {"note": "x"}).status_code == 403
    assert engine.show_case(failed.case_id, uow=services.uow).outbox[0].status == "failed"


def test_retry_sends_the_message_at_the_next_sweep(as_user, services, case, failed):
    supervisor = as_user("supervisor")
    response = supervisor.post(f"/messages/{failed.id}/retry", {"next": "/messages"}, token_from="/messages")
    assert response.status_code == 303 and response.headers["Location"] == "/messages"
    assert engine.show_case(case.case.id, uow=services.uow).outbox[0].status == "pending"
    server = SmtpServer()
    try:
        mailer = SmtpMailer(SmtpSettings("127.0.0.1", server.port, security="none", timeout=5))
        assert engine.send_due_messages(mailer=mailer, **services.deps()).failed == 1  # still no address
    finally:
        server.stop()
    assert supervisor.post(f"/messages/{failed.id}/retry", {}, token_from="/messages").status_code == 303


def test_told_another_way_needs_a_note_and_lands_in_the_history(as_user, services, case, failed):
    officer = as_user("officer")
    url = f"/cases/{case.case.reference}"
    assert officer.post(f"/messages/{failed.id}/handled", {"note": " "}, token_from=url).status_code == 400
    assert engine.show_case(case.case.id, uow=services.uow).outbox[0].status == "failed"
    response = officer.post(f"/messages/{failed.id}/handled", {"note": "Read out by phone", "next": url},
                            token_from=url)  # fmt: skip
    assert response.status_code == 303 and response.headers["Location"] == url
    page = officer.client.get(url).text
    assert "told the customer another way" in page and "Read out by phone" in page
    assert failed.id not in officer.client.get("/messages").text
    again = officer.post(f"/messages/{failed.id}/retry", {}, token_from="/messages")
    assert again.status_code == 409
    assert officer.post("/messages/nope/retry", {}, token_from="/messages").status_code == 404


def test_a_foreign_next_address_is_ignored(as_user, failed):
    response = as_user("officer").post(f"/messages/{failed.id}/retry", {"next": "https://evil.example/"},
                                       token_from="/messages")  # fmt: skip
    assert response.headers["Location"] == "/messages"


def test_the_messages_page_speaks_russian(as_user, failed):
    officer = as_user("officer")
    officer.post("/language", {"lang": "ru", "next": "/"})
    page = officer.client.get("/messages").text
    assert "Сообщения клиентам" in page and "Не отправлены" in page


def test_letters_that_lost_their_reason_are_shown_to_staff_as_not_sent(as_user, services, case):
    for bpmn_id, data in (
        ("Task_Review", {"review_notes": "ok", "clarify": True, "question": "Which store?"}),
        ("Task_Clarify", {"contacted_via": "phone", "customer_answer": "Ganjlik"}),
        ("Task_Review", {"review_notes": "clear now"}),
        ("Task_Analyse", {"findings": "ok", "decision": "upheld", "measures": "New mic"}),
        ("Task_Respond", {"response_mode": "written", "response_text": "A new microphone"}),
    ):
        item = next(i for i in engine.show_case(case.case.id, uow=services.uow).work_items if i.bpmn_id == bpmn_id)
        engine.complete_task(case.case.id, item.task_id, data, actor=OFFICER, **services.deps())
    mailer = SmtpMailer(SmtpSettings("127.0.0.1", free_port(), security="none", timeout=2))
    delivery = engine.send_due_messages(mailer=mailer, **services.deps())
    assert (delivery.withdrawn, delivery.failed) == (2, 1)  # the response fails: the customer has no e-mail
    officer = as_user("officer")
    withdrawn = officer.client.get("/messages").text.split('id="withdrawn"')[1]
    assert withdrawn.count(f">{case.case.reference}</a>") == 2
    assert "the written response to the complaint was written after it" in withdrawn
    page = officer.client.get(f"/cases/{case.case.reference}").text
    assert page.count("not sent: no longer needed") == 2 and "Clarification request" in page
