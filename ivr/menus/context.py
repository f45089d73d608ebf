"""The inputs of one engine step: what the caller did and the world around it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from hours.clock import require_aware


@dataclass(frozen=True, slots=True)
class CallerEvent:
    """What Twilio reported for the request being served.

    ``digits`` and ``speech`` are both None when a gather timed out.
    """

    digits: str | None = None
    speech: str | None = None
    dial_status: str | None = None  # DialCallStatus / QueueResult
    recording_url: str | None = None
    recording_duration: int | None = None
    call_status: str | None = None  # CallStatus: "completed" once the caller has hung up


class HoursOracle(Protocol):
    """The seam to the business calendar (``hours/``)."""

    def is_open(self, schedule: str | None, now: datetime) -> bool: ...

    def closed_phrase(self, schedule: str | None, now: datetime) -> str:
        """pt-BR sentence saying why the line is closed and when it reopens."""
        ...

    def closing(self, schedule: str | None, now: datetime) -> datetime | None:
        """The first closed instant at or after ``now``; None if it never closes."""
        ...


@dataclass(frozen=True, slots=True)
class VoicemailTicket:
    """What the voicemail step asks the ticket desk to record."""

    key: str  # CallSid and step: a replayed request finds the same ticket
    caller: str
    line: str | None
    topic: str | None
    recording_url: str
    recording_duration: int | None
    call_sid: str
    add_to: str | None = None  # the caller chose to add the message to this open ticket


@dataclass(frozen=True, slots=True)
class TicketNote:
    """The ticket a caller is told about: its protocol and when to expect an answer."""

    protocol: str
    status: str = ""
    updated_at: datetime | None = None
    due_at: datetime | None = None
    stale: bool = False  # the help desk did not answer: the last status we knew
    follows: str | None = None  # a follow-up of this Resolvido ticket


class TicketDesk(Protocol):
    """The seam to the tickets bridge, asked only by the voicemail and ticket-status steps.

    Every other step stays free of I/O.
    """

    def open_ticket(self, caller: str, line: str | None) -> str | None:
        """The protocol of the caller's newest ticket on ``line`` not yet Resolvido."""
        ...

    def record_voicemail(self, message: VoicemailTicket, now: datetime) -> TicketNote:
        """Make the message a ticket (or a comment on ``add_to``), durably, before we answer."""
        ...

    def lookup(self, protocol: str) -> TicketNote | None:
        """A ticket's status (the help desk asked briefly, else the last one known)."""
        ...


@dataclass(frozen=True, slots=True)
class CallbackRequest:
    """What the callback step asks the callback desk to book."""

    call_sid: str  # a replayed request finds the same booking
    number: str  # E.164, already checked by ``callbacks.numbers``
    line: str
    # ``callbacks.booking.When`` (first_available, next_morning, next_afternoon), or
    # ``asap``: the caller left the queue and keeps their place (``book_now``)
    when: str


@dataclass(frozen=True, slots=True)
class CallbackNote:
    """A booked callback as the caller hears it: its protocol and its slot."""

    protocol: str
    start: datetime
    end: datetime
    existing: bool = False  # booked before this request: the caller may keep or cancel it


class CallbackDesk(Protocol):
    """The seam to ``callbacks``, asked only by the callback step (one small transaction each)."""

    def active(self, number: str, line: str) -> CallbackNote | None:
        """The number's callback on ``line`` still to be made, if any."""
        ...

    def book(self, request: CallbackRequest, now: datetime) -> CallbackNote | None:
        """Book it durably before we answer; None when no slot is free.

        A number that already has one gets it back with ``existing`` set.
        """
        ...

    def cancel(self, number: str, line: str, now: datetime) -> bool:
        """Cancel the number's active callback on ``line``; False when there was none."""
        ...


class AlwaysOpen:
    """Calendar used until one is configured: the line never closes."""

    def is_open(self, schedule: str | None, now: datetime) -> bool:
        return True

    def closed_phrase(self, schedule: str | None, now: datetime) -> str:
        return ""

    def closing(self, schedule: str | None, now: datetime) -> datetime | None:
        return None


@dataclass(frozen=True, slots=True)
class CallContext:
    """Facts about the call that are not caller input. ``now`` must be aware."""

    now: datetime
    caller: str = ""  # E.164 as Twilio sends it in From
    called: str = ""
    hours: HoursOracle = AlwaysOpen()  # noqa: RUF009 -- stateless, safe to share
    tickets: TicketDesk | None = None  # None: no tickets (menus tried without a database)
    callbacks: CallbackDesk | None = None  # None: no callbacks can be booked
    call_sid: str = ""

    def __post_init__(self) -> None:
        require_aware(self.now, "CallContext.now")
