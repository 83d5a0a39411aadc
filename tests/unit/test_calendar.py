"""The working-day rule of POLICY.md §3 on Azerbaijan's calendar."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from engine.kernel.calendar import WorkingCalendar, parse_moment

BAKU = timezone(timedelta(hours=4))


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


@pytest.mark.parametrize(
    ("received", "days", "due_day"),
    [
        # Monday: Tue, Wed, Thu
        (datetime(2026, 3, 2, 10, tzinfo=BAKU), 3, date(2026, 3, 5)),
        # Friday: the weekend does not count
        (datetime(2026, 2, 27, 16, tzinfo=BAKU), 3, date(2026, 3, 4)),
        # Novruz and Ramadan 2026 (20-30 March) are skipped
        (datetime(2026, 3, 18, 12, tzinfo=BAKU), 3, date(2026, 4, 1)),
        (datetime(2026, 3, 18, 12, tzinfo=BAKU), 10, date(2026, 4, 10)),
        # New Year: 31 Dec, 1-2 Jan and the observed 4 Jan 2027 are days off
        (datetime(2026, 12, 30, 9, tzinfo=BAKU), 3, date(2027, 1, 7)),
        # Victory Day (Sun 8 Nov 2026), Flag Day (Mon 9 Nov) and the observed Tue 10 Nov
        (datetime(2026, 11, 6, 9, tzinfo=BAKU), 3, date(2026, 11, 13)),
        # Saturday 21 June 2025 was decreed a working day (moved to Friday 27 June)
        (datetime(2025, 6, 20, 9, tzinfo=BAKU), 3, date(2025, 6, 24)),
    ],
)
def test_deadline_ends_on_the_nth_working_day_at_23_59_59_baku(calendar, received, days, due_day):
    due = calendar.deadline(received, days)
    assert due.astimezone(BAKU).date() == due_day
    assert (due.astimezone(BAKU).hour, due.minute, due.second) == (23, 59, 59)


def test_receipt_late_evening_utc_counts_from_the_baku_date(calendar):
    # 21:30 UTC on Monday is 01:30 on Tuesday in Baku: Tuesday is the day of receipt
    received = datetime(2026, 3, 2, 21, 30, tzinfo=UTC)
    assert calendar.deadline(received, 3).date() == date(2026, 3, 6)
    assert calendar.deadline(received - timedelta(hours=2), 3).date() == date(2026, 3, 5)


def test_day_of_receipt_never_counts_even_at_midnight(calendar):
    assert calendar.deadline(datetime(2026, 3, 2, 0, 0, tzinfo=BAKU), 1).date() == date(2026, 3, 3)


def test_decree_overrides_from_configuration():
    # a decree published after the calendar data: Thursday off, the next Saturday worked
    decree = WorkingCalendar(extra_days_off=[date(2026, 3, 5)], extra_working_days=[date(2026, 3, 7)])
    received = datetime(2026, 3, 2, 10, tzinfo=BAKU)
    assert decree.deadline(received, 3).date() == date(2026, 3, 6)
    assert decree.deadline(received, 4).date() == date(2026, 3, 7)
    assert not decree.is_working_day(date(2026, 3, 5))


def test_working_days_between_counts_down_and_goes_negative_when_past(calendar):
    start = datetime(2026, 3, 2, 10, tzinfo=BAKU)
    assert calendar.working_days_between(start, calendar.deadline(start, 10)) == 10
    assert calendar.working_days_between(calendar.deadline(start, 3), start) == -3


def test_negative_working_days_are_refused(calendar):
    with pytest.raises(ValueError):
        calendar.add_working_days(date(2026, 3, 2), -1)


def test_zero_working_days_is_the_day_itself(calendar):
    """A count of nothing moves no date (a deadline due on the day of receipt ends that evening)."""
    saturday = date(2026, 3, 21)
    assert calendar.add_working_days(saturday, 0) == saturday
    assert calendar.deadline(datetime(2026, 3, 2, 10, tzinfo=BAKU), 0) == datetime(2026, 3, 2, 23, 59, 59, tzinfo=BAKU)


def test_a_negative_count_is_refused_with_the_reason(calendar):
    with pytest.raises(ValueError, match="^working days must not be negative$"):
        calendar.add_working_days(date(2026, 3, 2), -5)


def test_the_day_ends_at_23_59_59_in_baku_whatever_the_server_zone(calendar):
    due = calendar.end_of_day(date(2026, 3, 2))
    assert due.astimezone(UTC) == datetime(2026, 3, 2, 19, 59, 59, tzinfo=UTC)
    assert due.microsecond == 0


def test_the_local_date_is_the_date_in_baku(calendar):
    assert calendar.local_date(datetime(2026, 3, 2, 19, 59, 59, tzinfo=UTC)) == date(2026, 3, 2)
    assert calendar.local_date(datetime(2026, 3, 2, 20, 0, tzinfo=UTC)) == date(2026, 3, 3)


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (datetime(2026, 3, 2, 8, tzinfo=BAKU), datetime(2026, 3, 2, 23, tzinfo=BAKU), 0),  # the same day
        (datetime(2026, 3, 2, 23, tzinfo=BAKU), datetime(2026, 3, 3, 0, 30, tzinfo=BAKU), 1),  # Mon to Tue
        (datetime(2026, 3, 3, 0, 30, tzinfo=BAKU), datetime(2026, 3, 2, 23, tzinfo=BAKU), -1),
        (datetime(2026, 3, 6, 9, tzinfo=BAKU), datetime(2026, 3, 10, 9, tzinfo=BAKU), 1),  # Fri to Tue (9 Mar off)
        (datetime(2026, 3, 10, 9, tzinfo=BAKU), datetime(2026, 3, 6, 9, tzinfo=BAKU), -1),
        (datetime(2026, 3, 2, 9, tzinfo=BAKU), datetime(2026, 3, 6, 9, tzinfo=BAKU), 4),  # Mon to Fri
        (datetime(2026, 3, 6, 9, tzinfo=BAKU), datetime(2026, 3, 2, 9, tzinfo=BAKU), -4),
        (datetime(2026, 3, 7, 9, tzinfo=BAKU), datetime(2026, 3, 8, 9, tzinfo=BAKU), 0),  # a weekend
        (datetime(2026, 3, 19, 9, tzinfo=BAKU), datetime(2026, 3, 31, 9, tzinfo=BAKU), 1),  # over Novruz
        (datetime(2026, 3, 19, 9, tzinfo=BAKU), datetime(2026, 3, 30, 9, tzinfo=BAKU), 0),
    ],
)
def test_working_days_between_counts_the_end_day_and_not_the_start_day(calendar, start, end, days):
    assert calendar.working_days_between(start, end) == days


def test_the_working_day_count_uses_baku_dates(calendar):
    # 21:00 UTC on Monday is Tuesday in Baku: from Monday to Tuesday is one working day
    monday, tuesday_in_baku = datetime(2026, 3, 2, 10, tzinfo=BAKU), datetime(2026, 3, 2, 21, tzinfo=UTC)
    assert calendar.working_days_between(monday, tuesday_in_baku) == 1


def test_a_decree_day_off_and_a_decree_working_day_are_both_taken():
    decree = WorkingCalendar(extra_days_off=[date(2026, 3, 5)], extra_working_days=[date(2026, 3, 7)])
    assert (decree.is_working_day(date(2026, 3, 5)), decree.is_working_day(date(2026, 3, 7))) == (False, True)
    assert decree.is_working_day(date(2026, 3, 4)) and not decree.is_working_day(date(2026, 3, 8))
    plain = WorkingCalendar()
    assert (plain.is_working_day(date(2026, 3, 5)), plain.is_working_day(date(2026, 3, 7))) == (True, False)


def test_a_day_asked_twice_gets_the_same_answer(calendar):
    saturday = date(2026, 3, 7)
    assert [calendar.is_working_day(saturday) for _ in range(2)] == [False, False]
    assert [calendar.is_working_day(date(2026, 3, 6)) for _ in range(2)] == [True, True]


def test_a_moment_must_say_its_utc_offset():
    """A naive time is refused, never guessed as local or UTC."""
    assert parse_moment("2026-03-02T10:00:00+04:00") == datetime(2026, 3, 2, 6, tzinfo=UTC)
    moment = datetime(2026, 3, 2, 6, tzinfo=UTC)
    assert parse_moment(moment) is moment
    with pytest.raises(ValueError, match=r"^'2026-03-02T10:00:00' has no UTC offset$"):
        parse_moment("2026-03-02T10:00:00")
    with pytest.raises(ValueError, match="has no UTC offset"):
        parse_moment(datetime(2026, 3, 2, 10))
