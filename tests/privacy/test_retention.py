"""Retention: with the clock moved past each limit, exactly what is due is gone."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hours.clock import SettableClock
from hours.oracle import Hours
from ivr.privacy.retention import RetentionPolicy, RetentionReport, apply_retention
from ivr.settings import Settings
from ivr.simulator import Answer, InProcess, Phone
from ivr.storage.models import (
    Call,
    Callback,
    CallStep,
    TicketAttachment,
    TicketComment,
    TicketRecord,
)
from ivr.worker import build_worker
from tests.privacy.history import seed_history
from tests.web.conftest import AUTH_TOKEN, OPEN_INSTANT, SHIPPED_MENU, publish_text
from tickets_bridge.intake import TicketRequest, record_ticket
from tickets_bridge.sql_store import TicketRules
from tickets_bridge.store import Attachment, Status

NOW = datetime(2028, 6, 1, 12, 0, tzinfo=UTC)
CALLER = "+5511912344321"


@pytest.fixture(scope="module")
def rules() -> TicketRules:
    return TicketRules(hours=Hours.from_config(None))


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def add_call(session: Session, sid: str, age_days: float, recording: bool = False) -> None:
    at = days_ago(age_days)
    session.add(
        Call(
            call_sid=sid,
            from_number=CALLER,
            started_at=at,
            updated_at=at,
            recording_url=f"https://api.twilio.com/recordings/RE{sid}" if recording else None,
            recording_duration=10 if recording else None,
            steps=[CallStep(step=1, node="menu", path=["menu"], at=at)],
        )
    )


def add_ticket(engine: Engine, rules, key: str, age_days: float, status: Status) -> str:
    created = days_ago(age_days)
    protocol = record_ticket(
        engine,
        TicketRequest(
            "Recado por telefone",
            "Mensagem",
            phone=CALLER,
            attachments=(Attachment(f"https://api.twilio.com/recordings/RE{key}", duration=9),),
        ),
        key=key,
        now=created,
        store="sql",
        rules=rules,
    ).protocol
    with Session(engine) as session:
        record = session.scalars(
            select(TicketRecord).where(TicketRecord.protocol == protocol)
        ).one()
        record.status = status.value
        record.status_since = created
        session.commit()
    return protocol


def add_callback(session: Session, protocol: str, status: str, age_days: float, ticket=None):
    at = days_ago(age_days)
    session.add(
        Callback(
            protocol=protocol,
            number=CALLER,
            line="erp",
            status=status,
            active_key=f"erp {CALLER} {protocol}" if status == "scheduled" else None,
            slot_start=at,
            slot_end=at + timedelta(minutes=30),
            scheduled_for=at,
            ticket_protocol=ticket,
            created_at=at,
            updated_at=at,
        )
    )


def test_exactly_what_is_past_each_limit_goes(engine: Engine, rules, caplog) -> None:
    old_resolved = add_ticket(engine, rules, "k-old", 731, Status.RESOLVED)
    young_resolved = add_ticket(engine, rules, "k-young", 729, Status.RESOLVED)
    old_open = add_ticket(engine, rules, "k-open", 800, Status.OPEN)
    fresh = add_ticket(engine, rules, "k-fresh", 10, Status.OPEN)
    with Session(engine) as session:
        add_call(session, "recorded-91", 91, recording=True)
        add_call(session, "recorded-89", 89, recording=True)
        for n in range(5):  # more than a batch
            add_call(session, f"old-{n}", 731 + n)
        add_call(session, "young", 729)
        add_callback(session, "R-old-ticket", "failed", 740, ticket=old_resolved)
        add_callback(session, "R-young-ticket", "failed", 740, ticket=young_resolved)
        add_callback(session, "R-no-ticket-old", "completed", 731)
        add_callback(session, "R-no-ticket-young", "completed", 729)
        add_callback(session, "R-pending", "scheduled", 800)
        session.commit()

    with caplog.at_level(logging.INFO, logger="ivr.privacy.retention"):
        report = apply_retention(engine, RetentionPolicy(), NOW, batch_size=2, pause=0)

    assert report == RetentionReport(recordings=1 + 3, calls=5, tickets=1, callbacks=2)
    with Session(engine) as session:
        calls = {c.call_sid: c for c in session.scalars(select(Call))}
        assert sorted(calls) == ["recorded-89", "recorded-91", "young"]
        assert calls["recorded-91"].recording_url is None
        assert calls["recorded-91"].recording_duration is None
        assert calls["recorded-89"].recording_url is not None
        assert sorted(s.call_sid for s in session.scalars(select(CallStep))) == sorted(calls)
        tickets = set(session.scalars(select(TicketRecord.protocol)))
        assert tickets == {young_resolved, old_open, fresh}
        kept_links = set(session.scalars(select(TicketAttachment.url)))
        assert kept_links == {"https://api.twilio.com/recordings/REk-fresh"}
        callbacks = set(session.scalars(select(Callback.protocol)))
        assert callbacks == {"R-young-ticket", "R-no-ticket-young", "R-pending"}
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "4 recording links, 5 calls, 1 tickets, 2 callbacks" in said
    assert "4321" not in said

    # Nothing more is due at the same instant; a day later, the next ones are.
    assert apply_retention(engine, RetentionPolicy(), NOW) == RetentionReport()
    later = apply_retention(engine, RetentionPolicy(), NOW + timedelta(days=2))
    assert (later.calls, later.tickets) == (1, 1)


def test_the_worker_runs_retention_with_the_settings_limits(database_url, tmp_path) -> None:
    publish_text(database_url, SHIPPED_MENU.read_text(encoding="utf-8"))
    settings = Settings(database_url=database_url, var_dir=tmp_path / "var", retain_calls_days=30)
    worker = build_worker(settings, SettableClock(NOW))
    try:
        with Session(worker.engine) as session:
            add_call(session, "31-days", 31)
            add_call(session, "29-days", 29)
            session.commit()
        job = next(job for job in worker.jobs if job.name == "privacy-retention")
        assert job.seconds == 24 * 60 * 60
        job.func()
        with Session(worker.engine) as session:
            assert list(session.scalars(select(Call.call_sid))) == ["29-days"]
    finally:
        worker.engine.dispose()


def test_shorter_limits_from_the_settings_are_honoured(engine: Engine) -> None:
    with Session(engine) as session:
        add_call(session, "a", 40, recording=True)
        add_call(session, "b", 20, recording=True)
        session.commit()
    policy = RetentionPolicy(recordings_days=10, calls_days=30, tickets_days=30)
    assert apply_retention(engine, policy, NOW) == RetentionReport(recordings=2, calls=1)
    with Session(engine) as session:
        assert list(session.scalars(select(Call.call_sid))) == ["b"]


OTHER_CALLER = "+5521988887777"  # the callers calling while the job runs; not in the history


def seeded_rows(engine: Engine) -> dict[str, int]:
    """How many rows of the seeded history each table still holds."""
    seeded_call = Call.from_number.like("+55119%")
    seeded_ticket = TicketRecord.protocol.like("B%")
    queries = {
        "calls": select(func.count()).where(seeded_call),
        "call_steps": select(func.count()).select_from(CallStep).join(Call).where(seeded_call),
        "recording_urls": select(func.count()).where(seeded_call, Call.recording_url.is_not(None)),
        "tickets": select(func.count()).where(seeded_ticket),
        "ticket_comments": select(func.count())
        .select_from(TicketComment)
        .join(TicketRecord)
        .where(seeded_ticket),
        "ticket_attachments": select(func.count())
        .select_from(TicketAttachment)
        .join(TicketRecord)
        .where(seeded_ticket),
        "callbacks": select(func.count()).where(Callback.protocol.like("R%")),
        "recording_mentions": select(func.count())
        .select_from(TicketComment)
        .join(TicketRecord)
        .where(seeded_ticket, TicketComment.text.like("%/Recordings/RE%")),
    }
    with Session(engine) as session:
        return {name: session.scalar(query) or 0 for name, query in queries.items()}


def test_two_thousand_calls_lose_exactly_what_is_due_while_calls_go_on(app, engine) -> None:
    """Webhooks keep answering, and leaving voicemails, while small batches delete."""
    now = OPEN_INSTANT  # the app's clock: the calls placed meanwhile are not due
    history = seed_history(engine, 2000, now, RetentionPolicy())
    transport = InProcess(app)
    stop, placed, first = threading.Event(), [], threading.Event()

    def keep_calling() -> None:
        while not stop.is_set():
            answered = len(placed) % 2 == 0  # every other caller leaves a voicemail
            phone = Phone(transport, AUTH_TOKEN, caller=OTHER_CALLER, agents_answer=answered)
            placed.append(phone.call([Answer("0")]))
            first.set()

    caller = threading.Thread(target=keep_calling)
    caller.start()
    try:
        assert first.wait(10)
        report = apply_retention(engine, RetentionPolicy(), now, batch_size=25, pause=0.005)
    finally:
        stop.set()
        caller.join(10)

    assert report == history.due
    assert seeded_rows(engine) == history.kept
    assert {t.ended for t in placed} == {"transferred", "voicemail-recorded"}
    assert all(turn.status == 200 for t in placed for turn in t.turns)
    voicemails = sum(t.ended == "voicemail-recorded" for t in placed)
    with Session(engine) as session:
        new_tickets = session.scalar(select(func.count()).where(TicketRecord.phone == OTHER_CALLER))
    assert new_tickets == voicemails


def test_recording_links_written_in_tickets_go_after_90_days_and_nothing_else(engine, rules):
    """The built-in store's texts: the link is replaced by a note, the rest stays as it was."""
    old = add_ticket(engine, rules, "k-text-old", 100, Status.CUSTOMER_PENDING)
    young = add_ticket(engine, rules, "k-text-young", 10, Status.OPEN)
    link = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE" + "a" * 32
    recent = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE" + "b" * 32
    with Session(engine) as session:
        for protocol, age in ((old, 100), (young, 10)):
            record = session.scalars(
                select(TicketRecord).where(TicketRecord.protocol == protocol)
            ).one()
            record.description = f"Recado. Gravação: {link}.mp3 — retornar à tarde."
            record.comments += [
                TicketComment(
                    author="Cliente (por telefone)",
                    at=days_ago(age),
                    text=f"Liguei de novo\nrecording: {link} (12 s)",
                    public=False,
                ),
                TicketComment(author="Suporte", at=days_ago(age), text="Ligamos.", public=True),
            ]
            if protocol == old:  # the caller came back last week: that link is kept
                record.comments.append(
                    TicketComment(
                        author="Cliente (por telefone)",
                        at=days_ago(5),
                        text=f"recording: {recent} (8 s)",
                        public=False,
                    )
                )
        session.commit()

    def tickets() -> dict[str, tuple]:
        with Session(engine) as session:
            return {
                t.protocol: (
                    t.subject,
                    t.status,
                    t.status_since,
                    t.updated_at,
                    t.description,
                    [(c.author, c.at, c.text) for c in t.comments],
                )
                for t in session.scalars(select(TicketRecord))
            }

    before = tickets()
    report = apply_retention(engine, RetentionPolicy(), NOW, batch_size=1, pause=0)
    after = tickets()

    assert report.ticket_texts == 2  # the old ticket's description and its old message
    assert after[young] == before[young]
    note = "[gravação removida após 90 dias]"
    *same, description, comments = after[old]
    assert same == list(before[old][:4])
    assert description == f"Recado. Gravação: {note} — retornar à tarde."
    assert [text for _author, _at, text in comments] == [
        f"Liguei de novo\nrecording: {note} (12 s)",
        "Ligamos.",
        f"recording: {recent} (8 s)",
    ]
    assert [c[:2] for c in comments] == [c[:2] for c in before[old][5]]
    assert apply_retention(engine, RetentionPolicy(), NOW, pause=0).ticket_texts == 0
    shorter = apply_retention(engine, RetentionPolicy(recordings_days=3), NOW, pause=0)
    assert shorter.ticket_texts == 3  # the young ticket's two, and last week's message
    assert "[gravação removida após 3 dias]" in tickets()[young][4]
