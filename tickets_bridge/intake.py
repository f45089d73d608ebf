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

from sqlalchemy import Engine, bindparam, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.storage.db import write_engine
from ivr.storage.ticket_tables import OutboxItem, TicketComment, TicketRecord, tickets
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


# Core, not ORM, statements: the voicemail step runs them while the caller waits.
_FOLLOWED = tickets.alias("followed")
_BY_KEY = (
    select(tickets.c.protocol, tickets.c.first_response_due, _FOLLOWED.c.protocol)
    .outerjoin(_FOLLOWED, tickets.c.follows_id == _FOLLOWED.c.id)
    .where(tickets.c.idempotency_key == bindparam("key"))
)


_INSERT_OUTBOX = insert(OutboxItem.__table__)


def made_by(db: Session | Connection, key: str) -> Receipt | None:
    """The ticket ``key`` already made (a replayed request), or None."""
    row = db.execute(_BY_KEY, {"key": key}).first()
    if row is None:
        return None
    protocol, due, follows = row
    return Receipt(protocol=protocol, first_response_due=due, created=False, follows=follows)


def _enqueue(
    db: Session | Connection,
    ticket_id: int,
    store: str,
    key: str,
    now: datetime,
    comment_id: int | None = None,
) -> None:
    """An outbox item for a remote store; the built-in store is the ticket's home already."""
    if store == LOCAL_STORE:
        return
    db.execute(
        _INSERT_OUTBOX,
        {
            "ticket_id": ticket_id,
            "comment_id": comment_id,
            "idempotency_key": key,
            "store": store,
            "created_at": now,
            "attempts": 0,
            "next_attempt_at": now,
            "dead": False,
        },
    )


def open_ticket(
    db: Session | Connection,
    request: TicketRequest,
    *,
    key: str,
    now: datetime,
    store: str,
    rules: TicketRules,
    call_sid: str | None = None,
    follows: str | None = None,
    look_up_key: bool = True,
) -> Receipt:
    """Add the ticket and its outbox item to the transaction of ``db``.

    The receipt says ``created=False`` when ``key`` had already made a ticket.
    ``look_up_key=False`` skips that lookup: a key already used then fails on
    its unique index (``IntegrityError``), for the caller to read that ticket back.
    """
    if look_up_key:
        existing = made_by(db, key)
        if existing is not None:
            return existing
    ticket = NewTicket(
        protocol=next_protocol(db, now),
        created_at=now,
        attachments=request.attachments,
        follows=follows,
        **shared_fields(request),
    )
    row = insert_ticket(db, ticket, key=key, store=store, rules=rules, call_sid=call_sid)
    _enqueue(db, row.id, store, key, now)
    return Receipt(ticket.protocol, row.first_response_due, created=True, follows=follows)


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
    """Open the ticket and commit it; the same ``key`` always gives back the same ticket.

    One short transaction on a plain connection (no ORM session: the caller
    is waiting). The key is not looked up first: nearly every request is
    new, and a replayed one (Twilio retried, perhaps while another process
    was writing its ticket) fails on the key's unique index, writes nothing
    and reads that ticket back.
    """
    try:
        with write_engine(engine).begin() as connection:
            return open_ticket(
                connection,
                request,
                key=key,
                now=now,
                store=store,
                rules=rules,
                call_sid=call_sid,
                look_up_key=False,
            )
    except IntegrityError:
        with engine.connect() as connection:
            receipt = made_by(connection, key)
        if receipt is None:  # another constraint failed: not a replay
            raise
        return receipt


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
    with Session(write_engine(engine)) as session, session.begin():
        again = made_by(session, key)
        if again is not None:  # a replay of a message that opened a follow-up
            return again
        record = by_protocol(session, protocol)
        done = session.scalar(select(TicketComment).where(TicketComment.idempotency_key == key))
        if done is not None:
            return _receipt_of(record, False)
        try:
            comment = add_comment(session, record, _comment_of(request), now, key=key)
        except TicketClosed:
            return open_ticket(
                session,
                request,
                key=key,
                now=now,
                store=record.store,
                rules=rules,
                call_sid=call_sid,
                follows=record.protocol,
            )
        session.flush()
        _enqueue(session, record.id, record.store, key, now, comment.id)
        return _receipt_of(record, True)


def _receipt_of(record: TicketRecord, created: bool) -> Receipt:
    return Receipt(
        protocol=record.protocol,
        first_response_due=record.first_response_due,
        created=created,
        follows=record.follows.protocol if record.follows is not None else None,
    )


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
