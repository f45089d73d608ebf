"""The outbox relay: delivers tickets (and comments on them) to a remote store, in order.

Items are written by ``tickets_bridge.intake`` in the ticket's own
transaction. ``deliver_due`` is one pass of the relay (the worker runs it
every few seconds, with ``now`` passed in):

1. **claim** a run of due items with a lease, in creation order, starting
   at the oldest item still to deliver: on PostgreSQL the rows are read
   ``FOR UPDATE SKIP LOCKED`` and then leased, only as far as they follow
   each other with no item skipped (another relay may hold one in the
   middle); on SQLite the transaction takes the write lock first (``BEGIN
   IMMEDIATE``), and the lease is an ``UPDATE … WHERE`` the lease has
   expired. A relay that finds the oldest item leased or held by another
   claims nothing: deliveries keep their order, and two relays never
   deliver the same item at once;
2. **deliver** each one through the configured ``TicketStore``, with the
   item's idempotency key, the same on every try (a timeout after the store
   created the ticket never yields a second one), and no database
   transaction held while the store is asked;
3. on ``StoreUnavailable``, reschedule the item (exponential backoff with
   jitter, or the store's ``retry_after`` when it gave one: never sleeping),
   release the rest of the run and stop, so nothing overtakes it; after
   ``max_attempts`` tries, or at once on ``TicketRejected``, the item becomes
   a dead letter (``ivr tickets list`` shows it, ``ivr tickets retry`` puts
   it back) and the items after it go on. So does an item the store may
   have carried out without saying so, when it takes no key that would make
   a second try safe (``DeliveryUncertain``: a TomTicket reply whose answer
   was lost): a person checks before it goes again, so nothing is doubled.

A relay killed mid-delivery leaves its lease behind; once it expires the
item is claimed again and delivered with the same key, so nothing is lost
and the store sees nothing twice. Comments carry their item's key too: the
built-in store and the webhook keep it; Zendesk (no key on updates) is
looked at before a comment is added again. The one window left is a
TomTicket reply whose relay dies after TomTicket took it and before the
delivery is recorded here: the next relay sends it again.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import random
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import Session

from ivr.storage.db import write_engine
from ivr.storage.ticket_tables import OutboxItem, TicketRecord
from tickets_bridge.intake import new_ticket_of
from tickets_bridge.sql_store import CUSTOMER
from tickets_bridge.store import (
    Comment,
    DeliveryUncertain,
    NewTicket,
    StoreUnavailable,
    TicketRejected,
    TicketStore,
)
from tickets_bridge.transcription import Transcriber, with_transcript

__all__ = ["RelayPolicy", "RelayReport", "backoff", "claim", "deliver_due", "retry_dead"]

log = logging.getLogger("ivr.tickets")

#: Why an item the store may already have is set aside (what a supervisor reads).
UNCERTAIN = (
    "talvez já entregue: a resposta do sistema de chamados se perdeu e não há como conferir "
    "daqui; veja o chamado lá e, se o recado não estiver, reenvie com ivr tickets retry"
)


@dataclass(frozen=True, slots=True)
class RelayPolicy:
    lease: timedelta = timedelta(minutes=2)  # longer than any one delivery takes
    batch: int = 20
    max_attempts: int = 10
    first_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)


@dataclass
class RelayReport:
    """What one pass did, by protocol."""

    delivered: list[str] = field(default_factory=list)
    rescheduled: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def backoff(attempts: int, policy: RelayPolicy, rng: Callable[[], float]) -> timedelta:
    """Delay after the ``attempts``-th failed try: doubling, capped, with "equal jitter".

    Half the delay is fixed and half random, so relays that failed together
    do not all come back at the same instant.
    """
    delay = min(policy.max_delay, policy.first_delay * 2 ** max(0, attempts - 1))
    return delay / 2 + delay / 2 * rng()


def _pending() -> tuple[object, ...]:
    return (OutboxItem.delivered_at.is_(None), OutboxItem.dead.is_(False))


def claim(engine: Engine, owner: str, now: datetime, policy: RelayPolicy) -> list[int]:
    """Lease the run of due items that starts at the oldest one to deliver; their ids."""
    with Session(write_engine(engine)) as session, session.begin():
        query = (
            select(OutboxItem.id, OutboxItem.next_attempt_at, OutboxItem.lease_until)
            .where(*_pending())
            .order_by(OutboxItem.id)
            .limit(policy.batch)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = session.execute(query).all()
        if not rows:
            return []
        # SKIP LOCKED leaves out the rows another relay holds at this instant,
        # wherever they are: at the head, or in the middle of the run (``1, 2,
        # 6`` while 3-5 are held). Only the unbroken run of the items still to
        # deliver, in order from the oldest, may be leased; else an item
        # would overtake one held elsewhere.
        in_order = session.scalars(
            select(OutboxItem.id).where(*_pending()).order_by(OutboxItem.id).limit(policy.batch)
        ).all()
        ids: list[int] = []
        for row, expected in zip(rows, in_order, strict=False):
            if row.id != expected:  # another relay holds the item due before this one
                break
            leased = row.lease_until is not None and row.lease_until > now
            if row.next_attempt_at > now or leased:
                break
            ids.append(row.id)
        if not ids:
            return []
        claimed = session.execute(
            update(OutboxItem)
            .where(
                OutboxItem.id.in_(ids),
                or_(OutboxItem.lease_until.is_(None), OutboxItem.lease_until <= now),
            )
            .values(lease_owner=owner, lease_until=now + policy.lease)
        )
        if claimed.rowcount != len(ids):  # cannot happen under the lock; be safe
            session.rollback()
            return []
        return ids


@dataclass(frozen=True, slots=True)
class _Delivery:
    """What one item asks of the store, read before the store is asked."""

    protocol: str
    key: str
    ticket: NewTicket | None  # create this ticket, or
    remote_id: str | None  # add ``comment`` to this one
    comment: Comment | None


def _delivery(session: Session, item: OutboxItem) -> _Delivery:
    ticket = item.ticket
    if item.comment is None:
        return _Delivery(ticket.protocol, item.idempotency_key, new_ticket_of(ticket), None, None)
    c = item.comment
    # Outbox comments are the caller's later messages (``record_message``):
    # the author tells them apart from a note of ours.
    comment = Comment(
        text=c.text, author=c.author, public=c.public, from_customer=c.author == CUSTOMER
    )
    return _Delivery(ticket.protocol, item.idempotency_key, None, ticket.remote_id, comment)


def _send(store: TicketStore, delivery: _Delivery) -> str | None:
    """Ask the store; the remote reference of a created ticket, None for a comment."""
    if delivery.ticket is not None:
        return store.create(delivery.ticket, delivery.key)
    if delivery.remote_id is None or delivery.comment is None:
        raise TicketRejected("o chamado deste comentário não foi entregue")
    store.add_comment(delivery.remote_id, delivery.comment, delivery.key)
    return None


def _release(engine: Engine, ids: list[int], owner: str) -> None:
    if not ids:
        return
    with Session(write_engine(engine)) as session, session.begin():
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.id.in_(ids), OutboxItem.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
        )


def deliver_due(
    engine: Engine,
    store: TicketStore,
    now: datetime,
    *,
    owner: str | None = None,
    policy: RelayPolicy = RelayPolicy(),
    rng: Callable[[], float] = random.random,
    transcriber: Transcriber | None = None,
) -> RelayReport:
    """One pass of the relay: claim, deliver in order, reschedule or bury what failed.

    With a ``transcriber``, a ticket's recordings are transcribed into its
    description just before it is created (see ``tickets_bridge.transcription``).
    """
    owner = owner or default_owner()
    report = RelayReport()
    ids = claim(engine, owner, now, policy)
    for position, item_id in enumerate(ids):
        with Session(engine) as session:
            item = session.get(OutboxItem, item_id)
            if item is None or item.delivered_at is not None:
                continue
            delivery = _delivery(session, item)
        # No transaction is open while the transcriber or the store is asked.
        if delivery.ticket is not None and transcriber is not None:
            ticket = with_transcript(delivery.ticket, transcriber)
            delivery = dataclasses.replace(delivery, ticket=ticket)
        try:
            remote_id = _send(store, delivery)
        except StoreUnavailable as exc:
            _failed(engine, item_id, str(exc), now, policy, rng, exc.retry_after, report)
            _release(engine, ids[position + 1 :], owner)
            return report
        except TicketRejected as exc:
            _bury(engine, item_id, f"recusado pelo sistema de chamados: {exc}", report)
            continue
        except DeliveryUncertain as exc:
            _bury(engine, item_id, f"{UNCERTAIN} ({exc})", report)
            continue
        except Exception as exc:  # a bug or an unexpected answer: retry later, keep order
            log.exception("ticket %s: delivery failed unexpectedly", delivery.protocol)
            _failed(engine, item_id, repr(exc), now, policy, rng, None, report)
            _release(engine, ids[position + 1 :], owner)
            return report
        with Session(write_engine(engine)) as session, session.begin():
            item = session.get_one(OutboxItem, item_id)
            item.delivered_at = now
            item.attempts += 1
            item.lease_owner = item.lease_until = None
            item.last_error = None
            if remote_id is not None:
                item.ticket.remote_id = remote_id
        report.delivered.append(delivery.protocol)
    return report


def _failed(
    engine: Engine,
    item_id: int,
    reason: str,
    now: datetime,
    policy: RelayPolicy,
    rng: Callable[[], float],
    retry_after: float | None,
    report: RelayReport,
) -> None:
    with Session(write_engine(engine)) as session, session.begin():
        item = session.get_one(OutboxItem, item_id)
        if item.attempts + 1 >= policy.max_attempts:
            _bury_item(item, reason, report)
            return
        item.attempts += 1
        item.last_error = reason
        if retry_after is not None:  # the store said when: honour it, never sleep
            wait = timedelta(seconds=retry_after)
        else:
            wait = backoff(item.attempts, policy, rng)
        item.next_attempt_at = now + wait
        item.lease_owner = item.lease_until = None
        protocol = item.ticket.protocol
        log.warning(
            "ticket %s: store unavailable (%s); try %d at %s",
            protocol,
            reason,
            item.attempts + 1,
            item.next_attempt_at.isoformat(),
        )
    report.rescheduled.append(protocol)


def _bury(engine: Engine, item_id: int, reason: str, report: RelayReport) -> None:
    with Session(write_engine(engine)) as session, session.begin():
        _bury_item(session.get_one(OutboxItem, item_id), reason, report)


def _bury_item(item: OutboxItem, reason: str, report: RelayReport) -> None:
    """A dead letter: listed and retried by hand; the items after it go on."""
    item.attempts += 1
    item.dead = True
    item.last_error = reason
    item.lease_owner = item.lease_until = None
    protocol = item.ticket.protocol
    # A comment cannot reach a ticket that never arrived: it waits with it.
    if item.comment_id is None:
        for later in item.ticket.deliveries:
            if later.comment_id is not None and later.delivered_at is None:
                later.dead = True
                later.last_error = "o chamado deste comentário não foi entregue"
    log.error("ticket %s: delivery given up after %d tries: %s", protocol, item.attempts, reason)
    report.dead.append(protocol)


def retry_dead(session: Session, now: datetime, protocol: str | None = None) -> list[str]:
    """Put dead letters back in the queue (one ticket's, or all); the protocols retried."""
    query = (
        select(OutboxItem)
        .join(TicketRecord)
        .where(OutboxItem.dead.is_(True), OutboxItem.delivered_at.is_(None))
        .order_by(OutboxItem.id)
    )
    if protocol is not None:
        query = query.where(TicketRecord.protocol == protocol)
    retried: list[str] = []
    for item in session.scalars(query):
        item.dead = False
        item.attempts = 0
        item.next_attempt_at = now
        item.lease_owner = item.lease_until = None
        if item.ticket.protocol not in retried:
            retried.append(item.ticket.protocol)
    return retried
