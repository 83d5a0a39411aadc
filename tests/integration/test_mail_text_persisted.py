"""E-mail is taken whatever it holds: NUL bytes and broken characters in its subject, sender name or text
open a case (shown as U+FFFD) on SQLite and on PostgreSQL, which refuses NUL in text; never an error."""

import engine


def mail(headers, body=b"My order is late."):
    return b"From: " + headers + b"\r\nMessage-ID: <" + str(hash(headers + body)).encode() + b"@x>\r\n\r\n" + body


def test_mail_with_nul_and_broken_bytes_opens_a_case_with_readable_text(scenario):
    received = [
        engine.receive_email(raw, **scenario.deps)
        for raw in (
            mail(b"Aysel <aysel@example.az>\r\nSubject: Late\x00 order", b"Still\x00 waiting"),
            mail(b"=?utf-8?q?Ays=00el?= Quliyeva <aysel@example.az>\r\nSubject: =?utf-8?q?a=00b?="),
            mail(b"aysel@example.az\r\nSubject: \xff\xfe\x00", b"\xff\xfe body"),
            mail(b"aysel@example.az\r\nContent-Type: text/html\r\nSubject: html", b"<p>a\x00b &#0; &#xD800;</p>"),
        )
    ]
    assert [r.outcome for r in received] == ["opened"] * 4
    first = scenario.view(received[0].reference).personal
    assert first.description == "Late\ufffd order\n\nStill\ufffd waiting"
    assert scenario.view(received[1].reference).personal.given_name == "Ays\ufffdel"
    reply = engine.receive_email(mail(b"aysel@example.az\r\nSubject: " + received[0].reference.encode(), b"x\x00"),
                                 **scenario.deps)  # fmt: skip
    assert reply.outcome == "attached"
    held = engine.receive_email(mail(b"nobody\r\nSubject: s\x00", b"b\x00"), **scenario.deps)
    assert held.outcome == "quarantined"


def test_an_imported_mail_dated_before_the_service_existed_is_received_now(scenario):
    raw = mail(b"aysel@example.az\r\nDate: Mon, 01 Jan 1990 10:00:00 +0000\r\nSubject: Old")
    result = engine.receive_email(raw, trust_date=True, **scenario.deps)
    assert result.outcome == "opened"
    assert scenario.view(result.reference).case.received_at == scenario.clock.now()
