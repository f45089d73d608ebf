"""The call log, written by a background thread so webhooks never wait on it.

The web layer calls :meth:`CallLog.step`, :meth:`CallLog.status` and
:meth:`CallLog.recording`; each only puts a small event on a bounded queue
and returns. A writer thread takes events in batches and applies each batch
in one transaction. If a batch fails, it is retried event by event, so one
bad event cannot drop the others.

Twilio retries webhooks and may deliver status callbacks twice or out of
order, so every write is idempotent:

- a step is keyed by (CallSid, ``CallState.step``) and inserted with
  insert-or-ignore; a replay writes nothing;
- a status is applied only if it moves the call forward: by Twilio's
  ``SequenceNumber`` when both sides have one, otherwise by the order of
  call states, and a finished call is never reopened by a late "ringing".

Several processes may each run a ``CallLog`` on the same database. Every
event reads and updates the call row under a lock (``FOR UPDATE`` on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so their writes merge.

Log lines name the CallSid and never a phone number (LGPD).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, selectinload

from ivr.db import BEGIN_IMMEDIATE
from ivr.menus.actions import Outcome
from ivr.models import Call, CallStep

log = logging.getLogger(__name__)

calls: Table = Call.__table__  # type: ignore[assignment]
call_steps: Table = CallStep.__table__  # type: ignore[assignment]

TERMINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
# Order of the non-terminal Twilio CallStatus values; unknown ones rank as in-progress.
_STATUS_RANK = {"queued": 0, "initiated": 1, "ringing": 2, "in-progress": 3}
_TERMINAL_RANK = 4


def _rank(status: str | None) -> int:
    if status is None:
        return -1
    if status in TERMINAL_STATUSES:
        return _TERMINAL_RANK
    return _STATUS_RANK.get(status, 3)


@dataclass(frozen=True, slots=True)
class StepEvent:
    call_sid: str
    step: int
    node: str
    digits: str | None
    speech: str | None
    path: tuple[str, ...]
    outcome: Outcome | None
    line: str | None
    at: datetime
    account_sid: str | None
    from_number: str | None
    to_number: str | None
    version: int | None


@dataclass(frozen=True, slots=True)
class StatusEvent:
    call_sid: str
    call_status: str
    sequence_number: int | None
    duration: int | None
    at: datetime


@dataclass(frozen=True, slots=True)
class RecordingEvent:
    call_sid: str
    url: str
    duration: int | None
    at: datetime


Event = StepEvent | StatusEvent | RecordingEvent

_STOP = object()


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("call log times must be timezone-aware")


class CallLog:
    """Queue call-log events and write them from a background thread.

    ``start()`` launches the writer; ``stop()`` drains the queue and ends
    it. ``flush(timeout)`` waits until everything queued so far is written
    (without a running writer it writes them in the calling thread). When
    the queue is full, new events are dropped and counted in ``dropped``:
    a caller's webhook never waits on the database.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        max_queue: int = 10_000,
        batch_size: int = 200,
    ) -> None:
        self._engine = engine
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_queue)
        self._batch_size = batch_size
        self._pending = 0
        self._done = threading.Condition()
        self._thread: threading.Thread | None = None
        self._write_lock = threading.Lock()  # the writer thread and inline flushes
        self.dropped = 0

    # -- what the web layer calls ---------------------------------------

    def step(
        self,
        call_sid: str,
        state_step: int,
        node: str,
        digits: str | None,
        speech: str | None,
        path: tuple[str, ...],
        outcome: Outcome | None,
        line: str | None,
        at: datetime,
        *,
        account_sid: str | None,
        from_number: str | None,
        to_number: str | None,
        version: int | None,
    ) -> None:
        """Record one webhook request of a call (its first creates the call)."""
        _require_aware(at)
        self._put(
            StepEvent(
                call_sid=call_sid,
                step=state_step,
                node=node,
                digits=digits,
                speech=speech,
                path=tuple(path),
                outcome=outcome,
                line=line,
                at=at,
                account_sid=account_sid,
                from_number=from_number,
                to_number=to_number,
                version=version,
            )
        )

    def status(
        self,
        call_sid: str,
        call_status: str,
        sequence_number: int | None,
        duration: int | None,
        at: datetime,
    ) -> None:
        """Record a Twilio status callback (CallStatus, SequenceNumber, CallDuration)."""
        _require_aware(at)
        self._put(StatusEvent(call_sid, call_status, sequence_number, duration, at))

    def recording(
        self, call_sid: str, url: str, duration: int | None, at: datetime | None = None
    ) -> None:
        """Keep a voicemail recording's URL with the call (``at`` defaults to now)."""
        if at is not None:
            _require_aware(at)
        self._put(RecordingEvent(call_sid, url, duration, at or _utcnow()))

    # -- lifecycle --------------------------------------------------------

    def start(self) -> None:
        """Start the writer thread (idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._run, name="call-log-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Write what is queued and end the writer thread."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            try:
                self._queue.put(_STOP, timeout=timeout)
            except queue.Full:
                log.error("call log: queue full at shutdown; %d events unwritten", self._pending)
            thread.join(timeout)
        self._thread = None
        self._drain_inline()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every event queued so far is written; False on timeout."""
        if self._thread is None or not self._thread.is_alive():
            self._drain_inline()
        deadline = time.monotonic() + timeout
        with self._done:
            while self._pending > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._done.wait(remaining)
        return True

    @property
    def pending(self) -> int:
        """Events queued and not yet written."""
        return self._pending

    # -- the writer -------------------------------------------------------

    def _put(self, event: Event) -> None:
        with self._done:
            self._pending += 1
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            with self._done:
                self._pending -= 1
                self.dropped += 1
                dropped = self.dropped
                self._done.notify_all()
            if dropped == 1 or dropped % 1000 == 0:
                log.error(
                    "call log: queue full, dropped an event for %s (%d dropped so far)",
                    event.call_sid,
                    dropped,
                )

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            batch = [first]
            while len(batch) < self._batch_size:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            events = [item for item in batch if item is not _STOP]
            with self._write_lock:
                self._write(events)
            self._mark_done(len(events))
            if len(events) != len(batch):
                return

    def _drain_inline(self) -> None:
        with self._write_lock:
            while True:
                batch: list[Event] = []
                while len(batch) < self._batch_size:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is not _STOP:
                        batch.append(item)
                if not batch:
                    return
                self._write(batch)
                self._mark_done(len(batch))

    def _mark_done(self, count: int) -> None:
        if count:
            with self._done:
                self._pending -= count
                self._done.notify_all()

    def _write(self, events: Sequence[Event]) -> None:
        if not events:
            return
        try:
            self._transaction(events)
            return
        except Exception as exc:
            log.warning(
                "call log: a batch of %d events failed (%s); retrying one by one",
                len(events),
                _describe(exc),
            )
        for event in events:
            try:
                self._transaction([event])
            except Exception as exc:
                log.error(
                    "call log: dropped a %s event for %s (%s)",
                    type(event).__name__.removesuffix("Event").lower(),
                    event.call_sid,
                    _describe(exc),
                )

    def _transaction(self, events: Sequence[Event]) -> None:
        with self._engine.connect() as connection:
            connection.execution_options(**{BEGIN_IMMEDIATE: True})
            with connection.begin():
                for event in events:
                    apply_event(connection, event)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _describe(exc: BaseException) -> str:
    """The kind of a failure, without its message: messages may quote row values."""
    orig = getattr(exc, "orig", None)
    if orig is not None:
        return f"{type(exc).__name__}/{type(orig).__name__}"
    return type(exc).__name__


# -- applying events (idempotent; also usable synchronously) ----------------


def apply_event(connection: Connection, event: Event) -> None:
    """Apply one event inside the caller's transaction."""
    if isinstance(event, StepEvent):
        _apply_step(connection, event)
    elif isinstance(event, StatusEvent):
        _apply_status(connection, event)
    else:
        _apply_recording(connection, event)


def _insert_ignore(
    connection: Connection, table: Table, values: Mapping[str, Any], keys: Sequence[str]
) -> bool:
    """Insert a row unless one with the same ``keys`` exists; True if inserted."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table).values(**values)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).values(**values)
    else:  # pragma: no cover - only the two supported backends
        raise NotImplementedError(f"call log does not support {dialect}")
    result = connection.execute(stmt.on_conflict_do_nothing(index_elements=list(keys)))
    return bool(result.rowcount)


def _lock_call(connection: Connection, call_sid: str, at: datetime) -> Any:
    """Make sure the call row exists, then read it under a row lock."""
    _insert_ignore(
        connection,
        calls,
        {"call_sid": call_sid, "started_at": at, "updated_at": at},
        ["call_sid"],
    )
    stmt = select(calls).where(calls.c.call_sid == call_sid).with_for_update()
    return connection.execute(stmt).one()


def _update_call(connection: Connection, call_sid: str, changes: dict[str, Any]) -> None:
    if changes:
        connection.execute(update(calls).where(calls.c.call_sid == call_sid).values(**changes))


def _times(row: Any, at: datetime) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if at < row.started_at:
        changes["started_at"] = at
    if at > row.updated_at:
        changes["updated_at"] = at
    return changes


def _apply_step(connection: Connection, event: StepEvent) -> None:
    row = _lock_call(connection, event.call_sid, event.at)
    inserted = _insert_ignore(
        connection,
        call_steps,
        {
            "call_sid": event.call_sid,
            "step": event.step,
            "node": event.node,
            "digits": event.digits,
            "speech": event.speech,
            "path": list(event.path),
            "outcome": event.outcome.kind if event.outcome else None,
            "outcome_detail": event.outcome.detail if event.outcome else None,
            "at": event.at,
        },
        ["call_sid", "step"],
    )
    if not inserted:
        return  # Twilio retried this webhook: already logged
    changes = _times(row, event.at)
    for column, value in (
        ("account_sid", event.account_sid),
        ("from_number", event.from_number),
        ("to_number", event.to_number),
        ("menu_version", event.version),
    ):
        if getattr(row, column) is None and value is not None:
            changes[column] = value
    newest = row.last_step is None or event.step >= row.last_step
    # Where the caller was left after this step: the last node entered.
    where = event.path[-1] if event.path else event.node
    if newest:
        changes["last_step"] = event.step
        changes["last_node"] = where
    if event.line is not None and (newest or row.line is None):
        changes["line"] = event.line
    if event.outcome is not None:
        if row.outcome_step is None or event.step >= row.outcome_step:
            changes["outcome"] = event.outcome.kind
            changes["outcome_detail"] = event.outcome.detail
            changes["outcome_step"] = event.step
    elif newest and row.outcome_step is None and row.outcome == "hung_up":
        # The hang-up was inferred before this step arrived: it happened here.
        changes["outcome_detail"] = where
    _update_call(connection, event.call_sid, changes)


def _status_applies(row: Any, event: StatusEvent) -> bool:
    current, new = row.status, event.call_status
    if not new:
        return False
    if current is None:
        return True
    if current in TERMINAL_STATUSES and new not in TERMINAL_STATUSES:
        return False  # a late "ringing" never reopens a finished call
    if event.sequence_number is not None and row.last_sequence is not None:
        return event.sequence_number > row.last_sequence
    return _rank(new) > _rank(current)


def _apply_status(connection: Connection, event: StatusEvent) -> None:
    row = _lock_call(connection, event.call_sid, event.at)
    changes = _times(row, event.at)
    applies = _status_applies(row, event)
    if applies:
        changes["status"] = event.call_status
        if event.sequence_number is not None:
            changes["last_sequence"] = max(event.sequence_number, row.last_sequence or 0)
    if event.call_status in TERMINAL_STATUSES:
        if row.ended_at is None:
            changes["ended_at"] = event.at
        if row.duration is None and event.duration is not None:
            changes["duration"] = event.duration
        if applies and row.outcome is None:
            if event.call_status in ("completed", "canceled"):
                # The caller hung up before the menu sent them anywhere.
                changes["outcome"] = "hung_up"
                changes["outcome_detail"] = row.last_node or ""
            else:
                changes["outcome"] = "error"
                changes["outcome_detail"] = event.call_status
    _update_call(connection, event.call_sid, changes)


def _apply_recording(connection: Connection, event: RecordingEvent) -> None:
    row = _lock_call(connection, event.call_sid, event.at)
    changes = _times(row, event.at)
    changes["recording_url"] = event.url
    if event.duration is not None:
        changes["recording_duration"] = event.duration
    _update_call(connection, event.call_sid, changes)


# -- reading ----------------------------------------------------------------


def get_call(session: Session, call_sid: str) -> Call | None:
    """The call with its steps in order, or None."""
    stmt = select(Call).where(Call.call_sid == call_sid).options(selectinload(Call.steps))
    return session.scalars(stmt).first()


def recent_calls(session: Session, limit: int = 50) -> list[Call]:
    """The most recently started calls, newest first."""
    stmt = select(Call).order_by(Call.started_at.desc(), Call.call_sid).limit(limit)
    return list(session.scalars(stmt))
