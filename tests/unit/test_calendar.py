"""The working-day rule of POLICY.md §3 on Azerbaijan's calendar."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from engine.kernel.calendar import WorkingCalendar

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
