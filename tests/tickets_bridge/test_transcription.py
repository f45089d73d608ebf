"""A pt-BR transcriber after the call: the transcript reaches the ticket once, or not at all."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ivr.storage.ticket_tables import TicketRecord
from tests.tickets_bridge.conftest import sp
from tests.tickets_bridge.fake_store import RecordingStore
from tickets_bridge.intake import TicketRequest, record_ticket
from tickets_bridge.outbox import deliver_due
from tickets_bridge.sql_store import add_transcripts
from tickets_bridge.store import Attachment, NewTicket
from tickets_bridge.transcription import load_transcriber

T0 = sp(2026, 12, 1, 20)
RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"


class FakeTranscriber:
    """Says the same sentence for every recording, or raises ``error``."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.asked: list[tuple[str, str]] = []

    def transcribe(self, recording_url: str, language: str = "pt-BR") -> str | None:
        self.asked.append((recording_url, language))
        if self.error is not None:
            raise self.error
        return "A nota fiscal não sai desde ontem."


class DescribingStore(RecordingStore):
    """Also keeps the description each created ticket arrived with."""

    def __init__(self) -> None:
        super().__init__()
        self.descriptions: list[str] = []

    def create(self, ticket: NewTicket, idempotency_key: str) -> str:
        if idempotency_key not in self.by_key:
            self.descriptions.append(ticket.description)
        return super().create(ticket, idempotency_key)


def voicemail(engine: Engine, rules) -> str:
    request = TicketRequest(
        "Recado por telefone",
        "Recado deixado na linha ERP.",
        line="erp",
        phone="+5511987654321",
        attachments=(Attachment(RECORDING, "recording", 12),),
    )
    return record_ticket(
        engine, request, key="CA1:5", now=T0, store="zendesk", rules=rules
    ).protocol


def test_a_voicemail_ticket_gets_its_transcript_once(engine, rules) -> None:
    protocol = voicemail(engine, rules)
    store, transcriber = DescribingStore(), FakeTranscriber()
    assert deliver_due(engine, store, T0, transcriber=transcriber).delivered == [protocol]
    assert deliver_due(engine, store, T0, transcriber=transcriber).delivered == []
    assert transcriber.asked == [(RECORDING, "pt-BR")]
    [description] = store.descriptions
    assert description.startswith("Recado deixado na linha ERP.")
    assert description.count("A nota fiscal não sai desde ontem.") == 1


def test_a_failing_transcriber_still_delivers_the_ticket(engine, rules, caplog) -> None:
    protocol = voicemail(engine, rules)
    store = DescribingStore()
    with caplog.at_level(logging.WARNING, logger="ivr.tickets"):
        report = deliver_due(engine, store, T0, transcriber=FakeTranscriber(TimeoutError()))
    assert report.delivered == [protocol]
    assert store.descriptions == ["Recado deixado na linha ERP."]
    assert "transcription failed" in caplog.text
    assert "98765" not in caplog.text


def test_no_transcriber_unless_one_is_named() -> None:
    assert load_transcriber("") is None
    made = load_transcriber("tests.tickets_bridge.test_transcription:FakeTranscriber")
    assert isinstance(made, FakeTranscriber)
    with pytest.raises(ValueError, match="module:factory"):
        load_transcriber("FakeTranscriber")


def built_in_voicemail(engine: Engine, rules, key: str = "CA1:5") -> str:
    request = TicketRequest(
        "Recado por telefone",
        "Recado deixado na linha ERP.",
        line="erp",
        attachments=(Attachment(RECORDING, "recording", 12),),
    )
    return record_ticket(engine, request, key=key, now=T0, store="sql", rules=rules).protocol


def comments_of(engine: Engine, protocol: str) -> list[tuple[str, str, bool]]:
    with Session(engine) as session:
        wanted = select(TicketRecord).where(TicketRecord.protocol == protocol)
        record = session.scalars(wanted).one()
        return [(c.author, c.text, c.public) for c in record.comments]


def test_a_built_in_voicemail_gets_its_transcript_as_a_private_note_once(engine, rules) -> None:
    protocol = built_in_voicemail(engine, rules)
    transcriber = FakeTranscriber()
    later = T0 + timedelta(seconds=15)

    assert add_transcripts(engine, transcriber, later, tried=set()) == [protocol]
    # another worker process, which never tried it: the note is there already
    assert add_transcripts(engine, transcriber, later, tried=set()) == []

    assert transcriber.asked == [(RECORDING, "pt-BR")]
    assert comments_of(engine, protocol) == [
        (
            "Sistema",
            "Transcrição automática da gravação:\nA nota fiscal não sai desde ontem.",
            False,
        )
    ]
    with Session(engine) as session:
        record = session.scalars(select(TicketRecord)).one()
        assert record.updated_at == T0  # a transcript is no answer from the team


def test_a_failed_transcript_leaves_the_built_in_ticket_as_it_was(engine, rules) -> None:
    protocol = built_in_voicemail(engine, rules)
    failing, tried = FakeTranscriber(TimeoutError()), set()

    assert add_transcripts(engine, failing, T0, tried=tried) == []
    assert add_transcripts(engine, failing, T0 + timedelta(minutes=1), tried=tried) == []

    assert len(failing.asked) == 1  # not asked again and again
    assert comments_of(engine, protocol) == []
    # a day later the recording is no longer worth transcribing
    late = T0 + timedelta(days=1, seconds=1)
    assert add_transcripts(engine, FakeTranscriber(), late, tried=set()) == []
