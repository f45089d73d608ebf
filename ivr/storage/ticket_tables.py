"""The tickets' tables: tickets, their comments and attachments, the outbox, protocol counters.

Every ticket lives here first, whatever store it goes to: the protocol number
the caller hears is made in this database, and the row is written in the
same transaction as its outbox item (``tickets_bridge.intake``). With the
built-in store (``IVR_TICKET_STORE=sql``) this row *is* the ticket; with a
remote store it keeps what we last knew of it (``status``, ``remote_id``).

Phone numbers and e-mails are personal data: never in a ``repr`` or a log line.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ivr.storage.db import Base, UTCDateTime


class ProtocolCounter(Base):
    """How many protocol numbers a day (São Paulo date, ``YYMMDD``) has handed out."""

    __tablename__ = "protocol_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class TicketRecord(Base):
    """One ticket: a contact not solved on the phone."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    protocol: Mapped[str] = mapped_column(String(12), unique=True)
    # Derived from the CallSid and step (or given by the command line): a
    # replayed webhook finds the ticket it already made.
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    line: Mapped[str | None] = mapped_column(String(64))  # product line (department)
    topic: Mapped[str | None] = mapped_column(String(128))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(32), index=True)  # E.164, personal data
    email: Mapped[str | None] = mapped_column(String(254))  # personal data
    platform: Mapped[str | None] = mapped_column(String(100))  # platform and version
    priority: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(32), index=True)  # tickets_bridge.store.Status
    # When the status last changed or the customer last came back: the
    # vendors' automatic moves count business days from here.
    status_since: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_response_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    store: Mapped[str] = mapped_column(String(20))  # where it was sent: sql, zendesk, …
    remote_id: Mapped[str | None] = mapped_column(String(64))
    # Indexed: deleting a ticket checks for follow-ups pointing at it (retention, forget).
    follows_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)

    comments: Mapped[list[TicketComment]] = relationship(
        back_populates="ticket",
        order_by="TicketComment.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    attachments: Mapped[list[TicketAttachment]] = relationship(
        back_populates="ticket",
        order_by="TicketAttachment.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    follows: Mapped[TicketRecord | None] = relationship(remote_side=[id])
    deliveries: Mapped[list[OutboxItem]] = relationship(
        back_populates="ticket", order_by="OutboxItem.id", passive_deletes=True
    )

    @property
    def delivery(self) -> str:
        """``delivered``, ``pending`` or ``dead``: how far the ticket got to its store.

        A ticket of the built-in store has no outbox item: it is home already.
        """
        items = [item for item in self.deliveries if item.comment_id is None]
        return items[0].delivery if items else "delivered"

    def __repr__(self) -> str:
        return f"<TicketRecord {self.protocol} {self.status}>"


#: The tickets table itself, for Core statements on the webhooks' hot paths
#: (no ORM compile step, no unit of work).
tickets: Table = TicketRecord.__table__  # type: ignore[assignment]


class TicketComment(Base):
    __tablename__ = "ticket_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    text: Mapped[str] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean)
    # Set when a webhook added it: a replayed request adds nothing twice.
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)

    ticket: Mapped[TicketRecord] = relationship(back_populates="comments")


class TicketAttachment(Base):
    """A link the ticket carries (a voicemail recording), never the audio itself."""

    __tablename__ = "ticket_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    duration: Mapped[int | None] = mapped_column(Integer)  # seconds, for recordings

    ticket: Mapped[TicketRecord] = relationship(back_populates="attachments")


class OutboxItem(Base):
    """A ticket (or a comment on one) still to deliver to a remote store, or done with.

    ``id`` order is creation order, the order deliveries keep: a ticket's
    comments go after the ticket. A relay owns an item while ``lease_until``
    is in the future.
    """

    __tablename__ = "ticket_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    # None: the item creates the ticket; else it adds this comment to it.
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket_comments.id", ondelete="CASCADE"), index=True
    )
    # The same on every try, so a timeout after the store created the ticket
    # never yields a second one.
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    store: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    dead: Mapped[bool] = mapped_column(Boolean, default=False)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)

    ticket: Mapped[TicketRecord] = relationship(back_populates="deliveries")
    comment: Mapped[TicketComment | None] = relationship()

    @property
    def delivery(self) -> str:
        """``delivered``, ``dead`` or ``pending``: what the command line shows."""
        if self.delivered_at is not None:
            return "delivered"
        return "dead" if self.dead else "pending"

    def __repr__(self) -> str:
        return f"<OutboxItem {self.id} ticket={self.ticket_id} {self.delivery}>"
