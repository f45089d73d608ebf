"""The worker runs the relay and the status rules: `ivr worker` and `ivr serve` deliver tickets."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hours.clock import SettableClock
from ivr.settings import Settings
from ivr.storage.ticket_tables import TicketComment, TicketRecord
from ivr.worker import build_worker
from tests.tickets_bridge.conftest import sp
from tests.tickets_bridge.standins.server import serving
from tests.tickets_bridge.standins.webhook_receiver import WebhookReceiver
from tests.web.conftest import SHIPPED_MENU, publish_text
from tickets_bridge.intake import TicketRequest, record_ticket
from tickets_bridge.sql_store import SqlTicketStore
from tickets_bridge.store import Attachment, Status


def publish_shipped(url: str) -> None:
    publish_text(url, SHIPPED_MENU.read_text(encoding="utf-8"))


def jobs(worker) -> dict:
    return {job.name: job.func for job in worker.jobs}


def test_the_worker_delivers_the_outbox_to_a_remote_store(database_url, rules, monkeypatch):
    receiver = WebhookReceiver()
    clock = SettableClock(sp(2026, 12, 1, 20, 1))
    with serving(receiver) as base:
        monkeypatch.setenv("TICKETS_WEBHOOK_URL", f"{base}/tickets")
        monkeypatch.setenv("TICKETS_WEBHOOK_SECRET", receiver.secret)
        publish_shipped(database_url)
        worker = build_worker(Settings(database_url=database_url, ticket_store="webhook"), clock)
        try:
            protocol = record_ticket(
                worker.engine,
                TicketRequest("Recado por telefone", "Mensagem", line="erp"),
                key="CA1:5",
                now=sp(2026, 12, 1, 20),
                store="webhook",
                rules=rules,
            ).protocol
            jobs(worker)["tickets-outbox"]()
        finally:
            worker.engine.dispose()
    assert list(receiver.tickets) == [protocol]


def test_the_worker_applies_the_status_rules_with_the_live_calendar(database_url, rules):
    publish_shipped(database_url)
    clock = SettableClock(sp(2026, 11, 11, 10))
    worker = build_worker(Settings(database_url=database_url), clock)
    try:
        # sql: nothing to deliver
        assert set(jobs(worker)) == {"tickets-status-rules", "privacy-retention"}
        store = SqlTicketStore(worker.engine, rules, clock)
        protocol = record_ticket(
            worker.engine,
            TicketRequest("Recado por telefone", "Mensagem", line="erp"),
            key="CA1:5",
            now=clock() - timedelta(hours=1),
            store="sql",
            rules=rules,
        ).protocol
        store.set_status(protocol, Status.CUSTOMER_PENDING)
        clock.at = sp(2026, 11, 24, 9)  # 7 business days later (20 November is a holiday)
        jobs(worker)["tickets-status-rules"]()
        with Session(worker.engine) as session:
            status = session.scalar(
                select(TicketRecord.status).where(TicketRecord.protocol == protocol)
            )
        assert status == Status.CUSTOMER_VALIDATION
    finally:
        worker.engine.dispose()


def test_the_worker_transcribes_the_built_in_stores_voicemails(database_url, rules):
    publish_shipped(database_url)
    clock = SettableClock(sp(2026, 12, 1, 20, 1))
    transcriber = "tests.tickets_bridge.test_transcription:FakeTranscriber"
    worker = build_worker(Settings(database_url=database_url, transcriber=transcriber), clock)
    try:
        protocol = record_ticket(
            worker.engine,
            TicketRequest(
                "Recado por telefone",
                "Mensagem",
                line="erp",
                attachments=(Attachment("https://api.twilio.com/Recordings/RE1", duration=9),),
            ),
            key="CA1:5",
            now=sp(2026, 12, 1, 20),
            store="sql",
            rules=rules,
        ).protocol
        jobs(worker)["tickets-transcripts"]()
        with Session(worker.engine) as session:
            texts = session.scalars(
                select(TicketComment.text)
                .join(TicketRecord)
                .where(TicketRecord.protocol == protocol)
            ).all()
        assert texts == ["Transcrição automática da gravação:\nA nota fiscal não sai desde ontem."]
    finally:
        worker.engine.dispose()
