"""The dispatcher: dials due callbacks, within business hours, at the account's pace.

The project's tables are the truth; a ticker (APScheduler in ``ivr worker``)
only calls :meth:`Dispatcher.tick`. Each tick:

1. **Recovers** callbacks whose lease ran out: a worker died holding them.
2. **Claims** due callbacks (``status = scheduled``, ``scheduled_for <= now``)
   by setting ``dialing`` and a lease, in one short transaction that holds
   an advisory lock on PostgreSQL (and ``FOR UPDATE SKIP LOCKED`` on the
   rows), or SQLite's write lock: claims never overlap, so no callback is
   claimed twice and no line gets more than ``max_simultaneous`` at once.
3. For each claimed callback: waits for a **dial token** (one conditional
   update of ``dial_pacing``, so ``IVR_CALLBACK_CPS`` holds for the account
   however many workers run), **asks the calendar again** (an emergency
   closure set since the booking postpones it to the next opening), records
   the attempt, and dials.

Twilio's status callbacks (:func:`record_status`) then decide: answered by a
person is done; no answer, busy, failed or a machine is retried after the
line's ``retry_minutes``, at the next open instant, up to ``max_attempts``;
then the callback fails and ``on_failed`` opens a ticket.

The window for a second dial: a worker that dies after Twilio accepted its
call but before it committed the CallSid (one HTTP answer and one commit,
milliseconds) leaves an attempt with no CallSid; when its lease runs out and
Twilio has not reported on that call either, the attempt counts as failed
and the callback is retried, so the customer may be called twice. Dying at
any other point loses nothing and dials nothing twice.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session

from callbacks.booking import (
    COMPLETED,
    DIALING,
    FAILED,
    IN_CALL,
    SCHEDULED,
    finish,
)
from callbacks.outbound import Dialer, DialFailed, OutboundCall
from callbacks.policy import CallbackPolicy
from hours.calendar import Calendar
from hours.clock import Clock, utc_now
from ivr.storage.db import write_engine
from ivr.storage.models import Callback, CallbackAttempt, CallbackEvent, DialPacing

log = logging.getLogger(__name__)

__all__ = ["Dispatcher", "LineSetup", "record_status"]

PACING_ROW = "twilio"
CLAIM_LOCK = 0x1B_CA11  # pg_advisory_xact_lock key of the claim transaction

# Twilio's CallStatus values in the order a call goes through them.
_RANK = {
    "queued": 0,
    "initiated": 1,
    "ringing": 2,
    "in-progress": 3,
    "completed": 4,
    "busy": 4,
    "no-answer": 4,
    "failed": 4,
    "canceled": 4,
}
FINAL = frozenset(s for s, rank in _RANK.items() if rank == 4)


@dataclass(frozen=True, slots=True)
class LineSetup:
    """What the dispatcher needs of a product line: its calendar and callback policy."""

    calendar: Calendar
    policy: CallbackPolicy


LineLookup = Callable[[str], LineSetup]
FailureHook = Callable[[Session, Callback, datetime], str | None]


def _event(session: Session, callback: Callback, at: datetime, kind: str, detail: str) -> None:
    session.add(CallbackEvent(callback_id=callback.id, at=at, kind=kind, detail=detail))


def _attempt_over(
    session: Session,
    callback: Callback,
    setup: LineSetup,
    now: datetime,
    outcome: str,
    on_failed: FailureHook | None,
) -> None:
    """An attempt did not reach the customer: retry later in business hours, or give up."""
    policy = setup.policy
    retry_at = None
    if callback.attempts < policy.max_attempts:
        retry_at = setup.calendar.next_opening(now + policy.retry_delay)
    if retry_at is None:
        finish(callback, FAILED, now, outcome)
        if on_failed is not None:
            callback.ticket_protocol = on_failed(session, callback, now)
        log.info("callback %s failed after %d attempts", callback.protocol, callback.attempts)
        return
    callback.status = SCHEDULED
    callback.scheduled_for = retry_at.astimezone(UTC)
    callback.lease_owner = None
    callback.lease_until = None
    callback.call_sid = None
    callback.updated_at = now
    _event(session, callback, now, "retry", f"{outcome}; {retry_at.isoformat()}")


def record_status(
    session: Session,
    lines: LineLookup,
    attempt_id: int,
    *,
    call_sid: str,
    call_status: str,
    sequence: int | None,
    answered_by: str | None,
    now: datetime,
    on_failed: FailureHook | None = None,
) -> bool:
    """Apply one of Twilio's status callbacks for an attempt; False when it changed nothing.

    Repeated and late callbacks never move an attempt back: a lower
    ``SequenceNumber`` or an earlier status than the one applied is ignored,
    and an attempt with an outcome is final.
    """
    attempt = session.get(CallbackAttempt, attempt_id)
    if attempt is None or call_status not in _RANK:
        return False
    if attempt.call_sid is None and call_sid:
        attempt.call_sid = call_sid
    elif call_sid and attempt.call_sid != call_sid:
        return False  # not this attempt's call: a forged or misrouted request
    if attempt.outcome is not None:
        return False
    last_sequence = attempt.last_sequence
    if sequence is not None and last_sequence is not None and sequence <= last_sequence:
        return False
    if attempt.status is not None and _RANK[call_status] < _RANK.get(attempt.status, 0):
        return False
    attempt.status = call_status
    if sequence is not None:
        attempt.last_sequence = sequence
    if answered_by:
        attempt.answered_by = answered_by
    callback = attempt.callback
    current = attempt.attempt == callback.attempts and callback.status in (DIALING, IN_CALL)
    if call_status not in FINAL:
        if current and callback.status == DIALING:
            callback.status = IN_CALL
            callback.call_sid = attempt.call_sid
        return True
    attempt.ended_at = now
    machine = (attempt.answered_by or "").startswith(("machine", "fax"))
    if call_status == "completed":
        attempt.outcome = "machine" if machine else "answered"
    else:
        attempt.outcome = call_status
    if not current:
        return True
    if attempt.outcome == "answered":
        finish(callback, COMPLETED, now, f"attempt {attempt.attempt}")
    else:
        _attempt_over(session, callback, lines(callback.line), now, attempt.outcome, on_failed)
    return True


class Dispatcher:
    """Claims and dials due callbacks; one per worker process (or per ``ivr serve``)."""

    def __init__(
        self,
        engine: Engine,
        lines: LineLookup,
        dialer: Dialer,
        public_url: str,
        clock: Clock,
        *,
        cps: float | None = 1.0,
        owner: str | None = None,
        batch: int = 20,
        lease: timedelta = timedelta(minutes=2),
        in_call_limit: timedelta = timedelta(hours=2),
        on_failed: FailureHook | None = None,
        pace_clock: Clock = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._engine = engine
        self._writer = write_engine(engine)
        self._lines = lines
        self._dialer = dialer
        self._public_url = public_url.rstrip("/")
        self._clock = clock
        self._cps = cps
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"[:64]
        # A claim holds no more than ~10 s of dialing at the account's pace,
        # so its lease (renewed at each dial) never runs out while it waits.
        self._batch = batch if cps is None else max(1, min(batch, math.ceil(cps * 10)))
        self._lease = lease
        self._in_call_limit = in_call_limit
        self._on_failed = on_failed
        self._pace_clock = pace_clock
        self._sleep = sleep
        self._postgres = engine.dialect.name == "postgresql"

    # ------------------------------------------------------------------ the tick

    def tick(self) -> int:
        """Recover, claim and dial what is due now; how many calls were placed."""
        now = self._clock()
        self.recover(now)
        dialed = 0
        for callback_id in self.claim(now):
            dialed += self._dial(callback_id)
        return dialed

    def run_until_idle(self, max_ticks: int = 1000) -> int:
        """Tick until nothing due is left (tests, benchmarks); calls placed."""
        total = 0
        for _ in range(max_ticks):
            placed = self.tick()
            total += placed
            with Session(self._engine) as session:
                due = session.scalar(
                    select(func.count())
                    .select_from(Callback)
                    .where(Callback.status == SCHEDULED, Callback.scheduled_for <= self._clock())
                )
            if not due:
                break
        return total

    def recover(self, now: datetime) -> int:
        """Callbacks whose lease ran out (their worker died): counted, then retried or freed."""
        recovered = 0
        with Session(self._writer) as session, session.begin():
            stale = session.scalars(
                select(Callback).where(
                    Callback.status.in_((DIALING, IN_CALL)), Callback.lease_until < now
                )
            ).all()
            for callback in stale:
                recovered += 1
                last = session.scalar(
                    select(CallbackAttempt).where(
                        CallbackAttempt.callback_id == callback.id,
                        CallbackAttempt.attempt == callback.attempts,
                    )
                )
                if callback.status == DIALING and last is None:
                    # died before recording an attempt: nothing was dialed
                    callback.status = SCHEDULED
                    callback.lease_owner = callback.lease_until = None
                    _event(session, callback, now, "released", "lease expired before dialing")
                    continue
                reported = last is not None and last.status is not None and last.outcome is None
                if reported and callback.status == DIALING:  # Twilio has the call: wait
                    callback.status = IN_CALL
                    callback.lease_until = now + self._in_call_limit
                    continue
                if last is not None and last.outcome is None:
                    last.outcome = "lost"
                    last.ended_at = now
                _attempt_over(
                    session, callback, self._lines(callback.line), now, "lost", self._on_failed
                )
        return recovered

    def claim(self, now: datetime) -> list[int]:
        """Take up to a batch of due callbacks for this worker, within each line's limit."""
        with Session(self._writer) as session, session.begin():
            if self._postgres:
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK})
            busy: dict[str, int] = dict(
                session.execute(
                    select(Callback.line, func.count())
                    .where(Callback.status.in_((DIALING, IN_CALL)))
                    .group_by(Callback.line)
                ).all()
            )
            query = (
                select(Callback.id, Callback.line)
                .where(Callback.status == SCHEDULED, Callback.scheduled_for <= now)
                .order_by(Callback.scheduled_for, Callback.id)
                .limit(self._batch * 4)
            )
            if self._postgres:
                query = query.with_for_update(skip_locked=True)
            picked: list[int] = []
            for callback in session.execute(query):
                if len(picked) >= self._batch:
                    break
                limit = self._lines(callback.line).policy.max_simultaneous
                if busy.get(callback.line, 0) >= limit:
                    continue
                busy[callback.line] = busy.get(callback.line, 0) + 1
                picked.append(callback.id)
            if picked:  # one statement for the batch
                table = Callback.__table__
                session.connection().execute(
                    update(table)
                    .where(table.c.id.in_(picked))
                    .values(status=DIALING, lease_owner=self.owner, lease_until=now + self._lease)
                )
        return picked

    # ------------------------------------------------------------------ one call

    def _dial(self, callback_id: int) -> int:
        self._pace()
        now = self._clock()
        with Session(self._writer) as session, session.begin():
            callback = session.get(Callback, callback_id)
            if callback is None or callback.status != DIALING or callback.lease_owner != self.owner:
                return 0
            setup = self._lines(callback.line)
            if not setup.calendar.is_open(now):
                self._postpone(session, callback, setup, now)
                return 0
            callback.attempts += 1
            callback.lease_until = now + self._lease
            callback.updated_at = now
            attempt = CallbackAttempt(
                callback_id=callback.id, attempt=callback.attempts, dialed_at=now
            )
            session.add(attempt)
            session.flush()
            attempt_id, number, attempt_number = attempt.id, callback.number, attempt.attempt
        call = OutboundCall(
            to=number,
            answer_url=f"{self._public_url}/callbacks/answer?attempt={attempt_id}",
            status_url=f"{self._public_url}/callbacks/status?attempt={attempt_id}",
        )
        try:
            sid = self._dialer.dial(call)
        except DialFailed as exc:
            log.warning("callback attempt %d not placed: %s", attempt_id, exc)
            with Session(self._writer) as session, session.begin():
                attempt = session.get(CallbackAttempt, attempt_id)
                assert attempt is not None
                attempt.outcome = "not_placed"
                attempt.ended_at = now
                callback = attempt.callback
                if exc.permanent:
                    callback.attempts = max(callback.attempts, setup.policy.max_attempts)
                _attempt_over(session, callback, setup, now, "not_placed", self._on_failed)
            return 0
        # Two plain updates (the hot path): a status callback may have come first.
        attempts, callbacks = CallbackAttempt.__table__, Callback.__table__
        with self._writer.begin() as connection:
            connection.execute(
                update(attempts)
                .where(attempts.c.id == attempt_id, attempts.c.call_sid.is_(None))
                .values(call_sid=sid)
            )
            connection.execute(
                update(callbacks)
                .where(
                    callbacks.c.id == callback_id,
                    callbacks.c.status == DIALING,
                    callbacks.c.attempts == attempt_number,
                )
                .values(status=IN_CALL, call_sid=sid, lease_until=now + self._in_call_limit)
            )
        return 1

    def _postpone(
        self, session: Session, callback: Callback, setup: LineSetup, now: datetime
    ) -> None:
        """Closed at dial time (an emergency closure, a closure added later): next opening."""
        opens = setup.calendar.next_opening(now)
        if opens is None:
            finish(callback, FAILED, now, "the line stays closed")
            if self._on_failed is not None:
                callback.ticket_protocol = self._on_failed(session, callback, now)
            return
        callback.status = SCHEDULED
        callback.scheduled_for = opens.astimezone(UTC)
        callback.lease_owner = callback.lease_until = None
        callback.updated_at = now
        _event(session, callback, now, "postponed", f"closed at dial time; {opens.isoformat()}")

    def _pace(self) -> None:
        """Wait for the account's next dial token (IVR_CALLBACK_CPS across all processes)."""
        if self._cps is None:
            return
        interval = timedelta(seconds=1 / self._cps)
        while True:
            now = self._pace_clock()
            with Session(self._writer) as session, session.begin():
                _insert_pacing_row(session, now)
                taken = session.execute(
                    update(DialPacing)
                    .where(DialPacing.name == PACING_ROW, DialPacing.next_at <= now)
                    .values(next_at=now + interval)
                    .execution_options(synchronize_session=False)
                )
                if taken.rowcount == 1:  # type: ignore[attr-defined]
                    return
                next_at = session.scalar(
                    select(DialPacing.next_at).where(DialPacing.name == PACING_ROW)
                )
            wait = (next_at - now).total_seconds() if next_at is not None else 0.0
            self._sleep(min(max(wait, 0.001), 1 / self._cps))


def _insert_pacing_row(session: Session, now: datetime) -> None:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    values = {"name": PACING_ROW, "next_at": now - timedelta(days=1)}
    session.execute(insert(DialPacing).values(values).on_conflict_do_nothing())
