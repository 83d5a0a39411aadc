"""E-mail into cases: real-looking .eml files (encodings, HTML-only, attachments, replies, bad mail)."""

import mailbox
from datetime import UTC, datetime
from pathlib import Path

import pytest

import engine
from engine.correspondence import mail

MAIL = Path(__file__).resolve().parents[1] / "data" / "mail"
SMALL = mail.Limits(attachment_bytes=16 * 1024)


def eml(name: str) -> bytes:
    return (MAIL / name).read_bytes()


@pytest.fixture
def receive(scenario):
    def receive(name_or_bytes, **options):
        raw = eml(name_or_bytes) if isinstance(name_or_bytes, str) else name_or_bytes
        return engine.receive_email(raw, limits=options.pop("limits", SMALL), **options, **scenario.deps)

    return receive


def personal(scenario, reference):
    return scenario.view(reference).personal


def test_a_multipart_mail_opens_an_email_case_with_sender_subject_and_text(receive, scenario):
    result = receive("multipart_alternative_az.eml")
    assert (result.outcome, result.replayed) == ("opened", False)
    view = scenario.view(result.reference)
    assert view.case.channel == "email" and view.case.stage == "Initial review"
    p = view.personal
    assert (p.email, p.given_name, p.surname) == ("aysel@example.az", "Aysel", "Məmmədova")
    assert p.description.startswith("Şikayət: qulaqlıq işləmir (Gənclik Mall)\n\nSalam,")
    assert "<p>" not in p.description and "Hörmətlə" in p.description
    assert view.inbound[0].outcome == "opened" and view.inbound[0].external_id.startswith("<20260302091240.4711@")


def test_html_only_mail_is_converted_to_readable_text(receive, scenario):
    text = personal(scenario, receive("html_only.eml").reference).description
    assert "hums loudly." in text and "450 AZN" in text and "28 Mall store & paid" in text
    assert "alert" not in text and "color:red" not in text and "<" not in text
    assert "Model: Fender Champion 40\n\nBought: 20.02.2026" in text


@pytest.mark.parametrize(
    ("name", "subject", "text"),
    [
        ("cyrillic_windows1251.eml", "Жалоба: сломался микрофон", "Купил микрофон в магазине на Низами"),
        ("cyrillic_koi8r.eml", "Не пришёл заказ", "Заказ оплачен 25 февраля"),
        ("raw_8bit_subject.eml", "Грубый продавец в магазине", "Продавец нагрубил мне"),
        ("azerbaijani_iso8859_9.eml", "Sifariş gecikir, ödeniş qaytarılmayıb", "Sifarişim 10 gündür gəlmir."),
    ],
)
def test_non_utf8_subjects_and_bodies_are_decoded(receive, scenario, name, subject, text):
    description = personal(scenario, receive(name).reference).description
    assert description.startswith(subject + "\n\n") and text in description


def test_attachments_are_kept_with_the_case(receive, scenario):
    view = scenario.view(receive("with_attachments.eml").reference)
    assert [(a.filename, a.content_type) for a in view.attachments] == [
        ("receipt-2026-02-27.pdf", "application/pdf"),
        ("фото колонки.jpg", "image/jpeg"),
    ]
    pdf = engine.attachment(view.attachments[0].id, uow=scenario.uow)
    assert pdf.content.startswith(b"%PDF-1.4") and pdf.size == len(pdf.content)
    assert view.personal.given_name == "Nərmin"


def test_a_reply_quoting_a_reference_joins_that_case(receive, scenario):
    first = receive("multipart_alternative_az.eml")
    assert first.reference == "MG-2026-000001"
    revision = scenario.view(first.reference).case.revision
    reply = receive("reply_reference_in_subject.eml")
    assert (reply.outcome, reply.reference) == ("attached", first.reference)
    view = scenario.view(first.reference)
    event = view.events[-1]
    assert event.type == "customer_message" and event.data["from_contact_on_file"] is True
    assert event.data["inbound_id"] == reply.inbound_id
    assert "Gənclik Mall" not in str(event.data)  # the history refers to the message, never copies it
    assert [m.outcome for m in view.inbound] == ["opened", "attached"]
    assert "model XM5" in view.inbound[1].body
    assert view.case.revision == revision + 1 and view.case.stage == "Initial review"
    in_body = receive("reply_reference_in_body.eml")  # lower case, only in the quoted text
    assert (in_body.outcome, in_body.reference) == ("attached", first.reference)


def test_a_reference_of_no_case_opens_a_new_one(receive):
    result = receive("reply_reference_in_subject.eml")  # MG-2026-000001 does not exist yet
    assert (result.outcome, result.reference) == ("opened", "MG-2026-000001")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("malformed_multipart.eml", "MIME structure is broken"),
        ("missing_sender.eml", "No sender address"),
        ("oversized_attachment.eml", "Attachment 'fault.mp4' is 49152 bytes; the limit is 16384"),
    ],
)
def test_bad_mail_is_quarantined_with_its_reason_and_raw_bytes(receive, scenario, name, reason):
    result = receive(name)
    assert result.outcome == "quarantined" and result.reference is None and reason in result.reason
    [held] = engine.list_quarantine(uow=scenario.uow)
    assert held.id == result.inbound_id and reason in held.reason and held.raw is None  # listed without raw
    assert engine.inbound_message(held.id, uow=scenario.uow).raw == eml(name)
    with scenario.uow as uow:
        assert uow.cases.next_sequence(2026) == 1  # no case was opened


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff garbage \x89PNG\r\n",
        b"From: \r\n\r\n",
        b"Subject: =?x-unknown?Q?abc?=\r\nFrom: a@b.az\r\n\r\nhi",
    ],
)
def test_garbage_never_crashes_and_is_never_lost(receive, raw):
    result = receive(raw)
    assert result.outcome in ("quarantined", "opened")


def test_a_message_larger_than_the_limit_is_quarantined(receive):
    result = receive("with_attachments.eml", limits=mail.Limits(message_bytes=1000))
    assert result.outcome == "quarantined" and "limit is 1000" in result.reason


def test_the_same_mail_twice_opens_one_case(receive, scenario):
    first, again = receive("html_only.eml"), receive("html_only.eml")
    assert again.replayed and again.inbound_id == first.inbound_id and again.reference == first.reference
    with scenario.uow as uow:
        assert uow.cases.next_sequence(2026) == 2


def test_a_very_long_mail_keeps_its_whole_text_as_a_file(receive, scenario):
    long = "Line of a very long complaint.\n" * 1000
    raw = f"From: a@example.az\r\nSubject: Long\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{long}".encode()
    view = scenario.view(receive(raw).reference)
    assert len(view.personal.description) <= 10_000 and "full-text.txt" in view.personal.description
    [file] = view.attachments
    assert engine.attachment(file.id, uow=scenario.uow).content.decode() == long.strip()


def test_two_different_mails_with_the_same_message_id_are_both_kept(receive):
    first = receive("html_only.eml")
    other = receive(eml("html_only.eml").replace(b"hums</b>", b"crackles</b>"))
    resent = receive(b"Received: from relay2.example.com; Tue, 3 Mar 2026 14:06:00 +0400\r\n" + eml("html_only.eml"))
    assert not other.replayed and other.reference != first.reference
    assert resent.replayed and resent.reference == first.reference  # the same mail by another route


def test_an_mbox_import_uses_the_date_of_each_mail(receive, scenario):
    scenario.clock.set(datetime(2026, 3, 9, 8, 0, tzinfo=UTC))
    box = mailbox.mbox(MAIL / "three_complaints.mbox", create=False)
    try:
        results = [receive(box.get_bytes(key), trust_date=True) for key in box.iterkeys()]
    finally:
        box.close()
    assert [r.outcome for r in results] == ["opened"] * 3
    received = scenario.view(results[1].reference).case.received_at
    assert received == datetime(2026, 3, 7, 6, 2, tzinfo=UTC)  # 10:02 in Baku, from the Date header
