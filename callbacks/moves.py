"""Closures set after booking: callbacks they cover move to the next open slots.

A closure (an emergency "fechar agora", or one added to the schedule) may
cover callbacks already booked. :func:`move_out_of_closures` finds every
scheduled callback whose slot is no longer entirely open and books it into
the first free slot after its old one, capacity respected; a retry waiting
for a closed instant waits for the next opening instead. The dispatcher
asks the calendar again at dial time too, so nothing is ever dialed while
closed, even before this runs.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from callbacks.booking import SCHEDULED, NoSlot, reschedule
from callbacks.dispatcher import LineLookup
from ivr.storage.models import Callback, CallbackEvent


def move_out_of_closures(session: Session, lines: LineLookup, now: datetime) -> int:
    """Move the scheduled callbacks that closures now cover; how many were moved."""
    moved = 0
    due = session.scalars(
        select(Callback)
        .where(Callback.status == SCHEDULED, Callback.slot_end > now)
        .order_by(Callback.slot_start, Callback.id)
    ).all()
    for callback in due:
        setup = lines(callback.line)
        calendar = setup.calendar
        if callback.attempts:  # a retry: it waits for the next open instant
            if calendar.is_open(callback.scheduled_for):
                continue
            opens = calendar.next_opening(max(callback.scheduled_for, now))
            if opens is None:
                continue  # the dispatcher fails it and opens a ticket when it comes due
            callback.scheduled_for = opens.astimezone(UTC)
            session.add(
                CallbackEvent(
                    callback_id=callback.id, at=now, kind="moved", detail=opens.isoformat()
                )
            )
            moved += 1
            continue
        length = callback.slot_end - callback.slot_start
        if calendar.business_time_between(callback.slot_start, callback.slot_end) == length:
            continue
        try:
            reschedule(
                session,
                callback,
                calendar,
                setup.policy,
                now,
                at=max(callback.slot_start, now),
                author="fechamento",
                kind="moved",
            )
        except NoSlot:
            continue  # left where it is: the dispatcher postpones it at dial time
        moved += 1
    session.flush()
    return moved
