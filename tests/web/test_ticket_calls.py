"""Tickets through the signed webhooks: a voicemail becomes a ticket, the open-ticket offer,
the status by phone (with a help desk that does not answer)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ivr.app import close_app, create_app
from ivr.simulator import Answer, InProcess, Phone
from ivr.storage.ticket_tables import OutboxItem, TicketRecord
from tests.tickets_bridge.standins.server import serving
from tests.tickets_bridge.standins.webhook_receiver import WebhookReceiver
from tests.web.conftest import AUTH_TOKEN, SAO_PAULO, SHIPPED_MENU, publish_text
from tickets_bridge.adapters.webhook import WebhookStore
from tickets_bridge.outbox import deliver_due
from tickets_bridge.protocol import spoken_protocol

CALLER = "+5511912345678"
TUESDAY_NIGHT = datetime(2026, 12, 1, 20, 0, tzinfo=SAO_PAULO)
WEDNESDAY_MORNING = datetime(2026, 12, 2, 10, 0, tzinfo=SAO_PAULO)


def tickets(app) -> list[TicketRecord]:
    with Session(app.extensions["ivr"].engine) as session:
        rows = session.scalars(select(TicketRecord).order_by(TicketRecord.id)).all()
        for row in rows:
            _ = (row.attachments, row.comments, row.deliveries)
        return list(rows)


def leave_message(app, clock, answers=()):
    clock.at = TUESDAY_NIGHT
    keys = ("2", *answers)  # after hours: 2 leaves a message (1 books a callback)
    return Phone(InProcess(app), AUTH_TOKEN, caller=CALLER).call([Answer.parse(a) for a in keys])


def test_a_voicemail_becomes_a_ticket_and_the_caller_hears_its_protocol_twice(app, clock):
    transcript = leave_message(app, clock)
    (ticket,) = tickets(app)
    spoken = spoken_protocol(ticket.protocol)
    heard = transcript.heard
    assert ticket.protocol.startswith("261201")
    assert heard.count(f"{spoken}.") == 1 and f"Repetindo: {spoken}." in heard
    assert "Nossa equipe retorna até quinta-feira, 3 de dezembro." in heard
    assert transcript.ended == "voicemail-recorded"
    record = next(t for t in transcript.turns if "RecordingUrl" in t.params)
    assert ticket.phone == CALLER and ticket.call_sid == transcript.call_sid
    assert ticket.status == "Aberto" and ticket.store == "sql" and ticket.delivery == "delivered"
    (attachment,) = ticket.attachments
    assert (attachment.url, attachment.kind, attachment.duration) == (
        record.params["RecordingUrl"],
        "recording",
        12,
    )


def test_a_replayed_voicemail_webhook_reads_back_the_same_protocol_and_makes_nothing(app, clock):
    transcript = leave_message(app, clock)
    record = next(t for t in transcript.turns if "RecordingUrl" in t.params)
    phone = Phone(InProcess(app), AUTH_TOKEN, caller=CALLER)
    clock.at += timedelta(seconds=5)
    _url, status, body = phone.signed_post(record.url, record.params)  # Twilio retries
    (ticket,) = tickets(app)
    assert status == 200
    assert body == record.twiml
    assert spoken_protocol(ticket.protocol) in body


def test_a_caller_with_an_open_ticket_adds_the_message_to_it(app, clock):
    leave_message(app, clock)
    clock.at = TUESDAY_NIGHT + timedelta(hours=1)
    again = Phone(InProcess(app), AUTH_TOKEN, caller=CALLER).call(
        [Answer.parse("2"), Answer.parse("1")]
    )
    (ticket,) = tickets(app)
    spoken = spoken_protocol(ticket.protocol)
    assert any(f"Você já tem um chamado aberto, com o protocolo {spoken}" in h for h in again.heard)
    assert "Sua mensagem foi acrescentada ao seu chamado. O número do protocolo é:" in again.heard
    (comment,) = ticket.comments
    assert "api.twilio.com" in comment.text and comment.author.startswith("Cliente")


def test_a_caller_who_wants_a_new_ticket_gets_one(app, clock):
    leave_message(app, clock)
    Phone(InProcess(app), AUTH_TOKEN, caller=CALLER).call([Answer.parse("2"), Answer.parse("2")])
    assert len({t.protocol for t in tickets(app)}) == 2


def status_call(app, clock, protocol: str) -> tuple[list[str], float]:
    clock.at = WEDNESDAY_MORNING
    started = time.monotonic()
    transcript = Phone(InProcess(app), AUTH_TOKEN, caller=CALLER).call(
        [Answer.parse("4"), Answer(digits=protocol), Answer.parse("0")]
    )
    return transcript.heard, time.monotonic() - started


def test_status_by_phone_from_the_built_in_store(app, clock):
    leave_message(app, clock)
    (ticket,) = tickets(app)
    wrong = ticket.protocol[:-2] + ticket.protocol[-1] + ticket.protocol[-2]
    clock.at = WEDNESDAY_MORNING
    transcript = Phone(InProcess(app), AUTH_TOKEN, caller=CALLER).call(
        [Answer.parse("4"), Answer(digits=wrong), Answer(digits=ticket.protocol), Answer("0")]
    )
    heard = transcript.heard
    assert any("Esse número de protocolo não confere" in h for h in heard)
    assert f"Protocolo {spoken_protocol(ticket.protocol)}." in heard
    assert "Ele está aberto, com a nossa equipe." in heard
    assert "A última atualização foi ontem, às 20h." in heard
    assert "Nossa equipe retorna até quinta-feira, 3 de dezembro." in heard
    assert transcript.transferred_to == "queue:suporte-geral"


@pytest.fixture
def remote_app(settings, clock, monkeypatch):
    """The app with the generic webhook as its ticket store, and the help desk behind it."""
    receiver = WebhookReceiver()
    with serving(receiver) as base:
        monkeypatch.setenv("TICKETS_WEBHOOK_URL", f"{base}/tickets")
        monkeypatch.setenv("TICKETS_WEBHOOK_SECRET", receiver.secret)
        publish_text(settings.database_url, SHIPPED_MENU.read_text(encoding="utf-8"))
        app = create_app(settings.model_copy(update={"ticket_store": "webhook"}), clock=clock)
        try:
            yield app, receiver, f"{base}/tickets"
        finally:
            close_app(app)
            receiver.faults.released.set()


def test_status_by_phone_asks_the_help_desk_and_falls_back_quickly(remote_app, clock):
    app, receiver, url = remote_app
    leave_message(app, clock)
    (ticket,) = tickets(app)
    assert ticket.delivery == "pending"  # the caller heard the protocol before any delivery
    with httpx.Client(timeout=5) as client:
        report = deliver_due(
            app.extensions["ivr"].engine,
            WebhookStore(url, receiver.secret, client),
            TUESDAY_NIGHT + timedelta(minutes=1),
        )
    assert report.delivered == [ticket.protocol]
    receiver.set_status(ticket.protocol, "Pendência do Cliente")
    heard, _ = status_call(app, clock, ticket.protocol)
    assert "Ele está com uma pendência do seu lado: veja o que a nossa equipe pediu." in heard

    receiver.faults.arm("timeout", method="POST", path="/tickets")
    heard, elapsed = status_call(app, clock, ticket.protocol)
    assert any("Nosso sistema de chamados não respondeu agora" in h for h in heard)
    assert "Ele está aberto, com a nossa equipe." in heard  # the last status we knew
    assert elapsed < 4  # the help desk is given 2 s, never the caller's patience
    with Session(app.extensions["ivr"].engine) as session:
        assert session.scalar(select(func.count()).select_from(OutboxItem)) == 1
