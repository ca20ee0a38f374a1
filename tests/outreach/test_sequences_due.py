"""When a step falls due: calendar and business days, counted on the lead's own calendar."""

import datetime
from zoneinfo import ZoneInfo

from outreach.models import SequenceStep
from outreach.sequences import step_due_after

UTC = datetime.UTC
BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")


def step(delay_days: int, business_days: bool = False) -> SequenceStep:
    return SequenceStep(delay_days=delay_days, business_days=business_days)


def test_no_delay_is_due_at_once():
    after = datetime.datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    assert step_due_after(step(0, business_days=True), after, BERLIN) == after


def test_calendar_days_count_weekends():
    friday = datetime.datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    assert step_due_after(step(2), friday, BERLIN) == datetime.datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


def test_business_days_skip_saturday_and_sunday():
    friday = datetime.datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    assert step_due_after(step(1, business_days=True), friday, BERLIN) == datetime.datetime(
        2026, 12, 7, 10, 0, tzinfo=UTC
    )
    assert step_due_after(step(3, business_days=True), friday, BERLIN) == datetime.datetime(
        2026, 12, 9, 10, 0, tzinfo=UTC
    )


def test_a_saturday_start_counts_monday_as_the_first_business_day():
    saturday = datetime.datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    assert step_due_after(step(1, business_days=True), saturday, BERLIN).date() == datetime.date(2026, 12, 7)


def test_business_days_are_counted_in_the_leads_zone():
    # Friday 20:00 UTC is already Saturday 05:00 in Tokyo: one business day later is Monday there, not Monday UTC.
    friday_evening = datetime.datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
    due = step_due_after(step(1, business_days=True), friday_evening, TOKYO)
    assert due.astimezone(TOKYO) == datetime.datetime(2026, 12, 7, 5, 0, tzinfo=TOKYO)
    # In Berlin the same moment is Friday 21:00: one business day later is Monday 21:00 there.
    assert step_due_after(step(1, business_days=True), friday_evening, BERLIN).astimezone(BERLIN) == (
        datetime.datetime(2026, 12, 7, 21, 0, tzinfo=BERLIN)
    )


def test_the_wall_clock_time_holds_across_a_daylight_saving_change():
    # Berlin moves its clocks back on 25 October 2026: 09:30 stays 09:30 local, one hour later in UTC.
    before = datetime.datetime(2026, 10, 23, 9, 30, tzinfo=BERLIN)
    due = step_due_after(step(3), before, BERLIN)
    assert due.astimezone(BERLIN).time() == datetime.time(9, 30)
    # (Aware datetimes in one zone subtract as wall clocks: compare instants.)
    assert due.timestamp() - before.timestamp() == datetime.timedelta(days=3, hours=1).total_seconds()
