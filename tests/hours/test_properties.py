"""Properties of the calendar over random schedules and random instants.

Boundaries in ``strategies`` fall on whole UTC minutes, so "nothing in
between is open" is checked minute by minute (each minute's state is
constant); very long gaps are checked minute by minute for two days and then
every 13 minutes.
"""

from __future__ import annotations

import functools
import itertools
import os
from datetime import UTC, datetime, timedelta

import holidays as holidays_lib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hours.calendar import Calendar
from tests.strategies import Scenario, minute, scenarios

US = timedelta(microseconds=1)
MIN = timedelta(minutes=1)
# HOURS_EXAMPLES=5000 for a long hunt; the default keeps the suite fast.
SETTINGS = settings(
    max_examples=int(os.environ.get("HOURS_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def utc(value: datetime | None) -> datetime | None:
    """In UTC: aware datetimes in a DST fold never compare equal across zones (PEP 495)."""
    return value.astimezone(UTC) if value is not None else None


def calendar_of(s: Scenario) -> Calendar:
    return Calendar(s.schedule, s.emergencies)


def grid_points(start: datetime, end: datetime) -> list[datetime]:
    """Minute starts in (start, end): every minute for 2 days, then every 13 minutes."""
    out = []
    t = minute(start.astimezone(UTC)) + MIN
    dense_until = start + timedelta(days=2)
    while t < end:
        out.append(t)
        t += MIN if t < dense_until else 13 * MIN
    return out


@functools.cache
def holiday_table(country: str, subdivision: str | None, categories: tuple[str, ...]) -> object:
    return holidays_lib.country_holidays(country, subdiv=subdivision, categories=categories)


def reference_is_open(s: Scenario, t: datetime) -> bool | None:
    """Straight from the data, on wall-clock time; None on a day with a DST change."""
    sched, tz = s.schedule, s.schedule.tz
    local = t.astimezone(tz)
    d = local.date()
    day_start = datetime.combine(d, datetime.min.time(), tz)
    day_end = datetime.combine(d + timedelta(days=1), datetime.min.time(), tz)
    if day_start.utcoffset() != day_end.utcoffset():
        return None
    for em in s.emergencies:
        if em.start <= t and (em.end is None or t < em.end):
            return False
    if any(c.start <= t < c.end for c in sched.closures):
        return False
    openings = {o.day: o.shifts for o in sched.openings}
    if d in openings:
        shifts = openings[d]
    else:
        rule = sched.holidays
        if rule is not None and d in holiday_table(rule.country, rule.subdivision, rule.categories):
            return False
        shifts = sched.week[d.weekday()]
    secs = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    return any(sh.start <= secs < sh.end for sh in shifts)


@SETTINGS
@given(scenarios(), st.integers(-2 * 1440, 10 * 1440), st.integers(0, 59_999_999))
def test_is_open_agrees_with_the_wall_clock_reading_of_the_schedule(s, minutes, micros):
    t = utc(s.at) + timedelta(minutes=minutes, microseconds=micros)
    expected = reference_is_open(s, t)
    if expected is not None:
        assert calendar_of(s).is_open(t) is expected


@SETTINGS
@given(scenarios())
def test_next_open_is_open_and_nothing_before_it_is(s):
    cal = calendar_of(s)
    status = cal.status(s.at)
    assert status.open is cal.is_open(s.at)
    if status.open:
        assert utc(cal.next_opening(s.at)) == utc(s.at)
        return
    assert status.closes_at is None
    nxt = status.next_open
    assert utc(cal.next_opening(s.at)) == utc(nxt)
    if nxt is None:
        return
    assert nxt > s.at
    assert cal.is_open(nxt)
    assert not cal.is_open(utc(nxt) - US)
    for t in grid_points(s.at, nxt):
        assert not cal.is_open(t), t


@SETTINGS
@given(scenarios())
def test_closes_at_is_the_first_closed_instant(s):
    cal = calendar_of(s)
    status = cal.status(s.at)
    if not status.open:
        assert utc(cal.closing(s.at)) == utc(s.at)
        return
    end = status.closes_at
    assert utc(cal.closing(s.at)) == utc(end)
    if end is None:  # open past the horizon
        return
    assert end > s.at
    assert not cal.is_open(end)
    assert cal.is_open(utc(end) - US)
    for t in grid_points(s.at, end):
        assert cal.is_open(t), t
    if status.next_open is not None:  # the reopening after it
        assert status.next_open > end
        assert cal.is_open(status.next_open)
        assert utc(cal.next_opening(end)) == utc(status.next_open)


@SETTINGS
@given(scenarios(), st.integers(0, 20 * 1440), st.integers(0, 59_999_999))
def test_adding_the_business_time_between_two_instants_gives_back_the_second(s, minutes, micros):
    """Exactly when b == a or the instant just before b is open; else the last open end."""
    cal = calendar_of(s)
    a = s.at
    b = utc(a) + timedelta(minutes=minutes, microseconds=micros)  # wall-clock + would drop fold
    spent = cal.business_time_between(a, b)
    assert timedelta(0) <= spent <= b - a
    back = cal.add_business_time(a, spent)
    if utc(b) == utc(a) or cal.is_open(utc(b) - US):
        assert utc(back) == utc(b)
    else:
        assert a <= back <= b
        assert cal.business_time_between(back, b) == timedelta(0)
        assert utc(back) == utc(a) or cal.is_open(utc(back) - US)
    assert cal.business_time_between(b, a) == -spent


@SETTINGS
@given(scenarios(), st.integers(0, 5 * 1440), st.integers(0, 5 * 1440))
def test_business_time_adds_up_over_consecutive_ranges(s, m1, m2):
    cal = calendar_of(s)
    a = s.at
    b = utc(a) + timedelta(minutes=m1)
    c = b + timedelta(minutes=m2)
    assert cal.business_time_between(a, b) + cal.business_time_between(
        b, c
    ) == cal.business_time_between(a, c)


@SETTINGS
@given(scenarios(), st.sampled_from([15, 20, 30, 45, 60]), st.integers(1, 4 * 1440))
def test_slots_never_overlap_a_closed_minute(s, size_minutes, span_minutes):
    cal = calendar_of(s)
    size = timedelta(minutes=size_minutes)
    start, end = s.at, utc(s.at) + timedelta(minutes=span_minutes)
    slots = cal.open_slots(start, end, size)
    for slot in slots:
        # In UTC: same-zone datetimes compare by wall time, ignoring fold (PEP 495).
        assert utc(start) <= utc(slot.start) and utc(slot.end) <= end
        assert utc(slot.end) - utc(slot.start) == size
        assert cal.business_time_between(slot.start, slot.end) == size
        assert cal.is_open(slot.start)
        t = minute(slot.start.astimezone(UTC))
        while t < slot.end:
            if t >= slot.start:
                assert cal.is_open(t), t
            t += MIN
    for before, after in itertools.pairwise(slots):
        assert utc(before.end) <= utc(after.start)
