"""What the engine takes as typed input, whoever calls it (web, API, CLI, mail): whole contacts, moments
the service can have seen, dates that make sense for what they record, and text that can be stored."""

from datetime import date, datetime, timedelta, timezone

import pytest

import engine
from engine.kernel import text
from engine.kernel.errors import InvalidInput
from engine.notation import forms
from tests.scenario import ACTORS
from tests.unit.test_bad_input import snapshot

BAKU = timezone(timedelta(hours=4))


def no_case(scenario):
    with scenario.uow as uow:
        return [uow.cases.next_sequence(year) for year in (1, 1999, 2026)] == [1, 1, 1]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "crlf@example.org\r\nBcc: victim@example.org"),
        ("email", "x@y.org<script>"),
        ("email", "x@y.org extra words"),
        ("email", "a..b@example.az"),
        ("phone", "12345678 <b>"),
        ("phone", "+994 50 555 12 34 ext. 5"),
        ("phone", "(((((((("),
        ("phone", "1234567890123456"),  # 16 digits: longer than any number
        ("received_at", "0001-01-01T00:00:00+00:00"),
        ("received_at", "1999-12-31T23:59:59+04:00"),
        ("received_at", "9999-12-31T23:59:59-12:00"),
        ("surname", "Aliyev\nBcc: victim@example.org"),
        ("description", "Broken\x00 strings"),
        ("given_name", "R\ud800ashad"),
    ],
)
def test_intake_refuses_partial_contacts_impossible_moments_and_unstorable_text(scenario, field, value):
    with pytest.raises(InvalidInput) as refused:
        scenario.start(**{field: value})
    assert set(refused.value.errors) == {field}
    assert no_case(scenario)


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "Aysel.Mammadova+shop@Example.AZ"), ("email", "почта@пример.рф"), ("phone", "+994 (50) 555-12-34"),
     ("phone", "0505551234"), ("received_at", "2000-01-01T00:00:00+00:00")],
)  # fmt: skip
def test_real_contacts_and_moments_are_taken(scenario, field, value):
    assert scenario.start(**{field: value}).status == "open"


def test_a_value_of_spaces_is_no_value(scenario):
    case = scenario.start(description="   \n  ", surname="  Aliyev  ")
    personal = scenario.view(case.case_id).personal
    assert (personal.surname, personal.description) == ("Aliyev", "")
    assert case.stage == "Register complaint"  # the description is missing: registration asks for it


@pytest.fixture
def at_respond(scenario):
    case = scenario.start()
    scenario.review(case.case_id)
    scenario.analyse(case.case_id, decision="partly_upheld")
    return case


ORAL = {"response_mode": "oral", "response_text": "Told by phone", "agreed_by": "the customer",
        "agreed_on": "2026-03-02", "agreed_how": "phone"}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"agreed_by": "   "}, "agreed_by"),
        ({"agreed_by": "\t"}, "agreed_by"),
        ({"agreed_on": "2026-03-03"}, "agreed_on"),
        ({"agreed_on": "2030-01-01"}, "agreed_on"),
        ({"agreed_on": "1999-12-31"}, "agreed_on"),
        ({"response_text": "   "}, "response_text"),
        ({"agreed_by": "the customer\nand more"}, "agreed_by"),
    ],
)
def test_an_oral_answer_needs_someone_who_agreed_on_a_day_that_has_been(scenario, at_respond, change, field):
    before = snapshot(scenario, at_respond.case_id)
    with pytest.raises(InvalidInput) as refused:
        scenario.complete(at_respond.case_id, "Task_Respond", dict(ORAL, **change))
    assert set(refused.value.errors) == {field}
    assert snapshot(scenario, at_respond.case_id) == before
    assert scenario.complete(at_respond.case_id, "Task_Respond", ORAL).status == "closed"


@pytest.fixture
def at_notice(scenario):
    case = scenario.start()
    scenario.review(case.case_id)
    scenario.move_to(datetime(2026, 3, 16, 9, tzinfo=BAKU))  # Monday, past "at risk"
    return case


@pytest.mark.parametrize(
    ("new_date", "says"),
    [
        ("2026-03-21", "2026-03-21 is not a working day; the next working day is 2026-03-31."),
        ("2026-03-20", "2026-03-20 is not a working day; the next working day is 2026-03-31."),
        ("2026-05-11", "2026-05-11 is not a working day; the next working day is 2026-05-12."),  # moved holiday
        ("2026-03-15", "Must be today (2026-03-16) or later."),
        ("0001-01-01", "Must be today (2026-03-16) or later."),
        ("2027-03-18", "Must be 2027-03-17 or earlier."),
    ],
)
def test_a_delay_notice_promises_a_working_day_from_today_on(scenario, at_notice, new_date, says):
    before = snapshot(scenario, at_notice.case_id)
    with pytest.raises(InvalidInput) as refused:
        scenario.complete(at_notice.case_id, "Task_DelayNotice", {"delay_reason": "Supplier", "new_date": new_date})
    assert refused.value.errors == {"new_date": [says]}
    assert snapshot(scenario, at_notice.case_id) == before
    today = {"delay_reason": "Supplier", "new_date": "2026-03-16"}
    assert scenario.complete(at_notice.case_id, "Task_DelayNotice", today).status == "open"


def test_the_date_ranges_a_form_offers_are_the_ones_it_takes(policy):
    notice = {"components": [{"type": "datetime", "key": "new_date", "disallowPassedDates": True}]}
    happened = {"components": [{"type": "datetime", "key": "agreed_on"}]}
    planned = {"components": [{"type": "datetime", "key": "visit", "properties": {"allowFutureDates": "true"}}]}
    saturday = date(2026, 3, 21)
    assert forms.date_ranges(notice, saturday, policy.calendar) == {"new_date": (date(2026, 3, 31), date(2027, 3, 22))}
    assert forms.date_ranges(happened, saturday, policy.calendar) == {"agreed_on": (date(2000, 1, 1), saturday)}
    assert forms.date_ranges(planned, saturday, policy.calendar)["visit"][1] == date(2027, 3, 22)
    assert forms.validate_data(planned, {"visit": "2026-12-01"}, today=saturday) == {"visit": "2026-12-01"}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"review_notes": "ok\x00"}, "review_notes"),
        ({"review_notes": "ok\udcff"}, "review_notes"),
        ({"review_notes": "  "}, "review_notes"),
        ({"review_notes": "ok", "question\x00": "x"}, "question\x00"),
    ],
)
def test_task_forms_refuse_unstorable_and_blank_text(scenario, data, field):
    case = scenario.start()
    before = snapshot(scenario, case.case_id)
    with pytest.raises(InvalidInput) as refused:
        scenario.complete(case.case_id, "Task_Review", data)
    assert field in refused.value.errors
    assert snapshot(scenario, case.case_id) == before


@pytest.mark.parametrize(
    ("channel", "requester", "told", "fields"),
    [
        ("", "", "", {"channel", "requester"}),
        ("call_centre", "   ", "", {"requester"}),
        ("fax", "the customer", "", {"channel"}),
        ("call_centre", "the customer", "x\x00", {"told"}),
    ],
)
def test_a_status_request_says_how_and_by_whom_it_was_asked(scenario, channel, requester, told, fields):
    case = scenario.start()
    before = snapshot(scenario, case.case_id)
    with pytest.raises(InvalidInput) as refused:
        engine.record_status_request(case.reference, channel, requester=requester, told=told,
                                     actor=ACTORS["officer"], **scenario.deps)  # fmt: skip
    assert set(refused.value.errors) == fields
    assert snapshot(scenario, case.case_id) == before


def test_text_checks_name_the_character_and_find_the_deepest_field():
    assert "U+0000" in text.unstorable("a\x00b") and "U+D800" in text.unstorable("\ud800")
    assert text.unstorable("<script>\u202e\x07 “quoted”") is None  # stored as given, escaped when shown
    assert text.problem("two\nlines", one_line=True) == "Must be on one line."
    assert text.too_deep('{"a": [[1]], "b": ' + "[" * 40 + "]" * 40 + "}") == "b"
    assert text.too_deep('{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}') is None
    assert sorted(text.strings({"a": ["x", {"b\x00": "y"}]})) == [
        ("a", "a"), ("a[0]", "x"), ("a[1].b\x00", "b\x00"), ("a[1].b\x00", "y"),
    ]  # fmt: skip
