"""Emergency closures: stored by supervisors, seen by every process within seconds.

The calendar (``hours``) asks its emergency source on every query; the
:class:`ClosureCache` answers from memory and re-reads the table at most
once per ``refresh_interval`` (2 s by default), so a closure set from the
console or the command line reaches every web process within the 5 s the
line promises, without a database read per webhook.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, or_, select
from sqlalchemy.orm import Session

from hours.clock import require_aware
from hours.schedule import EmergencyClosure
from ivr.storage.models import EmergencyClosureRecord

log = logging.getLogger(__name__)


def close(
    session: Session,
    message: str,
    start: datetime,
    end: datetime | None,
    author: str,
    schedules: list[str] | None = None,
    *,
    now: datetime,
) -> EmergencyClosureRecord:
    """Close the line (all schedules, or the named ones) from ``start`` until ``end``.

    ``now`` is when the supervisor asked: a closure planned ahead starts later.
    """
    require_aware(start, "start")
    require_aware(now, "now")
    if end is not None:
        require_aware(end, "end")
        if end <= start:
            raise ValueError(
                "o fim do fechamento precisa ser depois do início"
                " (um fim que já passou não fecha nada)"
            )
    if not message.strip():
        raise ValueError("Escreva a mensagem que quem ligar vai ouvir.")
    record = EmergencyClosureRecord(
        start=start,
        end=end,
        message=message.strip(),
        schedules=sorted(schedules) if schedules else None,
        author=author,
        created_at=now,
    )
    session.add(record)
    session.flush()
    return record


def reopen(session: Session, now: datetime, closure_id: int | None = None) -> int:
    """End the closures in force at ``now`` (or only the one numbered ``closure_id``);
    how many were ended. A closure planned for later is cancelled outright."""
    query = _in_force_or_planned(now)
    if closure_id is not None:
        query = query.where(EmergencyClosureRecord.id == closure_id)
    records = session.scalars(query).all()
    for record in records:
        record.end = now if record.start <= now else record.start
    session.flush()
    return len(records)


def _in_force_or_planned(now: datetime | None) -> Select[Any]:
    """Closures not cancelled (a cancelled one ends when it starts) that end after ``now``.

    ``now`` None: every closure ever made that was not cancelled.
    """
    record = EmergencyClosureRecord
    query = select(record).where(or_(record.end.is_(None), record.end > record.start))
    if now is not None:
        require_aware(now, "now")
        query = query.where(or_(record.end.is_(None), record.end > now))
    return query.order_by(record.start)


def current(session: Session, now: datetime) -> list[EmergencyClosureRecord]:
    """Closures in force at ``now`` or planned after it."""
    return list(session.scalars(_in_force_or_planned(now)))


def emergency_closures(
    session: Session, now: datetime | None = None
) -> tuple[EmergencyClosure, ...]:
    """What the calendar is given: closures in force at ``now`` or planned (None: all)."""
    return tuple(as_closure(r) for r in session.scalars(_in_force_or_planned(now)))


def as_closure(record: EmergencyClosureRecord) -> EmergencyClosure:
    return EmergencyClosure(
        start=record.start,
        end=record.end,
        message=record.message,
        schedules=frozenset(record.schedules) if record.schedules else None,
    )


class ClosureCache:
    """The calendar's emergency source for one process: callable, cheap, fresh within seconds."""

    def __init__(
        self,
        engine: Engine,
        now: Callable[[], datetime],
        refresh_interval: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._now = now
        self._monotonic = monotonic
        self._refresh_interval = refresh_interval
        self._closures: tuple[EmergencyClosure, ...] = ()
        self._checked_at: float | None = None
        self._lock = threading.Lock()

    def __call__(self) -> tuple[EmergencyClosure, ...]:
        checked = self._checked_at
        if checked is not None and self._monotonic() - checked < self._refresh_interval:
            return self._closures
        if not self._lock.acquire(blocking=checked is None):
            return self._closures  # another thread is reading: serve what we have
        try:
            self._refresh()
        finally:
            self._lock.release()
        return self._closures

    def _refresh(self) -> None:
        started = self._monotonic()
        try:
            with Session(self._engine) as session:
                self._closures = emergency_closures(session, self._now())
        except Exception as exc:  # keep serving the last known closures
            log.warning("emergency closures check failed (%s)", type(exc).__name__)
        self._checked_at = started
