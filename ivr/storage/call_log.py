"""The call log, written in batches so webhooks never wait on it.

The web layer calls :meth:`CallLog.step`, :meth:`CallLog.status` and
:meth:`CallLog.recording`; each only puts a small event on a bounded queue
and returns. Events are written in batches (up to 500, about a tenth of a
second's worth), each in one transaction, set-wise: a few statements per
batch, not per event (the rules are in ``ivr.storage.call_records``). If a
batch fails, it is retried in halves until each bad event is alone, so one
bad event cannot drop the others.

Who writes: once its response has gone, the request thread writes a due
batch (on SQLite, with a bounded wait for the lock) or has the background
thread write it (:meth:`CallLog.write_due`); the background thread also
writes for a process gone quiet, a failed inline batch, ``flush`` and
``stop``. The two threads never run at once in a busy process.

Log lines name the CallSid and never a phone number (LGPD).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import Engine

from hours.clock import require_aware, utc_now
from ivr.menus.actions import Outcome, SurveyAnswer
from ivr.storage.call_records import (
    CallCreatedConcurrently,
    Event,
    RecordingEvent,
    StatusEvent,
    StepEvent,
    SurveyEvent,
    apply_events,
)
from ivr.storage.db import BEGIN_IMMEDIATE, LOCK_WAIT

log = logging.getLogger(__name__)

STALLED_BACKOFF = 1.0  # seconds; see CallLog.write_due
INLINE_LOCK_WAIT = 0.02  # seconds


class CallLog:
    """Queue call-log events and write them in batches.

    ``write_due()``, called by the web layer after each response, writes a
    batch (or has it written) once one is due. ``start()`` launches the
    writer thread, which writes what it is asked for, what an inline write
    left, and what a quiet process still holds;
    ``stop()`` drains the queue and ends it. ``flush(timeout)`` waits until
    everything queued so far is written (without a running writer it writes
    them in the calling thread). When the queue is full, new events are
    dropped and counted in ``dropped``: a caller's webhook never waits on
    the database, and after its response at most ``write_due``'s wait.

    A batch is due ``linger`` seconds after the last one was written (or at
    ``batch_size`` events), since a transaction's fixed cost dwarfs the cost
    of one more event in it. A tenth of a second keeps the call log fresh
    for people; 250 ms gained little more under ``make bench`` and
    lengthened the p99. Unasked, the thread waits twice that before it
    steps in: in a busy process, a Python thread writing beside the request
    thread fights it for the GIL (each socket or SQLite call hands the GIL
    over) and holds SQLite's write lock for as long as it is starved, which
    other processes' writers then wait out. The price of batching: a
    process killed without warning loses what it queued since the last
    batch (a graceful stop writes it). ``max_queue`` (~300 bytes an event)
    lets the queue absorb tens of seconds of a stalled database at 2000
    events/s.
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
        self._queue: deque[Event] = deque()
        self._max_queue = max_queue
        self._batch_size = batch_size
        self._linger = linger
        self._pending = 0
        self._done = threading.Condition()
        self._hurry = threading.Condition()  # wakes a lingering writer
        self._hurrying = 0  # flush() and stop() calls under way
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._write_lock = threading.Lock()  # one writer at a time, whoever it is
        self._written_at = time.monotonic()  # when the last batch was written
        self._ask_after = 0.0  # write_due asks nothing before this (monotonic)
        self._held: list[Event] = []  # a failed inline batch, written first (under _write_lock)
        # SQLite's lock wait is ours to bound (LOCK_WAIT); a server's stalls are not.
        self._inline = engine.dialect.name == "sqlite"
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

    def survey(
        self, call_sid: str, state_step: int, line: str | None, answer: SurveyAnswer, at: datetime
    ) -> None:
        """Keep a survey answer with the call, once per (CallSid, step)."""
        require_aware(at, "a call log time")
        self._put(SurveyEvent(call_sid, state_step, line, answer, at))

    # -- lifecycle --------------------------------------------------------

    def start(self) -> None:
        """Start the writer thread (idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="call-log-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Write what is queued and end the writer thread."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            with self._hurry:
                self._stopping = True
                self._hurry.notify_all()
            thread.join(timeout)
        self._thread = None
        self._stopping = False
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
        # A deque under the one lock the counters need anyway: a queue.Queue
        # took two more locks and a notify per event, for a consumer that
        # never blocks on it.
        with self._done:
            if len(self._queue) < self._max_queue:
                self._queue.append(event)
                self._pending += 1
                return
            self.dropped += 1
            dropped = self.dropped
        if dropped == 1 or dropped % 1000 == 0:
            log.error(
                "call log: queue full, dropped an event for %s (%d dropped so far)",
                event.call_sid,
                dropped,
            )

    def write_due(self, wait: float = 0.05) -> None:
        """Once a batch is due, write it, or have it written, before returning.

        The web layer calls this after each response, so the writer thread
        and the request thread never run at once. On SQLite, the calling
        thread writes the batch itself, waiting at most ``INLINE_LOCK_WAIT``
        for the write lock; if that fails, the batch is left to the writer
        thread. Elsewhere the writer thread writes it while the calling
        thread waits, at most ``wait`` seconds. Either way a stalled
        database costs one request little: the writer keeps trying on its
        own, and no request tries again for ``STALLED_BACKOFF`` seconds.
        Without a writer thread (tests, the simulator), the caller writes.
        """
        if not self._pending or time.monotonic() < self._ask_after:
            return
        if self._pending < self._batch_size and not self._past(self._linger):
            return
        if self._inline and self._write_inline():
            return
        if not self.flush(wait):
            self._ask_after = time.monotonic() + STALLED_BACKOFF

    def _write_inline(self) -> bool:
        """One batch in one try on the calling thread; False leaves it to the writer thread."""
        if not self._write_lock.acquire(blocking=False):
            return False  # the writer thread is at it
        try:
            batch = self._take(self._batch_size)
            try:
                self._transaction(batch, lock_wait=INLINE_LOCK_WAIT)
            except Exception as exc:
                self._held[:0] = batch  # first in line for the writer thread
                self._ask_after = time.monotonic() + STALLED_BACKOFF
                log.warning("call log: a batch is left to the writer (%s)", _describe(exc))
                return True
            self._written_at = time.monotonic()
            self._mark_done(len(batch))
            return True
        finally:
            self._write_lock.release()

    def _past(self, seconds: float) -> bool:
        return time.monotonic() - self._written_at >= seconds

    def _run(self) -> None:
        """The background writer: only for a quiet process, or someone waiting."""
        while True:
            with self._hurry:
                self._hurry.wait_for(self._wanted, self._linger)
                if self._stopping:
                    return
            if self._wanted() or (self._pending and self._past(2 * self._linger)):
                self._drain_inline()

    def _wanted(self) -> bool:
        return self._stopping or (self._hurrying > 0 and self._pending > 0)

    def _drain_inline(self) -> None:
        with self._write_lock:
            while self._write_batch():
                pass

    def _take(self, count: int) -> list[Event]:
        """Up to ``count`` events, oldest first: those held back, then the queue's."""
        batch, self._held = self._held[:count], self._held[count:]
        while len(batch) < count:
            try:
                batch.append(self._queue.popleft())
            except IndexError:
                break
        return batch

    def _write_batch(self) -> int:
        """Write up to one batch of queued events (hold ``_write_lock``); how many."""
        batch = self._take(self._batch_size)
        if batch:
            self._write(batch)
            self._written_at = time.monotonic()
            self._mark_done(len(batch))
        return len(batch)

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

    def _transaction(
        self, events: Sequence[Event], attempts: int = 3, lock_wait: float | None = None
    ) -> None:
        with self._engine.connect() as connection:
            connection.execution_options(**{BEGIN_IMMEDIATE: True})
            if lock_wait is not None:
                connection.execution_options(**{LOCK_WAIT: lock_wait})
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
