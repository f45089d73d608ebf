"""The tables: published menu versions and the call log (the tickets' tables
live in ``ivr.storage.ticket_tables`` and are registered from here too).

Schema changes go through Alembic only (``ivr/storage/migrations/versions``); a
test checks that these models and the migrations agree.

Phone numbers are stored (callbacks need them later) but never appear in a
``repr`` or a log line (LGPD).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ivr.storage.db import Base, UTCDateTime
from ivr.storage.ticket_tables import (  # registered on Base.metadata with the others
    OutboxItem,
    ProtocolCounter,
    TicketAttachment,
    TicketComment,
    TicketRecord,
)

__all__ = [
    "Call",
    "CallStep",
    "EmergencyClosureRecord",
    "MenuVersion",
    "OutboxItem",
    "ProtocolCounter",
    "SurveyAnswerRecord",
    "TicketAttachment",
    "TicketComment",
    "TicketRecord",
]

PUBLISHED = "published"
DRAFT = "draft"  # served only to its test numbers
RETIRED = "retired"  # a draft replaced by a newer one, or promoted


class MenuVersion(Base):
    """One published menu document. ``id`` is the version callers are pinned to."""

    __tablename__ = "menu_versions"
    # AUTOINCREMENT on SQLite: a version number is never reused, even after a delete.
    __table_args__: ClassVar[dict[str, object]] = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    content: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)  # sha256 hex
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # PUBLISHED (the newest is live), DRAFT (heard only from test_numbers) or RETIRED.
    status: Mapped[str] = mapped_column(String(20), default=PUBLISHED, index=True)
    test_numbers: Mapped[list[str] | None] = mapped_column(JSON, default=None)

    def __repr__(self) -> str:
        return f"<MenuVersion {self.id} {self.status} {self.content_hash[:12]}>"


class Call(Base):
    """One telephone call: who, when, on which menu version, and how it ended."""

    __tablename__ = "calls"

    call_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_sid: Mapped[str | None] = mapped_column(String(64))
    from_number: Mapped[str | None] = mapped_column(String(64))  # personal data
    to_number: Mapped[str | None] = mapped_column(String(64))
    menu_version: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str | None] = mapped_column(String(20))  # Twilio CallStatus
    last_sequence: Mapped[int | None] = mapped_column(Integer)  # Twilio SequenceNumber applied
    # How the call ended: transferred / voicemail / hung_up / timed_out / error.
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_detail: Mapped[str | None] = mapped_column(Text)
    # The step that reported the outcome; None while the outcome is only
    # inferred from the status callback (a hang-up), so a step can correct it.
    outcome_step: Mapped[int | None] = mapped_column(Integer)
    duration: Mapped[int | None] = mapped_column(Integer)  # seconds, Twilio CallDuration
    line: Mapped[str | None] = mapped_column(String(64))  # product line chosen
    last_step: Mapped[int | None] = mapped_column(Integer)
    last_node: Mapped[str | None] = mapped_column(String(128))  # where the caller was left
    recording_url: Mapped[str | None] = mapped_column(Text)
    recording_duration: Mapped[int | None] = mapped_column(Integer)

    steps: Mapped[list[CallStep]] = relationship(
        back_populates="call",
        order_by="CallStep.step",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"<Call {self.call_sid} {self.status} {self.outcome}>"


class CallStep(Base):
    """One webhook request of a call: where the caller was and what they pressed or said."""

    __tablename__ = "call_steps"
    __table_args__ = (UniqueConstraint("call_sid", "step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_sid: Mapped[str] = mapped_column(
        String(64), ForeignKey("calls.call_sid", ondelete="CASCADE")
    )
    step: Mapped[int] = mapped_column(Integer)  # CallState.step: the idempotency key
    node: Mapped[str] = mapped_column(String(128))
    digits: Mapped[str | None] = mapped_column(String(64))
    speech: Mapped[str | None] = mapped_column(Text)
    path: Mapped[list[str]] = mapped_column(JSON, default=list)  # nodes entered
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    call: Mapped[Call] = relationship(back_populates="steps")

    def __repr__(self) -> str:
        return f"<CallStep {self.call_sid}#{self.step} {self.node}>"


class SurveyAnswerRecord(Base):
    """One answer of the satisfaction survey: a rating from 1 to 5, or a comment.

    Keyed by the request that carried it (CallSid and ``CallState.step``): a
    request Twilio replays stores nothing twice. ``line`` and
    ``ticket_protocol`` are the call's product line and its ticket, if any,
    when the answer was given. Deleted with its call.
    """

    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("call_sid", "step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_sid: Mapped[str] = mapped_column(
        String(64), ForeignKey("calls.call_sid", ondelete="CASCADE")
    )
    step: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    line: Mapped[str | None] = mapped_column(String(64))
    ticket_protocol: Mapped[str | None] = mapped_column(String(40))
    rating: Mapped[int | None] = mapped_column(Integer)  # 1-5; None for a comment
    comment: Mapped[str | None] = mapped_column(Text)  # personal data: what the caller said
    recording_url: Mapped[str | None] = mapped_column(Text)  # a recorded comment

    def __repr__(self) -> str:
        return f"<SurveyAnswerRecord {self.call_sid}#{self.step} {self.rating}>"


class EmergencyClosureRecord(Base):
    """A supervisor's "fechar agora": the line is closed from ``start`` to ``end``.

    ``end`` None means until someone reopens it. ``schedules`` None closes
    every schedule. Rows are never deleted: reopening sets ``end``.
    """

    __tablename__ = "emergency_closures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime())
    end: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    message: Mapped[str] = mapped_column(Text)
    schedules: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Callback(Base):
    """A caller's request to be called back in a slot of their product line's hours.

    ``status``: ``scheduled`` (waiting for ``scheduled_for``), ``dialing``
    (claimed by a dispatcher until ``lease_until``), ``in_call`` (Twilio took
    the call; its status callback decides), then ``completed``, ``failed`` or
    ``cancelled``. ``active_key`` is ``"{line} {number}"`` while the callback is
    not finished and NULL afterwards: its unique constraint keeps one active
    callback per number and line, whatever the number of processes.
    """

    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    protocol: Mapped[str] = mapped_column(String(40), unique=True)
    number: Mapped[str] = mapped_column(String(20))  # E.164, personal data
    line: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)  # what the caller was calling about
    status: Mapped[str] = mapped_column(String(20))
    active_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime())
    slot_end: Mapped[datetime] = mapped_column(UTCDateTime())
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    call_sid: Mapped[str | None] = mapped_column(String(64))  # the attempt in progress
    source_call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)  # idempotency
    ticket_protocol: Mapped[str | None] = mapped_column(String(40))  # opened when it failed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The SMS confirmation (``callbacks.sms``): NULL when none is wanted, else
    # pending, sending (claimed until sms_not_before), sent or failed.
    sms_status: Mapped[str | None] = mapped_column(String(20), index=True)
    sms_sid: Mapped[str | None] = mapped_column(String(64))  # Twilio's MessageSid
    sms_tries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sms_not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())  # lease, or next try

    attempt_rows: Mapped[list[CallbackAttempt]] = relationship(
        back_populates="callback",
        order_by="CallbackAttempt.attempt",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    events: Mapped[list[CallbackEvent]] = relationship(
        back_populates="callback",
        order_by="CallbackEvent.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (Index("ix_callbacks_status_scheduled_for", "status", "scheduled_for"),)

    def __repr__(self) -> str:
        return f"<Callback {self.protocol} {self.line} {self.status}>"


class CallbackAttempt(Base):
    """One outbound call of a callback and what Twilio said about it."""

    __tablename__ = "callback_attempts"
    __table_args__ = (UniqueConstraint("callback_id", "attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    callback_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("callbacks.id", ondelete="CASCADE")
    )
    attempt: Mapped[int] = mapped_column(Integer)
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    dialed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str | None] = mapped_column(String(20))  # Twilio CallStatus
    answered_by: Mapped[str | None] = mapped_column(String(32))  # Twilio AnsweredBy (AMD)
    last_sequence: Mapped[int | None] = mapped_column(Integer)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # answered / machine / no-answer / busy / failed / error: the attempt's outcome
    outcome: Mapped[str | None] = mapped_column(String(20))

    callback: Mapped[Callback] = relationship(back_populates="attempt_rows")


class CallbackEvent(Base):
    """The history of a callback, for supervisors: booked, moved, dialed, retried, …"""

    __tablename__ = "callback_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    callback_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("callbacks.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text)

    callback: Mapped[Callback] = relationship(back_populates="events")


class CallbackSlot(Base):
    """How many callbacks a line has booked in one slot: the capacity counter.

    Booking takes a place with one conditional ``UPDATE … SET booked = booked
    + 1 WHERE booked < capacity``, atomic on every backend, so two processes
    can never overfill a slot.
    """

    __tablename__ = "callback_slots"

    line: Mapped[str] = mapped_column(String(64), primary_key=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    end: Mapped[datetime] = mapped_column(UTCDateTime())
    booked: Mapped[int] = mapped_column(Integer, default=0)


class DialPacing(Base):
    """The account's outbound pace: the next instant a call may be placed.

    A dispatcher may dial only after moving ``next_at`` forward with a
    conditional update, so the calls-per-second limit holds for the Twilio
    account however many workers run.
    """

    __tablename__ = "dial_pacing"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime())


SUPERVISOR = "supervisor"  # edits menus, publishes, closes the line
VIEWER = "viewer"  # reads; phone numbers masked
ROLES = (SUPERVISOR, VIEWER)


class ConsoleUser(Base):
    """Someone who logs in to the console. Only a password hash is stored."""

    __tablename__ = "console_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<ConsoleUser {self.name} {self.role}>"


class LoginFailure(Base):
    """One failed log-in: counted per account and per address for the lock-out."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)


class AuditEntry(Base):
    """One change made from the console: who, when, what, before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    target: Mapped[str] = mapped_column(String(200))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
