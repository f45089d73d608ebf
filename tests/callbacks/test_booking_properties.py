"""Whatever the schedule, closures and capacity: a booking is open time, no slot overfills."""

from __future__ import annotations

import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from callbacks.booking import HORIZON, NoSlot, When, book, book_now
from callbacks.policy import CallbackPolicy
from hours.calendar import Calendar
from ivr.storage.db import make_engine, write_engine
from ivr.storage.models import Callback
from tests.strategies import Scenario, scenarios


@pytest.fixture(scope="module")
def sqlite_engine(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """One migrated SQLite database for every example: each example books on a line of its own."""
    path = tmp_path_factory.mktemp("booking-properties") / "ivr.db"
    shutil.copyfile(sqlite_template, path)
    engine = write_engine(make_engine(f"sqlite:///{path}"))
    yield engine
    engine.dispose()


requests = st.lists(
    st.tuples(
        st.sampled_from(list(When)),
        st.none() | st.integers(0, 14 * 24 * 60),  # a supervisor's --at, minutes after now
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    scenarios(),
    st.sampled_from([15, 30, 45, 60]),
    st.integers(1, 3),
    requests,
)
def test_every_booking_is_open_time_and_no_slot_exceeds_its_capacity(
    sqlite_engine: Engine,
    s: Scenario,
    slot_minutes: int,
    per_slot: int,
    asked: list[tuple[When, int | None]],
) -> None:
    calendar = Calendar(s.schedule, s.emergencies)
    policy = CallbackPolicy(slot_minutes=slot_minutes, per_slot=per_slot)
    size = policy.slot_length
    line = uuid.uuid4().hex[:12]
    now = s.at
    with Session(sqlite_engine) as session:
        for i, (when, at_minutes) in enumerate(asked):
            at = None if at_minutes is None else now + timedelta(minutes=at_minutes)
            try:
                callback = book(
                    session,
                    calendar,
                    policy,
                    line=line,
                    number=f"+55119{i:08d}",
                    protocol=uuid.uuid4().hex,
                    now=now,
                    when=when,
                    at=at,
                )
            except NoSlot:
                session.rollback()
                continue
            session.commit()
            start, end = callback.slot_start, callback.slot_end
            assert end - start == size
            assert start >= now.astimezone(UTC) and start < now + HORIZON
            # entirely open: every minute of it, lunch, holidays and closures excluded
            assert calendar.business_time_between(start, end) == size
            if at is not None:
                assert end > at
            if when is When.NEXT_MORNING and at is None:
                assert start.astimezone(calendar.tz).hour < 12
                assert start.astimezone(calendar.tz).date() > now.astimezone(calendar.tz).date()
            if when is When.NEXT_AFTERNOON and at is None:
                assert start.astimezone(calendar.tz).hour >= 12
        counts = Counter(
            dict(
                session.execute(
                    select(Callback.slot_start, func.count())
                    .where(Callback.line == line)
                    .group_by(Callback.slot_start)
                ).all()
            )
        )
    assert all(n <= per_slot for n in counts.values())


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(
    scenarios(),
    st.lists(st.tuples(st.booleans(), st.integers(0, 3 * 24 * 60)), min_size=2, max_size=8),
)
def test_a_callback_from_the_queue_comes_before_every_callback_asked_for_later(
    sqlite_engine: Engine, s: Scenario, asked: list[tuple[bool, int]]
) -> None:
    """In the dispatcher's order (``scheduled_for``, then id), a caller who left the queue
    is called back before anyone who asked later, whatever the schedule and closures;
    and never while the line is closed."""
    calendar = Calendar(s.schedule, s.emergencies)
    policy = CallbackPolicy()
    line = uuid.uuid4().hex[:12]
    now = s.at
    made: list[tuple[int, bool, int, object]] = []
    with Session(sqlite_engine) as session:
        for i, (from_queue, minutes_later) in enumerate(asked):
            now = now + timedelta(minutes=minutes_later)
            number, protocol = f"+55119{i:08d}", uuid.uuid4().hex
            try:
                if from_queue:
                    callback = book_now(
                        session, calendar, line=line, number=number, protocol=protocol, now=now
                    )
                else:
                    callback = book(
                        session, calendar, policy, line=line, number=number, protocol=protocol,
                        now=now,
                    )  # fmt: skip
            except NoSlot:
                session.rollback()
                continue
            session.commit()
            if from_queue:
                assert callback.scheduled_for >= now.astimezone(UTC)
                assert calendar.is_open(callback.scheduled_for)
            made.append((i, from_queue, callback.id, callback.scheduled_for))
    order = sorted(made, key=lambda m: (m[3], m[2]))
    place = {m[0]: k for k, m in enumerate(order)}
    for i, from_queue, _id, _due in made:
        if from_queue:
            assert all(place[i] < place[j] for j, *_ in made if j > i)
