"""Booking callbacks into slots of a product line's business hours.

A line's open hours are cut into slots (``CallbackPolicy.slot_minutes``,
from the start of each open period, by ``Calendar.open_slots``), so a slot
never overlaps lunch, a holiday, a closure or an emergency closure known at
booking time. Each slot takes at most ``per_slot`` callbacks: the count
lives in ``callback_slots`` and a place is taken with one conditional
``UPDATE`` (``booked < capacity``), atomic on SQLite and PostgreSQL alike,
so processes booking at the same moment never overfill a slot. A number has
at most one active callback per line (a unique ``active_key``).

A caller waiting in a queue who asks to be called back without losing their
place gets :func:`book_now`: no slot, due at once (or at the next opening),
so the dispatcher, which takes due callbacks in ``scheduled_for`` order,
dials it before any callback asked for later. Such a callback's slot has no
length (``slot_end == slot_start``): it holds no place in a slot.

Functions work inside the caller's session and flush; the caller commits.
On SQLite, give them a session that begins with ``BEGIN IMMEDIATE``
(``ivr.storage.db.BEGIN_IMMEDIATE``) so concurrent bookings queue instead
of failing. Errors::

    BookingError
    ├── AlreadyBooked   the number has an active callback on this line (``.callback``)
    ├── NoSlot          no free slot in the time asked for, within the horizon
    └── NotActive       the callback is finished: it cannot be cancelled or moved
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callbacks.policy import CallbackPolicy
from hours.calendar import Calendar, Slot
from hours.clock import require_aware
from ivr.storage.models import Callback, CallbackEvent, CallbackSlot

__all__ = [
    "ACTIVE",
    "AlreadyBooked",
    "BookingError",
    "NoSlot",
    "NotActive",
    "When",
    "active_callback",
    "book",
    "book_now",
    "cancel",
    "reschedule",
]

SCHEDULED = "scheduled"
DIALING = "dialing"
IN_CALL = "in_call"
COMPLETED = "completed"
FAILED = "failed"
CANCELLED = "cancelled"
ACTIVE = (SCHEDULED, DIALING, IN_CALL)
FINISHED = (COMPLETED, FAILED, CANCELLED)

HORIZON = timedelta(days=366)
_WINDOW = timedelta(days=7)  # slots looked at per query while searching
_NOON = time(12, 0)
SMS_PENDING = "pending"  # callbacks.sms.PENDING


class When(StrEnum):
    """When the caller wants to be called back."""

    FIRST_AVAILABLE = "first_available"
    NEXT_MORNING = "next_morning"  # the morning of the next business day
    NEXT_AFTERNOON = "next_afternoon"  # its afternoon


class BookingError(Exception):
    """Base of the booking errors."""


class AlreadyBooked(BookingError):
    """The number already has an active callback on this line."""

    def __init__(self, callback: Callback) -> None:
        super().__init__(f"callback {callback.protocol} is already booked")
        self.callback = callback


class NoSlot(BookingError):
    """No free slot in the time asked for (the line is full or closed for the horizon)."""


class NotActive(BookingError):
    """The callback is completed, failed or cancelled."""


def active_key(line: str, number: str) -> str:
    return f"{line} {number}"


def active_callback(session: Session, line: str, number: str) -> Callback | None:
    """The number's callback on ``line`` that is still to be made, if any."""
    key = active_key(line, number)
    table = Callback.__table__
    found = session.connection().execute(select(table.c.id).where(table.c.active_key == key))
    row = found.first()  # a plain row first: most requests have no booking to load
    return session.get(Callback, row[0]) if row is not None else None


# --------------------------------------------------------------------------- slot search


def _windows(calendar: Calendar, when: When, now: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The spans to search, in order, for ``when``; closed stretches are skipped."""
    limit = now + HORIZON
    if when is When.FIRST_AVAILABLE:
        start = now
        while start < limit:
            opens = calendar.next_opening(start)
            if opens is None or opens >= limit:
                return
            yield opens, opens + _WINDOW
            start = opens + _WINDOW
        return
    tz = calendar.tz
    day = now.astimezone(tz).date() + timedelta(days=1)
    last = limit.astimezone(tz).date()
    while day <= last:
        midnight = datetime.combine(day, time(0), tz)
        opens = calendar.next_opening(midnight)
        if opens is None:
            return
        if opens.astimezone(tz).date() > day:
            day = opens.astimezone(tz).date()  # not a business day: go to the next one
            continue
        noon = datetime.combine(day, _NOON, tz)
        tomorrow = datetime.combine(day + timedelta(days=1), time(0), tz)
        # the business day's morning or afternoon; when full, the next day's
        yield (midnight, noon) if when is When.NEXT_MORNING else (noon, tomorrow)
        day += timedelta(days=1)


def _full(
    session: Session, line: str, start: datetime, end: datetime, capacity: int
) -> set[datetime]:
    """Starts of the line's full slots in ``[start, end)`` (Core: no ORM rows to build)."""
    table = CallbackSlot.__table__
    rows = session.connection().execute(
        select(table.c.start).where(
            table.c.line == line,
            table.c.start >= start,
            table.c.start < end,
            table.c.booked >= capacity,
        )
    )
    return {row[0] for row in rows}


def _insert_ignore(session: Session, slot: Slot, line: str) -> None:
    values = {
        "line": line,
        "start": slot.start.astimezone(UTC),
        "end": slot.end.astimezone(UTC),
        "booked": 0,
    }
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.connection().execute(
        insert(CallbackSlot.__table__).values(values).on_conflict_do_nothing()
    )


def _take(session: Session, slot: Slot, line: str, capacity: int) -> bool:
    """Take a place in ``slot`` if it has one: atomic across processes."""
    _insert_ignore(session, slot, line)
    table = CallbackSlot.__table__
    result = session.connection().execute(
        update(table)
        .where(
            table.c.line == line,
            table.c.start == slot.start.astimezone(UTC),
            table.c.booked < capacity,
        )
        .values(booked=table.c.booked + 1)
    )
    return result.rowcount == 1


def _release(session: Session, line: str, start: datetime) -> None:
    session.execute(
        update(CallbackSlot)
        .where(CallbackSlot.line == line, CallbackSlot.start == start, CallbackSlot.booked > 0)
        .values(booked=CallbackSlot.booked - 1)
        .execution_options(synchronize_session=False)
    )


def take_slot(
    session: Session,
    calendar: Calendar,
    policy: CallbackPolicy,
    line: str,
    now: datetime,
    when: When = When.FIRST_AVAILABLE,
    at: datetime | None = None,
) -> Slot:
    """Find the first free slot for ``when`` (or at/after ``at``) and take a place in it."""
    require_aware(now, "now")
    size = policy.slot_length
    if at is not None:
        require_aware(at, "at")
        # the slot holding ``at``, or the first one after it; never one already begun.
        # In UTC: wall-clock arithmetic in ``at``'s zone is off by an hour across a DST fold.
        earliest = at.astimezone(UTC) - size + timedelta(microseconds=1)
        windows: Iterator[tuple[datetime, datetime]] = _windows(
            calendar, When.FIRST_AVAILABLE, max(now.astimezone(UTC), earliest)
        )
    else:
        windows = _windows(calendar, when, now)
    for start, end in windows:
        start = max(start, now)
        if end <= start:
            continue
        slots = calendar.open_slots(start, end, size)
        if not slots:
            continue
        full = _full(session, line, slots[0].start, slots[-1].end, policy.per_slot)
        for slot in slots:
            if slot.start.astimezone(UTC) in full:
                continue
            if _take(session, slot, line, policy.per_slot):
                return slot
    raise NoSlot(f"no free callback slot on line {line!r}")


# --------------------------------------------------------------------------- the requests


def _event(callback: Callback, at: datetime, kind: str, detail: str | None = None) -> None:
    callback.events.append(CallbackEvent(at=at, kind=kind, detail=detail))


def _existing(
    session: Session, line: str, number: str, source_call_sid: str | None
) -> Callback | None:
    """The booking this call already made (Twilio retried the webhook), if any;
    :class:`AlreadyBooked` when the number has another active one on ``line``."""
    if source_call_sid is not None:
        again = session.scalar(select(Callback).where(Callback.source_call_sid == source_call_sid))
        if again is not None:
            return again
    existing = active_callback(session, line, number)
    if existing is not None:
        raise AlreadyBooked(existing)
    return None


def _insert(session: Session, callback: Callback, line: str, number: str) -> Callback:
    session.add(callback)
    try:
        session.flush()
    except IntegrityError:
        # Another process booked this number on this line a moment ago. The
        # transaction is rolled back whole (the slot place with it): bookings
        # run in a transaction of their own.
        session.rollback()
        raced = active_callback(session, line, number)
        if raced is not None:
            raise AlreadyBooked(raced) from None
        raise
    return callback


def book(
    session: Session,
    calendar: Calendar,
    policy: CallbackPolicy,
    *,
    line: str,
    number: str,
    protocol: str,
    now: datetime,
    when: When = When.FIRST_AVAILABLE,
    at: datetime | None = None,
    reason: str | None = None,
    source_call_sid: str | None = None,
    author: str = "caller",
    confirm_by_sms: bool = False,
) -> Callback:
    """Book a callback to ``number`` (E.164, already checked by ``callbacks.numbers``).

    Run it in a transaction of its own: losing a race for the number rolls
    the whole transaction back before :class:`AlreadyBooked` is raised.

    Raises :class:`AlreadyBooked` when the number has an active callback on
    ``line``, :class:`NoSlot` when nothing is free. ``source_call_sid`` (the
    call the request was made in) makes it idempotent: the same call books once.
    ``confirm_by_sms`` leaves an SMS confirmation for the worker (``callbacks.sms``).
    """
    again = _existing(session, line, number, source_call_sid)
    if again is not None:
        return again
    slot = take_slot(session, calendar, policy, line, now, when, at)
    callback = _scheduled(
        protocol, number, line, reason, slot.start, slot.end, source_call_sid, now, confirm_by_sms
    )
    _event(callback, now, "booked", f"{author}: {slot.start.isoformat()}")
    return _insert(session, callback, line, number)


def _scheduled(
    protocol: str,
    number: str,
    line: str,
    reason: str | None,
    start: datetime,
    end: datetime,
    source_call_sid: str | None,
    now: datetime,
    confirm_by_sms: bool,
) -> Callback:
    """A new callback due at ``start``, holding ``start``–``end`` (equal: no slot)."""
    return Callback(
        protocol=protocol,
        number=number,
        line=line,
        reason=reason,
        status=SCHEDULED,
        active_key=active_key(line, number),
        slot_start=start.astimezone(UTC),
        slot_end=end.astimezone(UTC),
        scheduled_for=start.astimezone(UTC),
        attempts=0,
        source_call_sid=source_call_sid,
        created_at=now,
        updated_at=now,
        sms_status=SMS_PENDING if confirm_by_sms else None,
    )


def book_now(
    session: Session,
    calendar: Calendar,
    *,
    line: str,
    number: str,
    protocol: str,
    now: datetime,
    reason: str | None = None,
    source_call_sid: str | None = None,
    confirm_by_sms: bool = False,
) -> Callback:
    """A callback for a caller who left the queue without losing their place.

    Due at ``now`` (or at the line's next opening when it is closed), in no
    slot: the dispatcher dials it as soon as the line can take a callback,
    ahead of every callback asked for later. Same errors and idempotency as
    :func:`book`; :class:`NoSlot` when the line never opens again.
    """
    require_aware(now, "now")
    again = _existing(session, line, number, source_call_sid)
    if again is not None:
        return again
    due = now if calendar.is_open(now) else calendar.next_opening(now)
    if due is None or due >= now + HORIZON:
        raise NoSlot(f"line {line!r} does not open again")
    due = due.astimezone(UTC)
    # no slot (start = end): nothing to give back
    callback = _scheduled(
        protocol, number, line, reason, due, due, source_call_sid, now, confirm_by_sms
    )
    _event(callback, now, "booked", f"caller, from the queue: {due.isoformat()}")
    return _insert(session, callback, line, number)


def holds_slot(callback: Callback) -> bool:
    """The callback took a place in a slot (not one booked from the queue, not a retry)."""
    return callback.attempts == 0 and callback.slot_end > callback.slot_start


def finish(callback: Callback, status: str, now: datetime, detail: str | None = None) -> None:
    """Mark ``callback`` completed, failed or cancelled: the number may book again."""
    callback.status = status
    callback.active_key = None
    callback.lease_owner = None
    callback.lease_until = None
    callback.updated_at = now
    if callback.sms_status == SMS_PENDING:  # nothing left to confirm
        callback.sms_status = None
    _event(callback, now, status, detail)


def cancel(session: Session, callback: Callback, now: datetime, author: str) -> None:
    """Cancel a callback that is still to be made; its slot place is given back."""
    if callback.status not in ACTIVE:
        raise NotActive(f"callback {callback.protocol} is {callback.status}")
    if callback.status == SCHEDULED and holds_slot(callback):
        _release(session, callback.line, callback.slot_start)
    finish(callback, CANCELLED, now, author)
    session.flush()


def reschedule(
    session: Session,
    callback: Callback,
    calendar: Calendar,
    policy: CallbackPolicy,
    now: datetime,
    *,
    when: When = When.FIRST_AVAILABLE,
    at: datetime | None = None,
    author: str = "supervisor",
    kind: str = "rescheduled",
) -> Slot:
    """Move a scheduled callback to another slot (first free one for ``when``/``at``)."""
    if callback.status != SCHEDULED:
        raise NotActive(f"callback {callback.protocol} is {callback.status}")
    with session.begin_nested():
        slot = take_slot(session, calendar, policy, callback.line, now, when, at)
        if holds_slot(callback):
            _release(session, callback.line, callback.slot_start)
        callback.slot_start = slot.start.astimezone(UTC)
        callback.slot_end = slot.end.astimezone(UTC)
        callback.scheduled_for = callback.slot_start
        callback.updated_at = now
        _event(callback, now, kind, f"{author}: {slot.start.isoformat()}")
        session.flush()
    return slot


def bring_forward(callback: Callback, now: datetime, author: str) -> None:
    """ "Ligar agora": a scheduled callback becomes due at ``now``, in its slot or not.

    The dispatcher still asks the calendar at dial time, so a closed line waits.
    """
    if callback.status != SCHEDULED:
        raise NotActive(f"callback {callback.protocol} is {callback.status}")
    callback.scheduled_for = now
    callback.updated_at = now
    _event(callback, now, "call_now", author)
