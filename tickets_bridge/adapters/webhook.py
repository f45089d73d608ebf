"""Any other help desk (Movidesk, an in-house system) through one signed webhook.

Every operation is a JSON ``POST`` to ``TICKETS_WEBHOOK_URL`` naming its
``event``; the README's "Help desks" section documents each payload and the
answer expected. Each request carries:

- ``X-Tickets-Timestamp``: Unix time in whole seconds, when it was signed;
- ``X-Tickets-Signature``: ``sha256=`` and the lowercase hex HMAC-SHA256, keyed
  with ``TICKETS_WEBHOOK_SECRET`` (its UTF-8 bytes), of the ASCII timestamp,
  one ``.``, and the raw body bytes exactly as sent;
- ``Idempotency-Key`` on ``ticket.create`` and ``ticket.comment`` (also in the
  signed body): the same key on every retry, so a receiver that stores it
  creates nothing twice.

``ticket.create`` is the one event every receiver must implement. A receiver
answers ``501`` to one it does not, and the adapter raises
:class:`UnsupportedByReceiver` (a :class:`TicketRejected`: asking again will
not help).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import httpx

from hours.clock import Clock, require_aware, utc_now
from tickets_bridge.adapters.environment import required
from tickets_bridge.adapters.remote_calls import instant, json_body, rejected, send
from tickets_bridge.store import (
    Comment,
    NewTicket,
    RedactionUnsupported,
    Status,
    StoreInfo,
    StoreUnavailable,
    TicketClosed,
    TicketNotFound,
    TicketRejected,
    TicketSummary,
)

TIMESTAMP_HEADER = "X-Tickets-Timestamp"
SIGNATURE_HEADER = "X-Tickets-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"

# Statuses a receiver may answer: ours in pt-BR, or their names in English.
STATUS_WORDS = {
    **{status.value.casefold(): status for status in Status},
    **{status.name.casefold(): status for status in Status},
}


class UnsupportedByReceiver(TicketRejected):
    """The webhook receiver does not implement this event (it answered 501)."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Tickets-Signature`` value for a body sent at ``timestamp``."""
    message = timestamp.encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class WebhookStore:
    """Tickets sent to a receiver that verifies our signature."""

    info = StoreInfo(
        name="webhook",
        remote=True,
        notes=("status, open tickets and comments need a receiver that implements them",),
    )

    def __init__(self, url: str, secret: str, client: httpx.Client, *, clock: Clock = utc_now):
        if not secret:
            raise ValueError("the webhook store needs a secret to sign with")
        self._url = url
        self._secret = secret
        self._client = client
        self._clock = clock

    @classmethod
    def from_env(cls, environ: Mapping[str, str], client: httpx.Client) -> WebhookStore:
        """From ``TICKETS_WEBHOOK_URL`` and ``TICKETS_WEBHOOK_SECRET``."""
        url, secret = required(environ, "webhook", "TICKETS_WEBHOOK_URL", "TICKETS_WEBHOOK_SECRET")
        return cls(url, secret, client)

    # -- TicketStore ---------------------------------------------------------

    def create(self, ticket: NewTicket, idempotency_key: str) -> str:
        payload = {
            "event": "ticket.create",
            "idempotency_key": idempotency_key,
            "ticket": ticket_payload(ticket),
        }
        response = self._post(payload, idempotency_key)
        if not 200 <= response.status_code < 300:
            raise rejected("the webhook receiver refused the ticket", response)
        answer = json_body(response)
        remote_id = answer.get("id") if isinstance(answer, dict) else None
        # A receiver that keeps no id of its own knows the ticket by our protocol.
        return str(remote_id) if isinstance(remote_id, str | int) and remote_id else ticket.protocol

    def status(self, remote_id: str) -> TicketSummary:
        response = self._post({"event": "ticket.status", "id": remote_id})
        if response.status_code == 404:
            raise TicketNotFound(f"the webhook receiver knows no ticket {remote_id}")
        if response.status_code != 200:
            raise rejected(f"the webhook receiver refused the status of {remote_id}", response)
        answer = json_body(response)
        item = answer.get("ticket") if isinstance(answer, dict) else None
        summary = _summary(item, remote_id)
        if summary is None:
            raise StoreUnavailable(f"the webhook receiver answered {remote_id} in an unknown shape")
        return summary

    def open_tickets(self, phone: str, line: str | None = None) -> list[TicketSummary]:
        response = self._post({"event": "tickets.open", "phone": phone, "line": line})
        if response.status_code != 200:
            raise rejected("the webhook receiver refused the open tickets", response)
        answer = json_body(response)
        items = answer.get("tickets") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise StoreUnavailable("the webhook receiver answered open tickets in an unknown shape")
        tickets = [
            s
            for item in items
            if (s := _summary(item, None)) is not None
            and s.status is not Status.RESOLVED
            and (line is None or s.line in (None, line))  # the receiver was told the line
        ]
        return sorted(
            tickets,
            key=lambda t: t.updated_at,
            reverse=True,
        )

    def add_comment(self, remote_id: str, comment: Comment, idempotency_key: str) -> None:
        content = {
            "text": comment.text,
            "author": comment.author,
            "public": comment.public,
            "from_customer": comment.from_customer,
        }
        payload = {
            "event": "ticket.comment",
            "idempotency_key": idempotency_key,
            "id": remote_id,
            "comment": content,
        }
        response = self._post(payload, idempotency_key)
        if response.status_code == 404:
            raise TicketNotFound(f"the webhook receiver knows no ticket {remote_id}")
        if response.status_code == 409:
            raise TicketClosed(remote_id)  # resolved: the product opens a follow-up instead
        if not 200 <= response.status_code < 300:
            raise rejected(f"the webhook receiver refused the comment on {remote_id}", response)

    def redact_requester(self, phone: str) -> int:
        """The webhook protocol has no erasure event: the receiver's owner must do it."""
        raise RedactionUnsupported(
            "o webhook de tickets não tem pedido de exclusão: "
            "peça a quem mantém o sistema receptor que apague os dados do cliente"
        )

    # -- the pieces ------------------------------------------------------------

    def _post(
        self, payload: Mapping[str, Any], idempotency_key: str | None = None
    ) -> httpx.Response:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(self._clock().timestamp()))
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(self._secret, timestamp, body),
        }
        if idempotency_key:
            headers[IDEMPOTENCY_HEADER] = idempotency_key
        response = send(self._client, "POST", self._url, content=body, headers=headers)
        if response.status_code == 501:
            raise UnsupportedByReceiver(
                f"the webhook receiver does not implement {payload['event']}"
            )
        return response


def ticket_payload(ticket: NewTicket) -> dict[str, Any]:
    """A new ticket as the receiver gets it (see the README's "Help desks")."""
    return {
        "protocol": ticket.protocol,
        "subject": ticket.subject,
        "description": ticket.description,
        "created_at": require_aware(ticket.created_at, "NewTicket.created_at").isoformat(),
        "line": ticket.line,
        "topic": ticket.topic,
        "phone": ticket.phone,
        "email": ticket.email,
        "priority": ticket.priority,
        "attachments": [
            {"url": a.url, "kind": a.kind, "duration": a.duration} for a in ticket.attachments
        ],
        "follows": ticket.follows,
        "platform": ticket.platform,
    }


def _summary(item: Any, remote_id: str | None) -> TicketSummary | None:
    if not isinstance(item, Mapping):
        return None
    found_id = item.get("id", remote_id)
    updated_at = instant(item.get("updated_at"))
    if found_id is None or updated_at is None:
        return None
    word = str(item.get("status", "")).casefold()
    return TicketSummary(
        remote_id=str(found_id),
        # A word we do not know counts as open: never report a ticket solved by mistake.
        status=STATUS_WORDS.get(word, Status.OPEN),
        updated_at=updated_at,
        protocol=_text(item.get("protocol")),
        subject=_text(item.get("subject")) or "",
        line=_text(item.get("line")),
        due_at=instant(item.get("due_at")),
    )


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None
