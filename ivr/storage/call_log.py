"""The call log, written by a background thread so webhooks never wait on it.

The web layer calls :meth:`CallLog.step`, :meth:`CallLog.status` and
:meth:`CallLog.recording`; each only puts a small event on a bounded queue
and returns. A writer thread takes events in batches (up to 500, waiting a
moment for more when the queue is shallow) and applies each batch in one
transaction, set-wise: a few statements per batch, not per event (see
:func:`apply_events`). If a batch fails, it is retried in halves until each
bad event is alone, so one bad event cannot drop the others.

Twilio retries webhooks and may deliver status callbacks twice or out of
order, so every write is idempotent:

- a step is keyed by (CallSid, ``CallState.step``) and inserted with
  insert-or-ignore; a replay writes nothing;
- a status is applied only if it moves the call forward: by Twilio's
  ``SequenceNumber`` when both sides have one, otherwise by the order of
  call states, and a finished call is never reopened by a late "ringing".

Several processes may each run a ``CallLog`` on the same database. Every
batch reads and updates its calls' rows under a lock (``FOR UPDATE`` on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so their writes merge; the end
state is the same as applying the events one by one in queue order.

Log lines name the CallSid and never a phone number (LGPD).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, selectinload

from hours.clock import require_aware, utc_now
from ivr.menus.actions import Outcome
from ivr.storage.db import BEGIN_IMMEDIATE
from ivr.storage.models import Call, CallStep

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


class CallLog:
    """Queue call-log events and write them from a background thread.

    ``start()`` launches the writer; ``stop()`` drains the queue and ends
    it. ``flush(timeout)`` waits until everything queued so far is written
    (without a running writer it writes them in the calling thread). When
    the queue is full, new events are dropped and counted in ``dropped``:
    a caller's webhook never waits on the database.

    ``batch_size`` bounds the events per transaction; when fewer are queued,
    the writer waits up to ``linger`` seconds for more (``flush`` and
    ``stop`` cut that short), since a transaction's fixed cost dwarfs the
    cost of one more event in it. A tenth of a second keeps the call log
    fresh for people and, measured with ``make bench``, lets the web
    process serve several percent more webhooks than 50 ms did (fewer,
    larger batches: fewer statements, fewer bursts of the writer holding
    the GIL); 250 ms gained little more and lengthened the p99. The price:
    a process killed without warning loses what it queued in that last
    tenth of a second (a graceful stop writes it). ``max_queue`` (~300
    bytes an event) lets the queue absorb tens of seconds of a stalled
    database at 2000 events/s.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        max_queue: int = 100_000,
        batch_size: int = 500,
        linger: float = 0.1,
    ) -> None:
        self._engine = engine
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_queue)
        self._batch_size = batch_size
        self._linger = linger
        self._pending = 0
        self._done = threading.Condition()
        self._hurry = threading.Condition()  # wakes a lingering writer
        self._hurrying = 0  # flush() and stop() calls under way
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
        require_aware(at, "a call log time")
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
        require_aware(at, "a call log time")
        self._put(StatusEvent(call_sid, call_status, sequence_number, duration, at))

    def recording(
        self, call_sid: str, url: str, duration: int | None, at: datetime | None = None
    ) -> None:
        """Keep a voicemail recording's URL with the call (``at`` defaults to now)."""
        if at is not None:
            require_aware(at, "a call log time")
        self._put(RecordingEvent(call_sid, url, duration, at or utc_now()))

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
            with self._hurried():
                try:
                    self._queue.put(_STOP, timeout=timeout)
                except queue.Full:
                    log.error(
                        "call log: queue full at shutdown; %d events unwritten", self._pending
                    )
                thread.join(timeout)
        self._thread = None
        self._drain_inline()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every event queued so far is written; False on timeout."""
        if self._thread is None or not self._thread.is_alive():
            self._drain_inline()
        deadline = time.monotonic() + timeout
        with self._hurried(), self._done:
            while self._pending > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._done.wait(remaining)
        return True

    @contextlib.contextmanager
    def _hurried(self) -> Iterator[None]:
        """While someone waits on the writer, it writes what it has without lingering."""
        with self._hurry:
            self._hurrying += 1
            self._hurry.notify_all()
        try:
            yield
        finally:
            with self._hurry:
                self._hurrying -= 1

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
            if first is not _STOP and self._queue.qsize() < self._batch_size - 1:
                # A shallow queue: wait a moment for more events, so that a
                # transaction's fixed cost (~200 µs) is shared by many of them.
                with self._hurry:
                    self._hurry.wait_for(lambda: self._hurrying > 0, self._linger)
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
            if len(events) == 1:
                _log_dropped(events[0], exc)
                return
            log.warning(
                "call log: a batch of %d events failed (%s); retrying it in halves",
                len(events),
                _describe(exc),
            )
        self._retry(events)

    def _retry(self, events: Sequence[Event]) -> None:
        """Write ``events`` in order, halving the parts that fail until each bad event is alone.

        A failed transaction changes nothing, so this ends as if the events
        were applied one by one, the bad ones skipped.
        """
        middle = len(events) // 2
        for part in (events[:middle], events[middle:]):
            try:
                self._transaction(part)
            except Exception as exc:
                if len(part) == 1:
                    _log_dropped(part[0], exc)
                else:
                    self._retry(part)

    def _transaction(self, events: Sequence[Event], attempts: int = 3) -> None:
        with self._engine.connect() as connection:
            connection.execution_options(**{BEGIN_IMMEDIATE: True})
            for attempt in range(1, attempts + 1):
                try:
                    with connection.begin():
                        apply_events(connection, events)
                    return
                except CallCreatedConcurrently:
                    if attempt == attempts:
                        raise


def _log_dropped(event: Event, exc: BaseException) -> None:
    log.error(
        "call log: dropped a %s event for %s (%s)",
        type(event).__name__.removesuffix("Event").lower(),
        event.call_sid,
        _describe(exc),
    )


def _describe(exc: BaseException) -> str:
    """The kind of a failure, without its message: messages may quote row values."""
    orig = getattr(exc, "orig", None)
    if orig is not None:
        return f"{type(exc).__name__}/{type(orig).__name__}"
    return type(exc).__name__


# -- applying events (idempotent; also usable synchronously) ----------------
#
# A batch is applied set-wise, with a handful of statements whatever its size:
#
# 1. read the rows of the calls the batch names, under a lock (FOR UPDATE in
#    CallSid order on PostgreSQL; SQLite holds the write lock from BEGIN
#    IMMEDIATE);
# 2. calls without a row get one built in Python, the batch's events folded
#    into it, and one INSERT … ON CONFLICT DO NOTHING RETURNING (if another
#    writer created one of them meanwhile, the batch is rolled back and
#    retried: it then finds the row);
# 3. insert-or-ignore the first copy of every (CallSid, step) in the batch,
#    RETURNING the keys actually inserted (the others are replays);
# 4. fold the remaining events into the existing rows in Python, in queue
#    order, with the same rules as applying them one by one
#    (``_step_changes`` and friends);
# 5. write back the changed columns of the rows that changed: one
#    executemany UPDATE per set of changed columns.
#
# No deadlock between writers: row locks are taken in CallSid order before
# any insert; an insert waits only on another writer's insert of a new call,
# which holds no lock this writer waits on (a conflict with a committed row
# does not wait); steps are inserted only for calls this writer holds.


class CallCreatedConcurrently(Exception):
    """Another writer created a call this batch was creating; retry the batch."""


@dataclass(frozen=True, slots=True)
class _Statements:
    """The writer's statements for one dialect, built once and reused (compiled once)."""

    select_calls: Any
    insert_calls: Any
    insert_steps: Any
    updates: dict[frozenset[str], Any] = field(default_factory=dict)

    def update_call(self, columns: frozenset[str]) -> Any:
        """UPDATE calls SET <columns> WHERE call_sid = :key_call_sid, one per column set."""
        stmt = self.updates.get(columns)
        if stmt is None:
            stmt = self.updates[columns] = (
                update(calls)
                .where(calls.c.call_sid == bindparam("key_call_sid"))
                .values({name: bindparam(name) for name in sorted(columns)})
            )
        return stmt


_statements_by_dialect: dict[str, _Statements] = {}


def _statements(connection: Connection) -> _Statements:
    dialect = connection.dialect.name
    found = _statements_by_dialect.get(dialect)
    if found is not None:
        return found
    if dialect == "postgresql":
        insert: Any = postgresql.insert
    elif dialect == "sqlite":
        insert = sqlite.insert
    else:  # pragma: no cover - only the two supported backends
        raise NotImplementedError(f"call log does not support {dialect}")
    built = _Statements(
        select_calls=select(calls)
        .where(calls.c.call_sid.in_(bindparam("sids", expanding=True)))
        .order_by(calls.c.call_sid)
        .with_for_update(),
        insert_calls=insert(calls)
        .on_conflict_do_nothing(index_elements=["call_sid"])
        .returning(calls.c.call_sid),
        insert_steps=insert(call_steps)
        .on_conflict_do_nothing(index_elements=["call_sid", "step"])
        .returning(call_steps.c.call_sid, call_steps.c.step),
    )
    _statements_by_dialect[dialect] = built
    return built


_NEW_CALL = dict.fromkeys(c.name for c in calls.columns)


def apply_event(connection: Connection, event: Event) -> None:
    """Apply one event inside the caller's transaction."""
    apply_events(connection, [event])


def apply_events(connection: Connection, events: Sequence[Event]) -> None:
    """Apply ``events`` inside the caller's transaction, as if one by one in order.

    Raises :class:`CallCreatedConcurrently` (roll back and call again) when
    another writer created one of the batch's calls at the same moment.
    """
    if not events:
        return
    statements = _statements(connection)
    first_at: dict[str, datetime] = {}
    first_steps: dict[tuple[str, int], StepEvent] = {}
    for event in events:
        first_at.setdefault(event.call_sid, event.at)
        if isinstance(event, StepEvent):
            first_steps.setdefault((event.call_sid, event.step), event)

    rows: dict[str, dict[str, Any]] = {
        row.call_sid: row._asdict()
        for row in connection.execute(statements.select_calls, {"sids": sorted(first_at)})
    }
    before = {sid: dict(row) for sid, row in rows.items()}

    new = {sid: {**_NEW_CALL, "call_sid": sid, "started_at": at, "updated_at": at}
           for sid, at in first_at.items() if sid not in rows}  # fmt: skip
    if new:
        # A call without a row has no steps: each step's first copy is new.
        _fold(new, [event for event in events if event.call_sid in new], set(first_steps))
        created = connection.execute(
            statements.insert_calls, [new[sid] for sid in sorted(new)]
        ).scalars()
        if len(set(created)) != len(new):
            raise CallCreatedConcurrently

    if first_steps:
        result = connection.execute(
            statements.insert_steps, [_step_values(event) for event in first_steps.values()]
        )
        inserted = {(sid, step) for sid, step in result}
        if any(key not in inserted for key in first_steps if key[0] in new):
            raise CallCreatedConcurrently  # its steps too: another writer logged them
    else:
        inserted = set()

    if rows:
        _fold(rows, [event for event in events if event.call_sid in rows], inserted)
    # One executemany per set of changed columns (a handful per batch).
    changed: dict[frozenset[str], list[dict[str, Any]]] = {}
    for sid, row in rows.items():
        old = before[sid]
        values = {name: value for name, value in row.items() if value != old[name]}
        if values:
            changed.setdefault(frozenset(values), []).append({"key_call_sid": sid, **values})
    for columns, params in changed.items():
        connection.execute(statements.update_call(columns), params)


def _fold(
    rows: dict[str, dict[str, Any]], events: Sequence[Event], new_steps: set[tuple[str, int]]
) -> None:
    """Apply ``events`` (in order) to ``rows``; a step only if its key is in ``new_steps``."""
    for event in events:
        row = rows[event.call_sid]
        if isinstance(event, StepEvent):
            key = (event.call_sid, event.step)
            if key not in new_steps:
                continue  # Twilio retried this webhook: already logged
            new_steps.discard(key)  # a later copy in this batch is a replay too
            row.update(_step_changes(row, event))
        elif isinstance(event, StatusEvent):
            row.update(_status_changes(row, event))
        else:
            row.update(_recording_changes(row, event))


def _step_values(event: StepEvent) -> dict[str, Any]:
    outcome = event.outcome
    return {
        "call_sid": event.call_sid,
        "step": event.step,
        "node": event.node,
        "digits": event.digits,
        "speech": event.speech,
        "path": list(event.path),
        "outcome": outcome.kind if outcome else None,
        "outcome_detail": outcome.detail if outcome else None,
        "at": event.at,
    }


# The rules: each takes the call row (as a dict) and one event, and returns
# the columns to change. A step's rules run only when its row was inserted.


def _times(row: Mapping[str, Any], at: datetime) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if at < row["started_at"]:
        changes["started_at"] = at
    if at > row["updated_at"]:
        changes["updated_at"] = at
    return changes


def _step_changes(row: Mapping[str, Any], event: StepEvent) -> dict[str, Any]:
    changes = _times(row, event.at)
    for column, value in (
        ("account_sid", event.account_sid),
        ("from_number", event.from_number),
        ("to_number", event.to_number),
        ("menu_version", event.version),
    ):
        if row[column] is None and value is not None:
            changes[column] = value
    newest = row["last_step"] is None or event.step >= row["last_step"]
    # Where the caller was left after this step: the last node entered.
    where = event.path[-1] if event.path else event.node
    if newest:
        changes["last_step"] = event.step
        changes["last_node"] = where
    if event.line is not None and (newest or row["line"] is None):
        changes["line"] = event.line
    if event.outcome is not None:
        if row["outcome_step"] is None or event.step >= row["outcome_step"]:
            changes["outcome"] = event.outcome.kind
            changes["outcome_detail"] = event.outcome.detail
            changes["outcome_step"] = event.step
    elif newest and row["outcome_step"] is None and row["outcome"] == "hung_up":
        # The hang-up was inferred before this step arrived: it happened here.
        changes["outcome_detail"] = where
    return changes


def _status_applies(row: Mapping[str, Any], event: StatusEvent) -> bool:
    current, new = row["status"], event.call_status
    if not new:
        return False
    if current is None:
        return True
    if current in TERMINAL_STATUSES and new not in TERMINAL_STATUSES:
        return False  # a late "ringing" never reopens a finished call
    if event.sequence_number is not None and row["last_sequence"] is not None:
        return event.sequence_number > row["last_sequence"]
    return _rank(new) > _rank(current)


def _status_changes(row: Mapping[str, Any], event: StatusEvent) -> dict[str, Any]:
    changes = _times(row, event.at)
    applies = _status_applies(row, event)
    if applies:
        changes["status"] = event.call_status
        if event.sequence_number is not None:
            changes["last_sequence"] = max(event.sequence_number, row["last_sequence"] or 0)
    if event.call_status in TERMINAL_STATUSES:
        if row["ended_at"] is None:
            changes["ended_at"] = event.at
        if row["duration"] is None and event.duration is not None:
            changes["duration"] = event.duration
        if applies and row["outcome"] is None:
            if event.call_status in ("completed", "canceled"):
                # The caller hung up before the menu sent them anywhere.
                changes["outcome"] = "hung_up"
                changes["outcome_detail"] = row["last_node"] or ""
            else:
                changes["outcome"] = "error"
                changes["outcome_detail"] = event.call_status
    return changes


def _recording_changes(row: Mapping[str, Any], event: RecordingEvent) -> dict[str, Any]:
    changes = _times(row, event.at)
    changes["recording_url"] = event.url
    if event.duration is not None:
        changes["recording_duration"] = event.duration
    return changes


# -- reading ----------------------------------------------------------------


def get_call(session: Session, call_sid: str) -> Call | None:
    """The call with its steps in order, or None."""
    stmt = select(Call).where(Call.call_sid == call_sid).options(selectinload(Call.steps))
    return session.scalars(stmt).first()


def recent_calls(session: Session, limit: int = 50) -> list[Call]:
    """The most recently started calls, newest first."""
    stmt = select(Call).order_by(Call.started_at.desc(), Call.call_sid).limit(limit)
    return list(session.scalars(stmt))
