"""The call log: one row per call, its path and keys, and how it ended."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from ivr.menus.actions import Outcome
from ivr.storage.call_log import CallLog
from ivr.storage.call_records import get_call, recent_calls
from ivr.storage.db import BEGIN_IMMEDIATE, make_engine, session_factory
from ivr.storage.models import Call, CallStep

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CALLER = "+5511987654321"
SUPPORT = "+551140040000"


@pytest.fixture
def call_log(engine: Engine) -> Iterator[CallLog]:
    log = CallLog(engine)
    log.start()
    yield log
    log.stop()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def log_step(
    log: CallLog,
    sid: str,
    step: int,
    node: str,
    digits: str | None = None,
    path: tuple[str, ...] = (),
    outcome: Outcome | None = None,
    line: str | None = None,
) -> None:
    log.step(
        sid,
        step,
        node,
        digits,
        None,
        path,
        outcome,
        line,
        at(step * 5),
        account_sid="AC123",
        from_number=CALLER,
        to_number=SUPPORT,
        version=3,
    )


def read_call(engine: Engine, sid: str) -> Call:
    with session_factory(engine)() as session:
        call = get_call(session, sid)
        assert call is not None
        return call


def a_transferred_call(log: CallLog, sid: str = "CA1") -> None:
    log_step(log, sid, 0, "inicio", path=("boas_vindas", "menu_principal"))
    log_step(log, sid, 1, "menu_principal", "2", path=("menu_pdv",), line="pdv")
    log_step(
        log, sid, 2, "menu_pdv", "0", path=("atendente_pdv",),
        outcome=Outcome("transferred", "queue:pdv"), line="pdv",
    )  # fmt: skip


def test_a_call_is_logged_with_its_path_keys_and_outcome(engine: Engine, call_log: CallLog) -> None:
    a_transferred_call(call_log)
    call_log.status("CA1", "completed", 3, 42, at(60))
    assert call_log.flush(5)

    call = read_call(engine, "CA1")
    assert (call.account_sid, call.from_number, call.to_number) == ("AC123", CALLER, SUPPORT)
    assert call.menu_version == 3
    assert call.started_at == T0 and call.ended_at == at(60) and call.updated_at == at(60)
    assert (call.status, call.duration, call.line) == ("completed", 42, "pdv")
    assert (call.outcome, call.outcome_detail) == ("transferred", "queue:pdv")
    assert [(s.step, s.node, s.digits) for s in call.steps] == [
        (0, "inicio", None),
        (1, "menu_principal", "2"),
        (2, "menu_pdv", "0"),
    ]
    assert call.steps[0].path == ["boas_vindas", "menu_principal"]
    assert call.steps[2].outcome == "transferred"


def test_replayed_webhooks_write_nothing_twice(engine: Engine, call_log: CallLog) -> None:
    """Twilio retries a webhook: same CallSid and step, one row."""
    a_transferred_call(call_log)
    a_transferred_call(call_log)
    call_log.flush(5)
    log_step(call_log, "CA1", 1, "menu_principal", "9", path=("outro",))  # a replay, altered
    call_log.flush(5)

    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Call)) == 1
        assert session.scalar(select(func.count()).select_from(CallStep)) == 3
    call = read_call(engine, "CA1")
    assert call.steps[1].digits == "2"
    assert (call.last_step, call.last_node) == (2, "atendente_pdv")


def test_hanging_up_in_a_menu_is_an_outcome(engine: Engine, call_log: CallLog) -> None:
    log_step(call_log, "CA2", 0, "inicio", path=("boas_vindas", "menu_principal"))
    log_step(call_log, "CA2", 1, "menu_principal", "3", path=("menu_fiscal",), line="fiscal")
    call_log.status("CA2", "completed", None, 20, at(30))
    call_log.flush(5)
    call = read_call(engine, "CA2")
    assert (call.outcome, call.outcome_detail) == ("hung_up", "menu_fiscal")


def test_a_step_logged_after_the_hang_up_corrects_it(engine: Engine) -> None:
    """Two web processes: the status callback may be written before the last step."""
    first, second = CallLog(engine), CallLog(engine)
    log_step(first, "CA3", 0, "inicio", path=("menu_principal",))
    first.flush(5)
    second.status("CA3", "completed", None, 20, at(30))
    second.flush(5)
    assert read_call(engine, "CA3").outcome_detail == "menu_principal"
    log_step(first, "CA3", 1, "menu_principal", "1", path=("menu_erp",))
    first.flush(5)
    call = read_call(engine, "CA3")
    assert (call.outcome, call.outcome_detail) == ("hung_up", "menu_erp")
    log_step(first, "CA3", 2, "menu_erp", "0", outcome=Outcome("voicemail", "recado"))
    first.flush(5)
    call = read_call(engine, "CA3")
    assert (call.outcome, call.outcome_detail, call.status) == ("voicemail", "recado", "completed")


@pytest.mark.parametrize(
    "arrivals",
    [
        [("ringing", 0), ("in-progress", 1), ("completed", 2)],
        [("completed", 2), ("ringing", 0), ("in-progress", 1)],
        [("in-progress", 1), ("completed", 2), ("completed", 2), ("ringing", 0)],
        [("ringing", None), ("completed", None), ("in-progress", None), ("ringing", None)],
        [("completed", None), ("completed", None), ("ringing", None)],
    ],
    ids=["in-order", "completed-first", "duplicated", "no-sequence", "no-sequence-dup"],
)
def test_status_callbacks_in_any_order_end_completed(
    engine: Engine, call_log: CallLog, arrivals: list[tuple[str, int | None]]
) -> None:
    for n, (status, sequence) in enumerate(arrivals):
        call_log.status("CA4", status, sequence, 50 if status == "completed" else None, at(n))
    call_log.flush(5)
    call = read_call(engine, "CA4")
    assert call.status == "completed"
    assert call.duration == 50
    assert call.ended_at is not None


def test_sequence_number_orders_non_terminal_states(engine: Engine, call_log: CallLog) -> None:
    call_log.status("CA5", "in-progress", 2, None, at(2))
    call_log.status("CA5", "ringing", 1, None, at(1))
    call_log.flush(5)
    call = read_call(engine, "CA5")
    assert (call.status, call.last_sequence, call.started_at) == ("in-progress", 2, at(1))


def test_status_for_an_unknown_call_creates_it(engine: Engine, call_log: CallLog) -> None:
    call_log.status("CA6", "no-answer", 0, 0, at(9))
    call_log.flush(5)
    call = read_call(engine, "CA6")
    assert (call.status, call.outcome, call.outcome_detail) == ("no-answer", "error", "no-answer")
    assert call.steps == []


def test_recording_is_kept_with_the_call(engine: Engine, call_log: CallLog) -> None:
    log_step(call_log, "CA7", 0, "inicio", path=("recado",))
    call_log.recording("CA7", "https://api.twilio.com/rec/RE1", 17, at(20))
    call_log.flush(5)
    call = read_call(engine, "CA7")
    assert (call.recording_url, call.recording_duration) == ("https://api.twilio.com/rec/RE1", 17)


def test_recent_calls_newest_first(engine: Engine, call_log: CallLog) -> None:
    for n in range(5):
        call_log.status(f"CA{n:02}", "completed", None, 1, at(n * 60))
    call_log.flush(5)
    with session_factory(engine)() as session:
        assert [c.call_sid for c in recent_calls(session, 3)] == ["CA04", "CA03", "CA02"]


def test_two_writers_on_one_database(database_url: str) -> None:
    """Two processes' call logs write the same calls concurrently, each step once."""
    engines = [make_engine(database_url), make_engine(database_url)]
    logs = [CallLog(engines[0], batch_size=7), CallLog(engines[1], batch_size=5)]
    for log in logs:
        log.start()
    calls, steps = 20, 6

    def drive(log: CallLog) -> None:
        for sid in range(calls):
            for step in range(steps):
                log_step(log, f"CA{sid}", step, f"n{step}", str(step % 10), path=(f"n{step + 1}",))
            log.status(f"CA{sid}", "completed", 9, 30, at(100))

    threads = [threading.Thread(target=drive, args=(log,)) for log in logs]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for log in logs:
            assert log.flush(30)
        with session_factory(engines[0])() as session:
            assert session.scalar(select(func.count()).select_from(Call)) == calls
            assert session.scalar(select(func.count()).select_from(CallStep)) == calls * steps
            outcomes = set(session.execute(select(Call.outcome, Call.outcome_detail)))
        assert outcomes == {("hung_up", f"n{steps}")}
        assert all(log.dropped == 0 for log in logs)
    finally:
        for log in logs:
            log.stop()
        for engine in engines:
            engine.dispose()


def test_one_bad_event_does_not_drop_the_batch(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    log = CallLog(engine)
    log_step(log, "CA8", 0, "inicio")
    log_step(log, "CA8", 1, None)  # type: ignore[arg-type]  # a bug upstream: no node
    log_step(log, "CA8", 2, "menu_principal")
    assert log.flush(5)
    assert [s.step for s in read_call(engine, "CA8").steps] == [0, 2]
    assert "dropped a step event for CA8" in caplog.text
    assert CALLER not in caplog.text and SUPPORT not in caplog.text


def test_a_full_queue_drops_instead_of_blocking(engine: Engine) -> None:
    log = CallLog(engine, max_queue=2)  # not started: nothing drains the queue
    for step in range(5):
        log_step(log, "CA9", step, "inicio")
    assert log.dropped == 3 and log.pending == 2
    assert log.flush(5)
    assert len(read_call(engine, "CA9").steps) == 2


def test_the_writer_never_blocks_the_caller(engine: Engine) -> None:
    """Queueing hundreds of events takes no database round trip."""
    log = CallLog(engine)
    started = datetime.now(UTC)
    for step in range(500):
        log_step(log, "CA10", step, "inicio")
    elapsed = datetime.now(UTC) - started
    assert elapsed < timedelta(seconds=0.5)
    log.start()
    assert log.flush(30)
    log.stop()
    assert len(read_call(engine, "CA10").steps) == 500


def test_naive_times_are_refused(call_log: CallLog) -> None:
    with pytest.raises(ValueError, match="aware"):
        call_log.status("CA11", "completed", None, None, datetime(2026, 1, 1))


def test_no_phone_numbers_in_logs(
    engine: Engine, call_log: CallLog, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    a_transferred_call(call_log)
    call_log.status("CA1", "completed", 3, 42, at(60))
    call_log.flush(5)
    assert CALLER not in caplog.text
    assert CALLER not in repr(read_call(engine, "CA1"))


# -- batches: set-wise writing ends as one by one ------------------------------

STATUSES = ("queued", "ringing", "in-progress", "completed", "busy", "no-answer", "canceled")


@st.composite
def call_events(draw: st.DrawFn, min_size: int = 1) -> list[tuple[str, tuple[Any, ...]]]:
    """Events of one call as a web process may queue them: steps (replays too), status
    callbacks with and without SequenceNumber, recordings; in any order."""
    nodes = st.sampled_from(["inicio", "menu_principal", "menu_erp", "menu_pdv", "recado"])
    outcomes = st.none() | st.builds(
        Outcome, st.sampled_from(["transferred", "voicemail", "timed_out"]), nodes
    )
    step = st.tuples(
        st.just("step"),
        st.tuples(
            st.integers(0, 3),  # step: repeats are replays
            nodes,
            st.none() | st.sampled_from(["1", "2", "0"]),
            st.lists(nodes, max_size=2).map(tuple),
            outcomes,
            st.none() | st.sampled_from(["pdv", "erp"]),
            st.integers(0, 120),  # seconds after T0
            st.none() | st.just(3),  # menu version
        ),
    )
    status = st.tuples(
        st.just("status"),
        st.tuples(
            st.sampled_from(STATUSES),
            st.none() | st.integers(0, 5),
            st.none() | st.integers(0, 90),
            st.integers(0, 120),
        ),
    )
    recording = st.tuples(
        st.just("recording"), st.tuples(st.sampled_from(["RE1", "RE2"]), st.integers(0, 120))
    )
    kinds = st.one_of(step, step, status, recording)
    events = draw(st.lists(kinds, min_size=min_size, max_size=12))
    return draw(st.permutations(events))


def queue_events(log: CallLog, sid: str, events: list[tuple[str, tuple[Any, ...]]]) -> None:
    for kind, values in events:
        if kind == "step":
            step, node, digits, path, outcome, line, seconds, version = values
            log.step(
                sid, step, node, digits, None, path, outcome, line, at(seconds),
                account_sid="AC123", from_number=CALLER, to_number=SUPPORT, version=version,
            )  # fmt: skip
        elif kind == "status":
            status, sequence, duration, seconds = values
            log.status(sid, status, sequence, duration, at(seconds))
        else:
            name, seconds = values
            log.recording(sid, f"https://api.twilio.com/rec/{name}", seconds, at(seconds))


CALL_COLUMNS = [c.name for c in Call.__table__.columns if c.name != "call_sid"]
STEP_COLUMNS = [c.name for c in CallStep.__table__.columns if c.name not in ("id", "call_sid")]


def call_state(engine: Engine, sid: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A call's row and its steps, without the keys that differ between two calls."""
    call = read_call(engine, sid)
    row = {c: getattr(call, c) for c in CALL_COLUMNS}
    steps = [{c: getattr(s, c) for c in STEP_COLUMNS} for s in call.steps]
    return row, steps


_sids = itertools.count()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    before=call_events(min_size=0),
    events=call_events(),
    batch_size=st.integers(1, 14),
    mixed=st.booleans(),
)
def test_a_batch_ends_as_its_events_one_by_one(
    engine: Engine,
    before: list[tuple[str, tuple[Any, ...]]],
    events: list[tuple[str, tuple[Any, ...]]],
    batch_size: int,
    mixed: bool,
) -> None:
    """Whatever the order and the batching, and whatever was logged before, a call ends
    as if each event had been written in its own transaction, in queue order."""
    n = next(_sids)
    one_by_one, batched = f"CA{n}-1", f"CA{n}-b"
    new_one_by_one, new_batched = f"CA{n}-n1", f"CA{n}-nb"  # no events before
    first = CallLog(engine, batch_size=1)
    queue_events(first, one_by_one, before)
    queue_events(first, batched, before)
    assert first.flush(30)

    queue_events(first, one_by_one, events)
    queue_events(first, new_one_by_one, events)
    assert first.flush(30)
    log = CallLog(engine, batch_size=batch_size)
    for kind_values in events:
        queue_events(log, batched, [kind_values])
        if mixed:  # two calls' events interleaved in the same batches
            queue_events(log, new_batched, [kind_values])
    if not mixed:
        queue_events(log, new_batched, events)
    assert log.flush(30)
    assert call_state(engine, batched) == call_state(engine, one_by_one)
    assert call_state(engine, new_batched) == call_state(engine, new_one_by_one)


def test_many_bad_events_each_dropped_alone(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """A failing batch is retried in halves: every good event is written, in order."""
    log = CallLog(engine, batch_size=500)
    for step in range(60):
        node = None if step in (7, 41) else f"n{step}"  # a bug upstream: no node
        log_step(log, "CA12", step, node, path=(f"p{step}",))  # type: ignore[arg-type]
    log.status("CA12", "completed", None, 90, at(400))
    assert log.flush(30)
    call = read_call(engine, "CA12")
    assert [s.step for s in call.steps] == [s for s in range(60) if s not in (7, 41)]
    assert (call.last_step, call.outcome, call.outcome_detail) == (59, "hung_up", "p59")
    assert caplog.text.count("dropped a step event for CA12") == 2


def test_a_lingering_writer_is_hurried_by_flush_and_stop(engine: Engine) -> None:
    """The writer waits for more events when few are queued, but never keeps flush waiting."""
    log = CallLog(engine, linger=30)
    log.start()
    try:
        started = time.monotonic()
        a_transferred_call(log)
        assert log.flush(5)
        assert [s.step for s in read_call(engine, "CA1").steps] == [0, 1, 2]
        log.status("CA1", "completed", 3, 42, at(60))
    finally:
        log.stop()
    assert time.monotonic() - started < 5
    assert read_call(engine, "CA1").status == "completed"


def test_the_queue_absorbs_a_burst(engine: Engine) -> None:
    """Tens of seconds of events at 2000/s fit in the queue by default."""
    log = CallLog(engine)  # not started: as if the database stalled
    for step in range(30_000):
        log.status(f"CA{step % 3000}", "ringing", None, None, at(step))
    assert (log.dropped, log.pending) == (0, 30_000)
    assert log.flush(60)
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Call)) == 3000


def test_the_web_process_writes_a_due_batch_after_its_response(engine: Engine) -> None:
    """write_due writes once a batch is due (time or size), in the calling thread, never early."""
    log = CallLog(engine, linger=30, batch_size=4)  # no background writer
    a_transferred_call(log)  # three events: neither a tenth of a second old nor a full batch
    log.write_due()
    assert log.pending == 3
    log.status("CA1", "completed", 3, 42, at(60))  # the fourth fills a batch
    log.write_due()
    assert log.pending == 0
    assert read_call(engine, "CA1").status == "completed"

    now = CallLog(engine, linger=0)  # due at once
    log_step(now, "CA2", 0, "inicio")
    now.write_due()
    assert now.pending == 0
    assert [s.node for s in read_call(engine, "CA2").steps] == ["inicio"]


def test_a_quiet_process_still_gets_its_events_written(engine: Engine) -> None:
    """With no request left to write them, the background writer does, within a few lingers."""
    log = CallLog(engine, linger=0.05)
    log.start()
    try:
        a_transferred_call(log)
        deadline = time.monotonic() + 5
        while log.pending and time.monotonic() < deadline:
            time.sleep(0.01)
        assert log.pending == 0
        assert [s.step for s in read_call(engine, "CA1").steps] == [0, 1, 2]
    finally:
        log.stop()


def test_a_stalled_database_costs_a_request_no_more_than_the_wait(engine: Engine) -> None:
    """While another writer holds the lock, write_due gives up after its wait; nothing is lost."""
    log = CallLog(engine, batch_size=3)  # three events make a batch due
    log.start()
    try:
        with engine.execution_options(**{BEGIN_IMMEDIATE: True}).begin() as other:
            if engine.dialect.name == "postgresql":
                other.exec_driver_sql("LOCK TABLE calls IN EXCLUSIVE MODE")
            a_transferred_call(log)
            started = time.monotonic()
            log.write_due(wait=0.05)
            log.write_due(wait=5)  # the writer is stuck: no request waits on it again for now
            assert time.monotonic() - started < 1
            assert log.pending == 3
        assert log.flush(10)  # the lock is free again: the writer gets through
        assert [s.step for s in read_call(engine, "CA1").steps] == [0, 1, 2]
    finally:
        log.stop()
