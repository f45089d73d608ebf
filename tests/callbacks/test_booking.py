"""Booking: a callback lands in an open slot of the line, never over the slot's capacity."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from callbacks.booking import AlreadyBooked, NoSlot, When, book, cancel, reschedule
from callbacks.phrases import confirmation_phrase, existing_phrase
from callbacks.policy import CallbackPolicy
from hours.calendar import Calendar
from ivr.storage.db import write_engine
from ivr.storage.models import Callback, CallbackSlot
from tests.callbacks.conftest import sp

POLICY = CallbackPolicy(slot_minutes=30, per_slot=2)
FRIDAY_18H = sp(2026, 11, 27, 18)
ANA = "+5511987654321"


def _book(session: Session, calendar: Calendar, number: str = ANA, **kwargs) -> Callback:
    kwargs.setdefault("now", FRIDAY_18H)
    callback = book(
        session,
        calendar,
        kwargs.pop("policy", POLICY),
        line=kwargs.pop("line", "erp"),
        number=number,
        protocol=uuid.uuid4().hex[:16],
        **kwargs,
    )
    session.commit()
    return callback


def _number(i: int) -> str:
    return f"+55119{i:08d}"


def test_friday_evening_books_monday_nine_and_says_so(session: Session, calendar: Calendar):
    callback = _book(session, calendar)
    assert callback.slot_start == sp(2026, 11, 30, 9)
    assert callback.scheduled_for == callback.slot_start
    phrase = confirmation_phrase(
        callback.slot_start.astimezone(calendar.tz), callback.slot_end, FRIDAY_18H
    )
    assert phrase == "Vamos ligar para você na segunda-feira, 30 de novembro, entre 9h e 9h30."


def test_a_full_slot_sends_the_next_caller_to_the_next_slot(session: Session, calendar: Calendar):
    starts = [_book(session, calendar, _number(i)).slot_start for i in range(5)]
    assert starts == [sp(2026, 11, 30, 9)] * 2 + [sp(2026, 11, 30, 9, 30)] * 2 + [
        sp(2026, 11, 30, 10)
    ]


def test_no_slot_crosses_lunch(session: Session, calendar: Calendar):
    policy = CallbackPolicy(slot_minutes=30, per_slot=1)
    starts = [
        _book(session, calendar, _number(i), policy=policy, now=sp(2026, 11, 30, 10, 50)).slot_start
        for i in range(3)
    ]
    # 11h-11h30 fits, 11h30-12h would cross the 11h45 close: next is 13h30
    assert starts == [sp(2026, 11, 30, 11), sp(2026, 11, 30, 13, 30), sp(2026, 11, 30, 14)]


def test_a_holiday_is_skipped(session: Session, calendar: Calendar):
    # Friday 20 November 2026 is Consciência Negra
    callback = _book(session, calendar, now=sp(2026, 11, 19, 18))
    assert callback.slot_start == sp(2026, 11, 23, 9)


def test_next_business_day_morning_and_afternoon(session: Session, calendar: Calendar):
    morning = _book(session, calendar, _number(1), when=When.NEXT_MORNING, now=sp(2026, 11, 30, 10))
    afternoon = _book(
        session, calendar, _number(2), when=When.NEXT_AFTERNOON, now=sp(2026, 11, 30, 10)
    )
    assert morning.slot_start == sp(2026, 12, 1, 9)
    assert afternoon.slot_start == sp(2026, 12, 1, 13, 30)


def test_a_second_request_is_told_the_existing_booking(session: Session, calendar: Calendar):
    first = _book(session, calendar)
    with pytest.raises(AlreadyBooked) as already:
        _book(session, calendar, now=FRIDAY_18H + timedelta(minutes=5))
    session.rollback()
    assert already.value.callback.protocol == first.protocol
    said = existing_phrase(
        first.slot_start.astimezone(calendar.tz), first.slot_end, FRIDAY_18H + timedelta(hours=1)
    )
    assert said == (
        "Você já tem um retorno marcado: vamos ligar na segunda-feira, 30 de novembro, "
        "entre 9h e 9h30."
    )
    assert _book(session, calendar, line="fiscal").line == "fiscal"  # another line is another


def test_cancel_frees_the_place_and_lets_the_number_book_again(
    session: Session, calendar: Calendar
):
    policy = CallbackPolicy(slot_minutes=30, per_slot=1)
    first = _book(session, calendar, policy=policy)
    cancel(session, first, FRIDAY_18H, "supervisor")
    session.commit()
    again = _book(session, calendar, policy=policy)
    assert again.slot_start == first.slot_start
    assert first.status == "cancelled" and again.status == "scheduled"


def test_reschedule_moves_to_the_asked_time(session: Session, calendar: Calendar):
    callback = _book(session, calendar)
    slot = reschedule(session, callback, calendar, POLICY, FRIDAY_18H, at=sp(2026, 12, 1, 14, 10))
    session.commit()
    assert slot.start == sp(2026, 12, 1, 14) and callback.slot_start == sp(2026, 12, 1, 14)
    booked = dict(session.execute(select(CallbackSlot.start, CallbackSlot.booked)).all())
    assert booked[sp(2026, 11, 30, 9)] == 0 and booked[sp(2026, 12, 1, 14)] == 1


def test_the_same_call_books_once(session: Session, calendar: Calendar):
    first = _book(session, calendar, source_call_sid="CA" + "1" * 32)
    again = _book(session, calendar, source_call_sid="CA" + "1" * 32)
    assert again.id == first.id


def test_a_line_closed_for_good_has_no_slot(session: Session):
    from hours.schedule import Schedule

    closed = Calendar(Schedule(name="fechado", week=((),) * 7, timezone="America/Sao_Paulo"))
    with pytest.raises(NoSlot):
        _book(session, closed)


def test_processes_booking_at_once_never_overfill_a_slot(engine: Engine, calendar: Calendar):
    """Eight threads, each its own connection, book 40 callbacks into 2-per-slot slots."""
    errors: list[BaseException] = []
    bind = write_engine(engine)

    def worker(k: int) -> None:
        try:
            for i in range(5):
                with Session(bind) as session:
                    _book(session, calendar, _number(k * 100 + i))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with Session(engine) as session:
        per_slot = Counter(session.scalars(select(Callback.slot_start)))
    assert sum(per_slot.values()) == 40
    assert max(per_slot.values()) == 2
    assert len(per_slot) == 20
