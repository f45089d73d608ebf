"""Business-time arithmetic and slots on the shipped schedule (7h15 a day)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hours.calendar import Calendar, NoOpening
from hours.schedule import Schedule, Shift
from tests.hours.conftest import SP


def sp(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SP)


def test_business_time_in_one_day_skips_lunch(padrao: Calendar):
    day = (2026, 11, 19)
    assert padrao.business_time_between(sp(*day, 0, 0), sp(*day, 23, 59)) == timedelta(
        hours=6, minutes=45
    )
    assert padrao.business_time_between(sp(*day, 11, 0), sp(*day, 14, 0)) == timedelta(minutes=75)


def test_48_business_hours_from_monday_morning(padrao: Calendar):
    """6h45 a day: 48h is seven full days and 45 minutes (a holiday week in November)."""
    due = padrao.add_business_hours(sp(2026, 11, 16, 9, 0), 48)
    assert padrao.business_time_between(sp(2026, 11, 16, 9, 0), due) == timedelta(hours=48)
    assert due == sp(2026, 11, 26, 9, 45)  # 20/11 is a holiday


def test_adding_ends_at_a_closing_not_at_the_next_opening(padrao: Calendar):
    assert padrao.add_business_time(sp(2026, 11, 19, 11, 0), timedelta(minutes=45)) == sp(
        2026, 11, 19, 11, 45
    )
    assert padrao.add_business_time(sp(2026, 11, 19, 11, 0), timedelta(minutes=46)) == sp(
        2026, 11, 19, 13, 31
    )


def test_business_days_count_working_dates_after_today(padrao: Calendar):
    # Thursday 19/11 + 1 business day: Friday is a holiday, so Monday's close
    assert padrao.add_business_days(sp(2026, 11, 19, 10, 0), 1) == sp(2026, 11, 23, 17, 30)
    assert padrao.add_business_days(sp(2026, 11, 21, 10, 0), 6) == sp(2026, 11, 30, 17, 30)
    with pytest.raises(ValueError):
        padrao.add_business_days(sp(2026, 11, 19, 10, 0), 0)


def test_slots_for_callbacks(padrao: Calendar):
    slots = padrao.open_slots(
        sp(2026, 11, 19, 10, 40), sp(2026, 11, 19, 14, 30), timedelta(minutes=30)
    )
    assert [(s.start.strftime("%H:%M"), s.end.strftime("%H:%M")) for s in slots] == [
        ("11:00", "11:30"),
        ("13:30", "14:00"),
        ("14:00", "14:30"),
    ]


def test_a_schedule_that_never_opens(padrao: Calendar):
    never = Calendar(Schedule(name="nunca", week=((),) * 7, holidays=None))
    at = sp(2026, 11, 19, 10, 0)
    assert never.status(at).next_open is None
    assert never.business_time_between(at, at + timedelta(days=30)) == timedelta(0)
    with pytest.raises(NoOpening):
        never.add_business_hours(at, 1)


def test_always_open_has_no_closing(padrao: Calendar):
    always = Calendar(Schedule(name="sempre", week=((Shift(0, 86_400),),) * 7, holidays=None))
    at = sp(2026, 11, 19, 10, 0)
    status = always.status(at)
    assert status.open and status.closes_at is None and status.next_open is None
