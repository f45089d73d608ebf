"""The call log's rows: the events a call produces and the SQL rules that apply them.

Twilio retries webhooks and may deliver status callbacks twice or out of
order, so every write is idempotent:

- a step is keyed by (CallSid, ``CallState.step``) and inserted with
  insert-or-ignore; a replay writes nothing;
- a survey answer is keyed like a step and inserted with insert-or-ignore;
- a status is applied only if it moves the call forward: by Twilio's
  ``SequenceNumber`` when both sides have one, otherwise by the order of
  call states, and a finished call is never reopened by a late "ringing".

Several processes may apply events to the same database. Every batch reads
and updates its calls' rows under a lock (``FOR UPDATE`` on PostgreSQL,
``BEGIN IMMEDIATE`` on SQLite), so their writes merge; the end state is the
same as applying the events one by one in queue order. The batching writer
thread that calls :func:`apply_events` is ``ivr.storage.call_log.CallLog``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session, selectinload

from hours.clock import require_aware
from ivr.menus.actions import Outcome, SurveyAnswer
from ivr.storage.bulk import BulkWrite
from ivr.storage.models import Call, CallStep, SurveyAnswerRecord
from ivr.storage.ticket_tables import tickets

calls: Table = Call.__table__  # type: ignore[assignment]
call_steps: Table = CallStep.__table__  # type: ignore[assignment]
survey_answers: Table = SurveyAnswerRecord.__table__  # type: ignore[assignment]

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


@dataclass(frozen=True, slots=True)
class SurveyEvent:
    """A survey answer, queued after the step event of the same request."""

    call_sid: str
    step: int
    line: str | None
    answer: SurveyAnswer
    at: datetime


Event = StepEvent | StatusEvent | RecordingEvent | SurveyEvent


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
# 3. read which of the batch's (CallSid, step) keys the held calls have
#    logged already (replays), and insert-or-ignore the first copy of each
#    other key (a call created in step 2 has no steps yet);
# 4. fold the remaining events into the existing rows in Python, in queue
#    order, with the same rules as applying them one by one
#    (``_step_changes`` and friends);
# 5. write back the changed columns of the rows that changed: one
#    executemany UPDATE per set of changed columns.
#
# The row writes of steps 3 and 5 go to the driver already bound
# (``ivr.storage.bulk``): SQLAlchemy's per-row binding cost more than them.
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

    dialect: Dialect
    select_calls: Any
    insert_calls: Any
    select_steps: Any
    insert_steps: BulkWrite
    insert_answers: Any
    select_tickets: Any
    updates: dict[frozenset[str], BulkWrite] = field(default_factory=dict)

    def update_call(self, columns: frozenset[str]) -> BulkWrite:
        """UPDATE calls SET <columns> WHERE call_sid = :key_call_sid, one per column set."""
        write = self.updates.get(columns)
        if write is None:
            statement = (
                update(calls)
                .where(calls.c.call_sid == bindparam("key_call_sid"))
                .values({name: bindparam(name, type_=calls.c[name].type) for name in columns})
            )
            write = self.updates[columns] = BulkWrite.compile(statement, self.dialect)
        return write


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
        dialect=connection.dialect,
        select_calls=select(calls)
        .where(calls.c.call_sid.in_(bindparam("sids", expanding=True)))
        .order_by(calls.c.call_sid)
        .with_for_update(),
        insert_calls=insert(calls)
        .on_conflict_do_nothing(index_elements=["call_sid"])
        .returning(calls.c.call_sid),
        select_steps=select(call_steps.c.call_sid, call_steps.c.step).where(
            call_steps.c.call_sid.in_(bindparam("sids", expanding=True))
        ),
        insert_steps=BulkWrite.compile(
            insert(call_steps).on_conflict_do_nothing(index_elements=["call_sid", "step"]),
            connection.dialect,
            _STEP_COLUMNS,
        ),
        insert_answers=insert(survey_answers).on_conflict_do_nothing(
            index_elements=["call_sid", "step"]
        ),
        select_tickets=select(tickets.c.call_sid, tickets.c.protocol)
        .where(tickets.c.call_sid.in_(bindparam("sids", expanding=True)))
        .order_by(tickets.c.id),
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

    # The calls are held (locked, or created by this batch): no other writer
    # logs their steps until commit, so what is not logged yet is ours to insert.
    logged: set[tuple[str, int]] = set()
    if rows and first_steps:
        logged = {
            (sid, step)
            for sid, step in connection.execute(statements.select_steps, {"sids": sorted(rows)})
        }
    fresh = [event for key, event in first_steps.items() if key not in logged]
    statements.insert_steps.run(connection, map(_step_values, fresh))
    inserted = {(event.call_sid, event.step) for event in fresh}

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
        statements.update_call(columns).run(connection, params)

    answers = [event for event in events if isinstance(event, SurveyEvent)]
    if answers:
        _insert_answers(connection, statements, answers)


def _insert_answers(
    connection: Connection, statements: _Statements, answers: Sequence[SurveyEvent]
) -> None:
    """Insert-or-ignore each answer, with its call's newest ticket (if any)."""
    sids = sorted({event.call_sid for event in answers})
    ticket_of = {
        sid: protocol
        for sid, protocol in connection.execute(statements.select_tickets, {"sids": sids})
    }
    connection.execute(
        statements.insert_answers,
        [
            {
                "call_sid": event.call_sid,
                "step": event.step,
                "at": event.at,
                "line": event.line,
                "ticket_protocol": ticket_of.get(event.call_sid),
                "rating": event.answer.rating,
                "comment": event.answer.comment,
                "recording_url": event.answer.recording_url,
            }
            for event in answers
        ],
    )


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
        elif isinstance(event, RecordingEvent):
            row.update(_recording_changes(row, event))
        else:  # a survey answer has its own table
            row.update(_times(row, event.at))


_STEP_COLUMNS = tuple(column.name for column in call_steps.columns if column.name != "id")


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


def recent_calls(
    session: Session,
    limit: int = 50,
    *,
    outcome: str | None = None,
    line: str | None = None,
    since: datetime | None = None,
) -> list[Call]:
    """The most recently started calls, newest first; only those that ended with
    ``outcome``, chose ``line`` or started at ``since`` or later, when given."""
    stmt = select(Call)
    if outcome is not None:
        stmt = stmt.where(Call.outcome == outcome)
    if line is not None:
        stmt = stmt.where(Call.line == line)
    if since is not None:
        require_aware(since, "since")
        stmt = stmt.where(Call.started_at >= since)
    stmt = stmt.order_by(Call.started_at.desc(), Call.call_sid).limit(limit)
    return list(session.scalars(stmt))
