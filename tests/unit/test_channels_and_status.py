"""Integration intake (idempotent by message id) and the customer's own status check."""

from datetime import datetime, timedelta, timezone

import pytest

import engine
from engine.casework import status
from engine.kernel import model
from engine.kernel.errors import InvalidInput

BAKU = timezone(timedelta(hours=4))
CHAT = {"surname": "Həsənov", "given_name": "Murad", "phone": "+994 70 123 45 67", "description": "Rude chat agent"}


def test_a_chat_message_opens_a_case_and_its_replay_returns_the_same_case(scenario):
    first = engine.receive_intake_message("live_chat", "chat-771", CHAT, **scenario.deps)
    again = engine.receive_intake_message("live_chat", "chat-771", dict(CHAT, description="edited"), **scenario.deps)
    assert (first.outcome, first.replayed, again.replayed) == ("opened", False, True)
    assert again.reference == first.reference and again.inbound_id == first.inbound_id
    view = scenario.view(first.reference)
    assert view.case.channel == "live_chat" and view.personal.description == "Rude chat agent"
    other = engine.receive_intake_message("social", "chat-771", CHAT, **scenario.deps)  # ids are per channel
    assert other.reference != first.reference


def test_bad_integration_data_stores_nothing(scenario):
    with pytest.raises(InvalidInput) as error:
        engine.receive_intake_message("live_chat", "m-1", dict(CHAT, email="not-mail"), **scenario.deps)
    assert "email" in error.value.errors
    with pytest.raises(InvalidInput):
        engine.receive_intake_message("call_centre", "m-1", CHAT, **scenario.deps)
    with scenario.uow as uow:
        assert uow.inbound.by_external_id("live_chat", "m-1") is None and uow.cases.next_sequence(2026) == 1


def test_the_customer_sees_the_status_with_the_phone_or_email_given_at_intake(scenario):
    case = scenario.start(email="Aysel@Example.az")
    for contact in ("+994 50 555 12 34", "0505551234", "994505551234", "aysel@example.AZ"):
        answer = engine.check_status(case.reference.lower(), contact, **scenario.deps)
        assert answer is not None and answer.stage == "Initial review", contact
    events = [e for e in scenario.view(case.case_id).events if e.type == "status_requested"]
    assert len(events) == 4 and {e.data["channel"] for e in events} == {"status_page"}
    assert {e.data["requester"] for e in events} == {"customer (phone)", "customer (email)"}
    recorded = str([e.data for e in events])  # the contact entered is not copied to history
    assert "505551234" not in recorded and "aysel@" not in recorded.lower()


def test_a_wrong_pair_gets_nothing_and_records_nothing(scenario):
    case = scenario.start()
    revision = scenario.view(case.case_id).case.revision
    for reference, contact in [
        (case.reference, "+994 50 555 12 35"), (case.reference, ""), (case.reference, "someone@example.az"),
        ("MG-2026-999999", "+994 50 555 12 34"), ("", ""), ("x" * 5000, "y" * 5000),
    ]:  # fmt: skip
        assert engine.check_status(reference, contact, **scenario.deps) is None
    assert scenario.view(case.case_id).case.revision == revision


def test_every_digit_of_the_national_number_counts_and_none_may_be_left_out(scenario):
    """+994 50 555 12 34 on file: the nine national digits must all match; the prefix may vary."""
    case = scenario.start(phone="+994 50 555 12 34")
    national = "505551234"
    for position in range(len(national)):  # each digit changed in turn, the 8th from the right included
        digit = str((int(national[position]) + 1) % 10)
        wrong = national[:position] + digit + national[position + 1 :]
        assert engine.check_status(case.reference, "+994" + wrong, **scenario.deps) is None, wrong
    for short in ("05551234", "5551234", "+994 5055512"):  # a digit or more left out
        assert engine.check_status(case.reference, short, **scenario.deps) is None, short
    assert engine.check_status(case.reference, "00994505551234", **scenario.deps) is not None


def test_a_delayed_case_tells_the_reason_and_the_new_date(scenario):
    case = scenario.start()
    scenario.review(case.case_id)
    scenario.move_to(datetime(2026, 3, 14, 9, tzinfo=BAKU))
    scenario.complete(
        case.case_id, "Task_DelayNotice", {"delay_reason": "Waiting for the lab", "new_date": "2026-03-31"}
    )
    answer = engine.check_status(case.reference, "+994505551234", **scenario.deps)
    assert (answer.delay_reason, answer.new_date) == ("Waiting for the lab", "2026-03-31")
    assert answer.next_deadline is not None


def test_the_reference_and_contact_are_taken_with_stray_spaces(scenario):
    """What a customer pastes: spaces around the reference or the contact do not turn them away."""
    case = scenario.start(email="aysel@example.az")
    for contact in ("  +994 50 555 12 34  ", "\taysel@example.az "):
        assert engine.check_status(f"  {case.reference.lower()} \n", contact, **scenario.deps) is not None
    events = [e for e in scenario.view(case.case_id).events if e.type == "status_requested"]
    assert [e.data["told"] for e in events] == ["", ""]  # nothing was told by staff: the customer looked


def on_file(phone="", email="", erased=False):
    erased_at = datetime(2026, 3, 2, tzinfo=BAKU) if erased else None
    return model.PersonalData("p-1", "c-1", phone=phone, email=email, erased_at=erased_at)


def test_erased_contacts_match_nothing():
    """After erasure the phone and e-mail given at intake no longer open the status."""
    kept = on_file(phone="+994 50 555 12 34", email="aysel@example.az")
    gone = on_file(phone="+994 50 555 12 34", email="aysel@example.az", erased=True)
    assert (status.matching_contact(kept, "0505551234"), status.matching_contact(kept, "aysel@example.az")) == (
        "phone",
        "email",
    )
    assert status.matching_contact(gone, "0505551234") is None
    assert status.matching_contact(gone, "aysel@example.az") is None
    assert status.matching_contact(None, "") is None


def test_an_address_matches_whatever_its_case_and_the_spaces_around_the_one_on_file():
    assert status.matching_contact(on_file(email=" Aysel@Example.AZ "), "aysel@example.az") == "email"
    assert status.matching_contact(on_file(email="aysel@example.az"), "aysel@example.az.") is None
    assert status.matching_contact(on_file(phone="+994 50 555 12 34"), "") is None  # no e-mail on file, none given


@pytest.mark.parametrize(
    ("phone", "contact", "kind"),
    [
        ("5551234", "555-12-34", "phone"),  # a 7-digit number on file: the shortest there is
        ("555123", "555123", None),  # fewer than 7 digits is no phone number
        ("555123", "", None),
        ("+994 50 555 12 34", "505551234@mail.az", None),  # an address is never read as a phone number
        ("+994 50 555 12 34", "+994 50 555 12 34 @", None),
    ],
)
def test_a_phone_number_matches_on_its_last_nine_digits_and_has_at_least_seven(phone, contact, kind):
    assert status.matching_contact(on_file(phone=phone), contact) == kind


def test_a_contact_is_read_up_to_254_characters_the_longest_address():
    """The longest address there is (254 characters) is compared in full, to its last character."""
    longest = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".az"
    assert len(longest) == 254
    assert status.matching_contact(on_file(email=longest), longest) == "email"
    assert status.matching_contact(on_file(email=longest), longest[:-1]) is None
    assert status.matching_contact(on_file(email=longest), longest + "x") is None  # compared as typed


def test_the_status_check_reads_at_most_254_characters_of_the_contact(scenario):
    """Beyond the longest address nothing typed is read (the lookup's work stays bounded)."""
    case = scenario.start()
    padded = "0505551234" + " " * 244  # 254 characters: the digits after them are not read
    assert engine.check_status(case.reference, padded + "99", **scenario.deps) is not None
    assert engine.check_status(case.reference, padded[:-1] + "99", **scenario.deps) is None
