"""Retention: what is past its keeping time is deleted or anonymised, in small batches.

Defaults follow the SAC practice the shipped line follows (README, "Dados
pessoais (LGPD)"):

- recording links (a call's ``recording_url``, a ticket's recording
  attachments, and the links written in a ticket's description or comments,
  replaced by a note saying so): 90 days after the call, ticket or comment;
- call records (calls and their steps): 2 years after the call started;
- tickets of the built-in store: 2 years after they became Resolvido, with
  their comments, attachments and outbox items;
- callbacks go with their ticket; a finished callback that has none goes
  when a ticket would (2 years after it finished).

Each batch is one short transaction of at most ``batch_size`` rows, so the
webhooks writing to the same tables never wait long, and the job pauses
between batches: SQLite's waiting writers poll for the lock (every 100 ms
once they have waited a while), and a job that began its next batch at once
could keep one waiting past its busy timeout. The job logs counts only,
never a number.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    Column,
    ColumnElement,
    Engine,
    Select,
    bindparam,
    delete,
    exists,
    func,
    select,
    update,
)

from callbacks.booking import FINISHED
from ivr.storage.db import write_engine
from ivr.storage.models import Call, Callback, TicketAttachment, TicketComment, TicketRecord
from tickets_bridge.store import Status

log = logging.getLogger(__name__)

BATCH_SIZE = 500
PAUSE_SECONDS = 0.1  # between batches: a waiting writer's longest poll interval on SQLite
# A Twilio recording link written in a ticket's text ("recording: https://api.twilio.com/
# 2010-04-01/Accounts/AC…/Recordings/RE…"), found the same way in SQL and in Python.
RECORDING_LINK = re.compile(r"\S*/recordings/re\S*", re.IGNORECASE)
RECORDING_LINK_LIKE = "%/recordings/re%"


@dataclass(frozen=True)
class RetentionPolicy:
    """How many days each kind of data is kept."""

    recordings_days: int = 90
    calls_days: int = 730
    tickets_days: int = 730  # after Resolvido; callbacks follow their ticket


@dataclass(frozen=True)
class RetentionReport:
    """How many rows of each kind one run removed (or, for recordings, emptied)."""

    recordings: int = 0
    calls: int = 0
    tickets: int = 0
    callbacks: int = 0
    ticket_texts: int = 0  # descriptions and comments whose recording links were replaced


def removed_link_note(days: int) -> str:
    """What a ticket's text says where a recording link was."""
    return f"[gravação removida após {days} dias]"


def apply_retention(
    engine: Engine,
    policy: RetentionPolicy,
    now: datetime,
    *,
    batch_size: int = BATCH_SIZE,
    pause: float = PAUSE_SECONDS,
) -> RetentionReport:
    """Remove what ``policy`` says is due at ``now``; one short transaction per batch,
    ``pause`` seconds between batches."""
    recordings_before = now - timedelta(days=policy.recordings_days)
    calls_before = now - timedelta(days=policy.calls_days)
    tickets_before = now - timedelta(days=policy.tickets_days)

    recordings = _in_batches(
        engine,
        select(Call.call_sid).where(
            Call.recording_url.is_not(None), Call.started_at < recordings_before
        ),
        lambda ids: (
            update(Call)
            .where(Call.call_sid.in_(ids))
            .values(recording_url=None, recording_duration=None)
        ),
        batch_size,
        pause,
    )
    recordings += _in_batches(
        engine,
        select(TicketAttachment.id)
        .join(TicketRecord)
        .where(TicketAttachment.kind == "recording", TicketRecord.created_at < recordings_before),
        lambda ids: delete(TicketAttachment).where(TicketAttachment.id.in_(ids)),
        batch_size,
        pause,
    )
    calls = _in_batches(
        engine,
        select(Call.call_sid).where(Call.started_at < calls_before),
        lambda ids: delete(Call).where(Call.call_sid.in_(ids)),  # steps go by ON DELETE CASCADE
        batch_size,
        pause,
    )
    tickets = _in_batches(
        engine,
        select(TicketRecord.id).where(
            TicketRecord.status == Status.RESOLVED.value, TicketRecord.status_since < tickets_before
        ),
        _delete_tickets,
        batch_size,
        pause,
    )
    note = removed_link_note(policy.recordings_days)
    ticket_texts = _rewrite_in_batches(
        engine,
        TicketRecord.__table__.c.id,
        TicketRecord.__table__.c.description,
        TicketRecord.created_at < recordings_before,
        note,
        batch_size,
        pause,
    )
    ticket_texts += _rewrite_in_batches(
        engine,
        TicketComment.__table__.c.id,
        TicketComment.__table__.c.text,
        TicketComment.at < recordings_before,
        note,
        batch_size,
        pause,
    )
    ticket_gone = ~exists().where(TicketRecord.protocol == Callback.ticket_protocol)
    callbacks = _in_batches(
        engine,
        select(Callback.id).where(
            Callback.status.in_(FINISHED),
            (Callback.ticket_protocol.is_not(None) & ticket_gone)
            | (Callback.ticket_protocol.is_(None) & (Callback.updated_at < tickets_before)),
        ),
        lambda ids: delete(Callback).where(Callback.id.in_(ids)),
        batch_size,
        pause,
    )
    report = RetentionReport(recordings, calls, tickets, callbacks, ticket_texts)
    log.info(
        "retention: %d recording links, %d calls, %d tickets, %d callbacks removed; "
        "recording links replaced in %d ticket texts",
        report.recordings,
        report.calls,
        report.tickets,
        report.callbacks,
        report.ticket_texts,
    )
    return report


def _delete_tickets(ids: list[object]) -> list[object]:
    # A follow-up still kept may point at a ticket that goes: it forgets the link.
    return [
        update(TicketRecord).where(TicketRecord.follows_id.in_(ids)).values(follows_id=None),
        delete(TicketRecord).where(TicketRecord.id.in_(ids)),  # comments, attachments, outbox too
    ]


def _in_batches(
    engine: Engine,
    due: Select[tuple[object]],
    change: Callable[[list[object]], object],
    batch_size: int,
    pause: float,
) -> int:
    """Apply ``change`` to the rows ``due`` selects, ``batch_size`` at a time; how many."""
    # SQLite: take the write lock when the batch begins, so a webhook's write between
    # the batch's read and its delete makes it wait (busy timeout), not fail.
    writer = write_engine(engine)
    done = 0
    while True:
        with writer.begin() as connection:
            ids = list(connection.scalars(due.limit(batch_size)))
            if not ids:
                return done
            statements = change(ids)
            for statement in statements if isinstance(statements, list) else [statements]:
                connection.execute(statement)  # type: ignore[call-overload]
        done += len(ids)
        if len(ids) < batch_size:
            return done
        time.sleep(pause)


def _rewrite_in_batches(
    engine: Engine,
    key: Column[int],
    text: Column[str],
    due: ColumnElement[bool],
    note: str,
    batch_size: int,
    pause: float,
) -> int:
    """Replace the recording links in ``text`` of the rows ``due`` selects; how many rows.

    Rows are taken in ``key`` order, each batch after the last one's key, so
    the job ends even if a rewritten text still looked as if it held a link.
    Nothing else of the row changes (a ticket keeps its status and its dates).
    """
    writer = write_engine(engine)
    rewrite = (
        update(key.table)
        .where(key == bindparam("row_key"))
        .values({text.key: bindparam("new_text")})
    )
    done, last = 0, None
    while True:
        query = select(key, text).where(due, func.lower(text).like(RECORDING_LINK_LIKE))
        if last is not None:
            query = query.where(key > last)
        with writer.begin() as connection:
            rows = connection.execute(query.order_by(key).limit(batch_size)).all()
            if not rows:
                return done
            connection.execute(
                rewrite,
                [{"row_key": k, "new_text": RECORDING_LINK.sub(note, t)} for k, t in rows],
            )
        done += len(rows)
        last = rows[-1][0]
        if len(rows) < batch_size:
            return done
        time.sleep(pause)
