"""The one interface every ticket store implements, and the values it speaks in.

The IVR, the callbacks and the command line see only :class:`TicketStore`;
adapters (the built-in SQL store, Zendesk, TomTicket, a signed webhook)
implement it. Errors form a small tree::

    TicketStoreError
    ├── StoreUnavailable   transient: down, timed out, 429/5xx; retry later
    │                      (``retry_after`` seconds when the store said so;
    │                      ``maybe_done`` when the request went out unanswered)
    ├── DeliveryUncertain  the request went out, no answer came back, and the
    │                      store offers no way to repeat it safely: a person checks
    ├── TicketRejected     permanent: the store refused this ticket as sent
    │   └── TicketClosed   the ticket is Resolvido: open a follow-up instead
    ├── TicketNotFound     no ticket with that reference
    └── RedactionUnsupported  the store offers no way to erase a requester
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

Priority = Literal["low", "normal", "high", "urgent"]


class Status(StrEnum):
    """Ticket statuses as the vendors name them (what supervisors read)."""

    OPEN = "Aberto"
    AWAITING_REPLY = "Aguardando resposta"
    CUSTOMER_PENDING = "Pendência do Cliente"
    CUSTOMER_VALIDATION = "Validação Cliente"
    RESOLVED = "Resolvido"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A link the ticket carries, such as a voicemail recording (never the audio itself)."""

    url: str
    kind: str = "recording"
    duration: int | None = None  # seconds, for recordings


@dataclass(frozen=True, slots=True)
class NewTicket:
    """A ticket to create. ``protocol`` is ours, made before any store is asked."""

    protocol: str
    subject: str
    description: str
    created_at: datetime
    line: str | None = None  # product line (department)
    topic: str | None = None
    phone: str | None = None  # E.164
    email: str | None = None
    priority: Priority = "normal"
    attachments: tuple[Attachment, ...] = ()
    follows: str | None = None  # protocol of the resolved ticket this one follows up
    platform: str | None = None  # the customer's platform and version, when known


#: What a caller's request, a ``NewTicket`` and a stored ticket row all carry, by name.
SHARED_FIELDS = (
    "subject",
    "description",
    "line",
    "topic",
    "phone",
    "email",
    "priority",
    "platform",
)


def shared_fields(source: object) -> dict[str, Any]:
    """``source``'s shared fields, to build another of the three shapes from it."""
    return {name: getattr(source, name) for name in SHARED_FIELDS}


@dataclass(frozen=True, slots=True)
class TicketSummary:
    """What a store tells about one ticket."""

    remote_id: str
    status: Status
    updated_at: datetime
    protocol: str | None = None
    subject: str = ""
    line: str | None = None
    due_at: datetime | None = None  # first response due, where the store knows it


@dataclass(frozen=True, slots=True)
class Comment:
    text: str
    author: str
    public: bool = False
    # The customer came back (a new message by phone): the built-in store
    # hands a ticket waiting on the customer back to the team.
    from_customer: bool = False


class TicketStoreError(Exception):
    """Base of the errors a ticket store raises."""


@dataclass
class StoreUnavailable(TicketStoreError):
    """The store could not be reached or asked us to wait: try again later."""

    reason: str
    retry_after: float | None = None
    # The request was sent and no answer came back (a read timeout, a dropped
    # connection): the store may have carried it out.
    maybe_done: bool = False

    def __str__(self) -> str:
        return self.reason


class DeliveryUncertain(TicketStoreError):
    """The store may have done it, cannot say, and takes no key to make a retry safe.

    Sending it again could double it (a TomTicket reply): the relay sets it
    aside as a dead letter for a person to check, instead of retrying.
    """


class TicketRejected(TicketStoreError):
    """The store refused the ticket as sent: retrying the same request will not help."""


class TicketClosed(TicketRejected):
    """The ticket is Resolvido and takes no more comments: open a follow-up ticket."""


class TicketNotFound(TicketStoreError):
    """No ticket with that reference in this store."""


class RedactionUnsupported(TicketStoreError):
    """The store's API cannot erase a requester: someone must do it in its own panel."""


class TicketStore(Protocol):
    """What the rest of the product may ask of a ticket store."""

    def create(self, ticket: NewTicket, idempotency_key: str) -> str:
        """Create the ticket (at most once per key) and return the store's reference."""
        ...

    def status(self, remote_id: str) -> TicketSummary:
        """The ticket's current status."""
        ...

    def open_tickets(self, phone: str, line: str | None = None) -> list[TicketSummary]:
        """The caller's tickets not yet Resolvido, newest first, for one line or all."""
        ...

    def add_comment(self, remote_id: str, comment: Comment, idempotency_key: str) -> None:
        """Add a comment (private unless ``comment.public``), at most once per key.

        Where the store takes no key, the adapter looks before it adds again,
        or raises ``DeliveryUncertain`` rather than risk a second copy.
        """
        ...


@dataclass(frozen=True, slots=True)
class StoreInfo:
    """Settings-independent facts about an adapter, for the command line."""

    name: str
    remote: bool
    notes: tuple[str, ...] = field(default=())
