"""The built-in ticket store (``IVR_TICKET_STORE=sql``, the default): tickets in our tables.

It follows the vendors' own rules, always in business time from the hours
calendar of the ticket's product line (never wall-clock days):

- the first response is due 48 business hours after creation: as the vendors
  count "48 horas úteis", two business days, so by the close of the second
  business day after the day of the contact (``TicketRules.first_response_due``);
- a ticket in Pendência do Cliente moves to Validação Cliente after 7
  business days without the customer's return, and Validação Cliente to
  Resolvido after 5 more (``apply_status_rules``, a periodic job);
- a Resolvido ticket takes no more comments (``TicketClosed``): a customer
  who comes back gets a follow-up ticket linked to it, never a reopened one;
- stopped invoicing or shipping (the first option of the shipped menu) is
  urgent.

The remote reference of a ticket in this store is its protocol number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Engine, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hours.calendar import Calendar
from hours.clock import Clock
from hours.oracle import Hours
from ivr.storage.db import write_engine
from ivr.storage.ticket_tables import TicketAttachment, TicketComment, TicketRecord, tickets
from tickets_bridge.store import (
    Comment,
    NewTicket,
    Priority,
    Status,
    TicketClosed,
    TicketNotFound,
    TicketSummary,
    shared_fields,
)
from tickets_bridge.transcription import Transcriber, transcript_section, transcripts

__all__ = [
    "CUSTOMER",
    "URGENT_TOPIC",
    "SqlTicketStore",
    "TicketRules",
    "add_transcripts",
    "apply_status_rules",
    "insert_ticket",
    "set_status",
    "summary_of",
]

#: The topic of the shipped menu's first option: stopped invoicing or shipping.
URGENT_TOPIC = "urgente"
#: Author of what the caller said (their messages, their follow-ups).
CUSTOMER = "Cliente (por telefone)"
SYSTEM = "Sistema"


@dataclass(frozen=True)
class TicketRules:
    """The vendors' rules, with the calendars they are counted in."""

    hours: Hours
    line_schedules: Mapping[str, str] = field(default_factory=dict)  # line -> schedule name
    first_response_hours: int = 48
    pending_days: int = 7  # Pendência do Cliente -> Validação Cliente
    validation_days: int = 5  # Validação Cliente -> Resolvido
    urgent_topics: frozenset[str] = frozenset({URGENT_TOPIC})

    def calendar(self, line: str | None) -> Calendar:
        return self.hours.calendar(self.line_schedules.get(line) if line else None)

    def first_response_due(self, created_at: datetime, line: str | None) -> datetime:
        """The close of the N-th business day after the contact's day (N = hours / 24)."""
        days = max(1, math.ceil(self.first_response_hours / 24))
        return self.calendar(line).add_business_days(created_at, days)

    def priority(self, ticket: NewTicket) -> Priority:
        if ticket.topic in self.urgent_topics:
            return "urgent"
        return ticket.priority


def summary_of(record: TicketRecord) -> TicketSummary:
    return TicketSummary(
        remote_id=record.protocol,
        status=Status(record.status),
        updated_at=record.updated_at,
        protocol=record.protocol,
        subject=record.subject,
        line=record.line,
        due_at=record.first_response_due,
    )


def by_protocol(session: Session, protocol: str) -> TicketRecord:
    record = session.scalar(select(TicketRecord).where(TicketRecord.protocol == protocol))
    if record is None:
        raise TicketNotFound(protocol)
    return record


# Built once: the voicemail step inserts while the caller waits.
_INSERT_TICKET = insert(tickets).returning(tickets.c.id)
_INSERT_ATTACHMENTS = insert(TicketAttachment.__table__)
_INSERT_COMMENTS = insert(TicketComment.__table__)


class Inserted(NamedTuple):
    id: int
    first_response_due: datetime


def insert_ticket(
    db: Session | Connection,
    ticket: NewTicket,
    *,
    key: str,
    store: str,
    rules: TicketRules,
    call_sid: str | None = None,
) -> Inserted:
    """Insert the ticket as Aberto, with its due time, priority and history.

    Plain INSERT statements in the transaction of ``db``, not ORM objects:
    the voicemail step calls this while the caller waits, and the unit of
    work costs several times the inserts themselves.
    """
    now = ticket.created_at
    due = rules.first_response_due(now, ticket.line)
    old = None
    if ticket.follows is not None:  # rare: read the old ticket's story through the ORM
        session = db if isinstance(db, Session) else Session(bind=db)
        old = by_protocol(session, ticket.follows)
    ticket_id = db.execute(
        _INSERT_TICKET,
        {
            "protocol": ticket.protocol,
            "idempotency_key": key,
            "call_sid": call_sid,
            **shared_fields(ticket),
            "priority": rules.priority(ticket),
            "status": Status.OPEN.value,
            "status_since": now,
            "created_at": now,
            "updated_at": now,
            "first_response_due": due,
            "store": store,
            "remote_id": ticket.protocol if store == "sql" else None,
            "follows_id": old.id if old is not None else None,
        },
    ).scalar_one()
    if ticket.attachments:
        db.execute(
            _INSERT_ATTACHMENTS,
            [
                {"ticket_id": ticket_id, "url": a.url, "kind": a.kind, "duration": a.duration}
                for a in ticket.attachments
            ],
        )
    if old is not None:
        db.execute(
            _INSERT_COMMENTS,
            [{"ticket_id": ticket_id, **row} for row in _history(old, now)],
        )
    return Inserted(ticket_id, due)


def _history(old: TicketRecord, now: datetime) -> list[dict[str, object]]:
    """The resolved ticket's story, carried into its follow-up for the agent who picks it up."""
    carried: list[dict[str, object]] = [
        {
            "author": SYSTEM,
            "at": now,
            "text": f"Continuação do protocolo {old.protocol}: {old.subject}\n\n{old.description}",
            "public": False,
        }
    ]
    carried += [
        {"author": c.author, "at": c.at, "text": c.text, "public": c.public} for c in old.comments
    ]
    return carried


#: Statuses in which the ball is in the customer's court (as Zendesk's "pending").
WAITING_ON_CUSTOMER = frozenset(
    {Status.AWAITING_REPLY, Status.CUSTOMER_PENDING, Status.CUSTOMER_VALIDATION}
)


def add_comment(
    session: Session,
    record: TicketRecord,
    comment: Comment,
    now: datetime,
    key: str | None = None,
) -> TicketComment:
    """Comment on a ticket that is not Resolvido.

    The customer's return (``from_customer``) hands a ticket that waited on
    them back to the team as Aberto, and stops the clock of the automatic moves.
    """
    if record.status == Status.RESOLVED:
        raise TicketClosed(record.protocol)
    row = TicketComment(
        author=comment.author,
        at=now,
        text=comment.text,
        public=comment.public,
        idempotency_key=key,
    )
    record.comments.append(row)
    record.updated_at = now
    if comment.from_customer and record.status in WAITING_ON_CUSTOMER:
        _move(record, Status.OPEN, now)
    return row


def _move(record: TicketRecord, status: Status, at: datetime) -> None:
    record.status = status.value
    record.status_since = at
    record.updated_at = at


def set_status(session: Session, record: TicketRecord, status: Status, now: datetime) -> None:
    """A supervisor moves the ticket (``ivr tickets status``); Resolvido stays Resolvido."""
    if record.status == Status.RESOLVED and status != Status.RESOLVED:
        raise TicketClosed(record.protocol)
    if record.status != status:
        _move(record, status, now)


def apply_status_rules(
    session: Session, rules: TicketRules, now: datetime
) -> list[tuple[str, Status, Status]]:
    """Move the built-in store's tickets the vendors' rules say should move by ``now``.

    Each move happens at the instant the rule fell due, not when this job
    runs, so a job that ran late (or not at all for a week) catches up with
    both moves and the 5 days are counted from the first one. Returns
    ``(protocol, from, to)`` for each move.
    """
    waiting = (Status.CUSTOMER_PENDING.value, Status.CUSTOMER_VALIDATION.value)
    records = session.scalars(
        select(TicketRecord)
        .where(TicketRecord.store == "sql", TicketRecord.status.in_(waiting))
        .order_by(TicketRecord.id)
    )
    moves: list[tuple[str, Status, Status]] = []
    for record in records:
        calendar = rules.calendar(record.line)
        while record.status in waiting:
            before = Status(record.status)
            if before == Status.CUSTOMER_PENDING:
                days, after = rules.pending_days, Status.CUSTOMER_VALIDATION
            else:
                days, after = rules.validation_days, Status.RESOLVED
            due = calendar.add_business_days(record.status_since, days)
            if due > now:
                break
            _move(record, after, due)
            record.comments.append(
                TicketComment(
                    author=SYSTEM,
                    at=due,
                    text=f"Status alterado automaticamente de {before} para {after}.",
                    public=False,
                )
            )
            moves.append((record.protocol, before, after))
    return moves


#: How long after the call a recording of the built-in store may still be transcribed.
TRANSCRIPT_WINDOW = timedelta(days=1)


def _transcript_key(protocol: str) -> str:
    return f"transcript:{protocol}"


def add_transcripts(
    engine: Engine,
    transcriber: Transcriber,
    now: datetime,
    *,
    tried: set[str],
    window: timedelta = TRANSCRIPT_WINDOW,
) -> list[str]:
    """Transcribe the built-in store's recent voicemails; the protocols that got a transcript.

    Each transcript is a private comment by the system, keyed by the protocol,
    so it is added once even when two workers transcribe at the same time. A
    ticket is tried once per process (``tried``, the caller's set): a
    transcriber that failed is not asked again and again. No transaction is
    open while the transcriber works.
    """
    with Session(engine) as session:
        rows = session.execute(
            select(TicketRecord.protocol, TicketAttachment.url)
            .join(TicketAttachment)
            .where(
                TicketRecord.store == "sql",
                TicketRecord.created_at >= now - window,
                TicketAttachment.kind == "recording",
            )
            .order_by(TicketRecord.id, TicketAttachment.id)
        ).all()
        urls: dict[str, list[str]] = {}
        for protocol, url in rows:
            if protocol not in tried:
                urls.setdefault(protocol, []).append(url)
        done = set(
            session.scalars(
                select(TicketComment.idempotency_key).where(
                    TicketComment.idempotency_key.in_([_transcript_key(p) for p in urls])
                )
            )
        )
    added: list[str] = []
    for protocol, recordings in urls.items():
        tried.add(protocol)
        if _transcript_key(protocol) in done:
            continue
        texts = transcripts(protocol, recordings, transcriber)
        if texts and _add_transcript(engine, protocol, transcript_section(texts), now):
            added.append(protocol)
    return added


def _add_transcript(engine: Engine, protocol: str, text: str, now: datetime) -> bool:
    comment = TicketComment(
        author=SYSTEM, at=now, text=text, public=False, idempotency_key=_transcript_key(protocol)
    )
    writer = write_engine(engine)
    try:
        with Session(writer) as session, session.begin():
            # Not the team's answer: the ticket's "last update" stays as it was.
            record = by_protocol(session, protocol)
            record.comments.append(comment)
    except IntegrityError:  # another worker added it first
        return False
    return True


class SqlTicketStore:
    """``TicketStore`` over our own tables."""

    name = "sql"

    def __init__(self, engine: Engine, rules: TicketRules, clock: Clock) -> None:
        self.engine = engine
        self.rules = rules
        self.clock = clock
        # Reads then writes: take SQLite's write lock when the transaction begins.
        self._writer = write_engine(engine)

    def create(self, ticket: NewTicket, idempotency_key: str) -> str:
        with Session(self._writer) as session, session.begin():
            existing = session.scalar(
                select(TicketRecord.protocol).where(TicketRecord.idempotency_key == idempotency_key)
            )
            if existing is not None:
                return existing
            # Tickets opened through the intake are already here under their protocol.
            found = session.scalar(
                select(TicketRecord.protocol).where(TicketRecord.protocol == ticket.protocol)
            )
            if found is not None:
                return found
            insert_ticket(session, ticket, key=idempotency_key, store=self.name, rules=self.rules)
            return ticket.protocol

    def status(self, remote_id: str) -> TicketSummary:
        with Session(self.engine) as session:
            return summary_of(by_protocol(session, remote_id))

    def open_tickets(self, phone: str, line: str | None = None) -> list[TicketSummary]:
        query = select(TicketRecord).where(
            TicketRecord.phone == phone, TicketRecord.status != Status.RESOLVED.value
        )
        if line is not None:
            query = query.where(TicketRecord.line == line)
        with Session(self.engine) as session:
            records = session.scalars(query.order_by(TicketRecord.id.desc()))
            return [summary_of(r) for r in records]

    def add_comment(self, remote_id: str, comment: Comment, idempotency_key: str) -> None:
        """Add the comment unless one with this key is there already (a retry)."""
        try:
            with Session(self._writer) as session, session.begin():
                done = session.scalar(
                    select(TicketComment.id).where(TicketComment.idempotency_key == idempotency_key)
                )
                if done is not None:
                    return
                record = by_protocol(session, remote_id)
                add_comment(session, record, comment, self.clock(), key=idempotency_key)
        except IntegrityError:
            # The same comment raced us from another process; the key is
            # unique, so theirs is the one. Anything else is a real error.
            with Session(self.engine) as session:
                done = session.scalar(
                    select(TicketComment.id).where(TicketComment.idempotency_key == idempotency_key)
                )
            if done is None:
                raise

    def set_status(self, remote_id: str, status: Status) -> None:
        with Session(self._writer) as session, session.begin():
            set_status(session, by_protocol(session, remote_id), status, self.clock())

    def apply_status_rules(self, now: datetime) -> list[tuple[str, Status, Status]]:
        with Session(self._writer) as session, session.begin():
            return apply_status_rules(session, self.rules, now)
