"""Every contact becomes a ticket: protocol, rules, row and outbox item in one transaction.

``record_ticket`` is what the voicemail step calls: when it returns, the
ticket and (for a remote store) its outbox item are committed, so the
protocol the caller is about to hear is durable. Nothing remote is asked
here; the relay (``tickets_bridge.outbox``) delivers later. The same
idempotency key (CallSid and step) always gives back the same ticket, so a
replayed webhook reads back the same protocol and creates nothing.

``record_message`` adds a caller's message to an earlier ticket; a Resolvido
ticket takes no more comments, so the message opens a follow-up ticket
linked to it (a new protocol, the history carried over) instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.storage.db import BEGIN_IMMEDIATE
from ivr.storage.ticket_tables import OutboxItem, TicketComment, TicketRecord
from tickets_bridge.protocol import next_protocol
from tickets_bridge.sql_store import (
    CUSTOMER,
    TicketRules,
    add_comment,
    by_protocol,
    insert_ticket,
)
from tickets_bridge.store import (
    Attachment,
    Comment,
    NewTicket,
    Priority,
    TicketClosed,
    shared_fields,
)

__all__ = [
    "LOCAL_STORE",
    "Receipt",
    "TicketRequest",
    "new_ticket_of",
    "open_ticket",
    "record_message",
    "record_ticket",
]

LOCAL_STORE = "sql"


@dataclass(frozen=True, slots=True)
class TicketRequest:
    """A ticket to open: everything but the protocol and the time, which we make."""

    subject: str
    description: str
    line: str | None = None
    topic: str | None = None
    phone: str | None = None  # E.164
    email: str | None = None
    priority: Priority = "normal"
    attachments: tuple[Attachment, ...] = ()
    platform: str | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the caller is told: the protocol and when to expect an answer."""

    protocol: str
    first_response_due: datetime | None
    created: bool  # False: the key had already made it (a replayed request)
    follows: str | None = None  # the Resolvido ticket this one follows up


def _receipt(record: TicketRecord, created: bool) -> Receipt:
    return Receipt(
        protocol=record.protocol,
        first_response_due=record.first_response_due,
        created=created,
        follows=record.follows.protocol if record.follows is not None else None,
    )


def _enqueue(
    session: Session,
    record: TicketRecord,
    key: str,
    now: datetime,
    comment: TicketComment | None = None,
) -> None:
    """An outbox item for a remote store; the built-in store is the ticket's home already."""
    if record.store == LOCAL_STORE:
        return
    session.add(
        OutboxItem(
            ticket=record,
            comment=comment,
            idempotency_key=key,
            store=record.store,
            created_at=now,
            attempts=0,
            next_attempt_at=now,
            dead=False,
        )
    )


def open_ticket(
    session: Session,
    request: TicketRequest,
    *,
    key: str,
    now: datetime,
    store: str,
    rules: TicketRules,
    call_sid: str | None = None,
    follows: str | None = None,
) -> tuple[TicketRecord, bool]:
    """Add the ticket and its outbox item to ``session``'s transaction; ``(row, created)``."""
    existing = session.scalar(select(TicketRecord).where(TicketRecord.idempotency_key == key))
    if existing is not None:
        return existing, False
    ticket = NewTicket(
        protocol=next_protocol(session, now),
        created_at=now,
        attachments=request.attachments,
        follows=follows,
        **shared_fields(request),
    )
    record = insert_ticket(session, ticket, key=key, store=store, rules=rules, call_sid=call_sid)
    _enqueue(session, record, key, now)
    session.flush()
    return record, True


def _writer(engine: Engine) -> Engine:
    return engine.execution_options(**{BEGIN_IMMEDIATE: True})


def _made_by(engine: Engine, key: str) -> Receipt | None:
    with Session(engine) as session:
        record = session.scalar(select(TicketRecord).where(TicketRecord.idempotency_key == key))
        return _receipt(record, False) if record is not None else None


def record_ticket(
    engine: Engine,
    request: TicketRequest,
    *,
    key: str,
    now: datetime,
    store: str,
    rules: TicketRules,
    call_sid: str | None = None,
) -> Receipt:
    """Open the ticket and commit it; the same ``key`` always gives back the same ticket."""
    again = _made_by(engine, key)
    if again is not None:  # a replayed request: read back, without taking the write lock
        return again
    try:
        with Session(_writer(engine)) as session, session.begin():
            record, created = open_ticket(
                session, request, key=key, now=now, store=store, rules=rules, call_sid=call_sid
            )
            return _receipt(record, created)
    except IntegrityError:
        # The same request raced us in another process (Twilio retried while we
        # were writing): the key is unique, so theirs is the ticket.
        with Session(engine) as session:
            record = session.scalars(
                select(TicketRecord).where(TicketRecord.idempotency_key == key)
            ).one()
            return _receipt(record, False)


def record_message(
    engine: Engine,
    protocol: str,
    request: TicketRequest,
    *,
    key: str,
    now: datetime,
    rules: TicketRules,
    call_sid: str | None = None,
) -> Receipt:
    """Add the caller's message to ticket ``protocol``; a follow-up ticket if it is Resolvido.

    The comment carries the request's description and its attachments' links.
    """
    again = _made_by(engine, key)
    if again is not None:  # a replay of a message that opened a follow-up
        return again
    with Session(_writer(engine)) as session, session.begin():
        again = session.scalar(select(TicketRecord).where(TicketRecord.idempotency_key == key))
        if again is not None:  # a replay of a message that opened a follow-up
            return _receipt(again, False)
        record = by_protocol(session, protocol)
        done = session.scalar(select(TicketComment).where(TicketComment.idempotency_key == key))
        if done is not None:
            return _receipt(record, False)
        try:
            comment = add_comment(session, record, _comment_of(request), now, key=key)
        except TicketClosed:
            follow, _ = open_ticket(
                session,
                request,
                key=key,
                now=now,
                store=record.store,
                rules=rules,
                call_sid=call_sid,
                follows=record.protocol,
            )
            return _receipt(follow, True)
        session.flush()
        _enqueue(session, record, key, now, comment)
        return _receipt(record, True)


def _comment_of(request: TicketRequest) -> Comment:
    lines = [request.description]
    lines += [
        f"{a.kind}: {a.url}" + (f" ({a.duration} s)" if a.duration is not None else "")
        for a in request.attachments
    ]
    return Comment(text="\n".join(lines), author=CUSTOMER, public=False, from_customer=True)


def new_ticket_of(record: TicketRecord) -> NewTicket:
    """The ticket as a store is asked to create it."""
    return NewTicket(
        protocol=record.protocol,
        created_at=record.created_at,
        attachments=tuple(
            Attachment(url=a.url, kind=a.kind, duration=a.duration) for a in record.attachments
        ),
        follows=record.follows.protocol if record.follows is not None else None,
        **shared_fields(record),
    )
