"""The generic webhook: what is signed, how a receiver checks it, optional events."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import httpx
import pytest

from tests.tickets_bridge.standins.server import serving
from tests.tickets_bridge.standins.webhook_receiver import WebhookReceiver
from tests.tickets_bridge.test_store_contract import voicemail
from tickets_bridge.adapters.webhook import UnsupportedByReceiver, WebhookStore
from tickets_bridge.intake import TicketRequest, record_message, record_ticket
from tickets_bridge.outbox import deliver_due
from tickets_bridge.store import TicketRejected

AT = datetime(2026, 12, 1, 13, 6, tzinfo=UTC)


@pytest.fixture
def receiver():
    standin = WebhookReceiver()
    with serving(standin) as url:
        standin.url = f"{url}/tickets"
        yield standin


def test_the_signature_covers_the_timestamp_and_the_exact_body(receiver, http_client):
    receiver.now = AT.timestamp
    WebhookStore(receiver.url, receiver.secret, http_client, clock=lambda: AT).create(
        voicemail("100000000018"), "key-1"
    )

    headers, body = receiver.last
    assert headers["X-Tickets-Timestamp"] == str(int(AT.timestamp()))
    signed = headers["X-Tickets-Timestamp"].encode() + b"." + body
    digest = hmac.new(b"webhook-secret", signed, hashlib.sha256).hexdigest()
    assert headers["X-Tickets-Signature"] == f"sha256={digest}"
    assert headers["Idempotency-Key"] == "key-1"
    payload = json.loads(body)
    assert payload["event"] == "ticket.create"
    assert payload["idempotency_key"] == "key-1"
    assert payload["ticket"]["protocol"] == "100000000018"
    assert payload["ticket"]["attachments"][0]["duration"] == 42
    assert payload["ticket"]["created_at"] == "2026-12-01T13:05:00+00:00"


def test_a_receiver_refuses_a_wrong_secret_and_nothing_is_created(receiver, http_client):
    store = WebhookStore(receiver.url, "not-the-secret", http_client)

    with pytest.raises(TicketRejected, match="401"):
        store.create(voicemail("100000000018"), "key-1")
    assert receiver.tickets == {}


def test_a_stale_timestamp_is_refused(receiver, http_client):
    store = WebhookStore(receiver.url, receiver.secret, http_client, clock=lambda: AT)

    with pytest.raises(TicketRejected):  # AT is long past by the receiver's clock
        store.create(voicemail("100000000018"), "key-1")


def test_without_an_id_from_the_receiver_the_reference_is_our_protocol(receiver, http_client):
    receiver.answer_without_id = True
    store = WebhookStore(receiver.url, receiver.secret, http_client)

    assert store.create(voicemail("100000000018"), "key-1") == "100000000018"


def test_a_create_only_receiver_says_what_it_does_not_support(http_client):
    receiver = WebhookReceiver(create_only=True)
    with serving(receiver) as url:
        store = WebhookStore(url, receiver.secret, http_client)
        remote_id = store.create(voicemail("100000000018"), "key-1")

        with pytest.raises(UnsupportedByReceiver, match=r"ticket\.status"):
            store.status(remote_id)
        with pytest.raises(UnsupportedByReceiver, match=r"tickets\.open"):
            store.open_tickets("+5511911112222")


def test_the_builder_needs_both_variables():
    with httpx.Client() as client, pytest.raises(ValueError, match="TICKETS_WEBHOOK_SECRET"):
        WebhookStore.from_env({"TICKETS_WEBHOOK_URL": "https://x"}, client)


def test_a_callers_later_message_reaches_the_receiver_as_the_customers(
    receiver, http_client, engine, rules
):
    """``from_customer`` survives the outbox: the receiver can hand the ticket back to its team."""
    now = datetime.now(UTC)
    request = TicketRequest("Recado por telefone", "A nota não sai.", line="erp")
    protocol = record_ticket(engine, request, key="CA1:5", now=now, store="webhook", rules=rules)
    message = TicketRequest("Recado", "Liguei de novo.")
    record_message(engine, protocol.protocol, message, key="CA2:5", now=now, rules=rules)

    deliver_due(engine, WebhookStore(receiver.url, receiver.secret, http_client), now)

    [comment] = receiver.comments[protocol.protocol]
    assert comment["from_customer"] is True and comment["text"] == "Liguei de novo."
