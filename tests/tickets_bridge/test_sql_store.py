"""The built-in store follows the vendors' rules, counted in business time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ivr.storage.ticket_tables import OutboxItem, TicketRecord
from tests.tickets_bridge.conftest import sp
from tickets_bridge.intake import TicketRequest, record_message, record_ticket
from tickets_bridge.sql_store import SqlTicketStore, TicketRules
from tickets_bridge.store import (
    Attachment,
    Comment,
    Status,
    TicketClosed,
    TicketNotFound,
)

CALLER = "+5511987654321"
TUESDAY_EVENING = sp(2026, 12, 1, 20)


def voicemail(topic: str | None = "estoque", line: str | None = "erp") -> TicketRequest:
    return TicketRequest(
        subject="Recado por telefone",
        description="Mensagem de voz deixada fora do horário.",
        line=line,
        topic=topic,
        phone=CALLER,
        attachments=(Attachment("https://api.twilio.com/rec/RE1", "recording", 42),),
    )


class Now:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock() -> Now:
    return Now(TUESDAY_EVENING)


@pytest.fixture
def store(engine: Engine, rules: TicketRules, clock: Now) -> SqlTicketStore:
    return SqlTicketStore(engine, rules, clock)


def opened(engine, rules, key="CA1:5", at=TUESDAY_EVENING, request=None, store="sql"):
    return record_ticket(engine, request or voicemail(), key=key, now=at, store=store, rules=rules)


def test_first_response_is_due_by_the_close_of_the_second_business_day(engine, rules) -> None:
    """Tuesday evening, 1 December: "Nossa equipe retorna até quinta-feira, 3 de dezembro"."""
    receipt = opened(engine, rules)
    assert receipt.first_response_due == sp(2026, 12, 3, 17, 30)


def test_a_holiday_does_not_count_as_a_business_day(engine, rules) -> None:
    """Thursday 19 November 2026: Friday 20 is Consciência Negra, so Tuesday 24."""
    receipt = opened(engine, rules, at=sp(2026, 11, 19, 10))
    assert receipt.first_response_due == sp(2026, 11, 24, 17, 30)


def test_the_due_time_is_configurable(engine) -> None:
    from hours.oracle import Hours

    rules = TicketRules(hours=Hours.from_config(None), first_response_hours=24)
    assert opened(engine, rules).first_response_due == sp(2026, 12, 2, 17, 30)


def test_stopped_invoicing_or_shipping_is_urgent(engine, rules, store) -> None:
    urgent = opened(engine, rules, key="CA1:1", request=voicemail(topic="urgente"))
    usual = opened(engine, rules, key="CA2:1")
    with Session(engine) as session:
        rows = session.execute(select(TicketRecord.protocol, TicketRecord.priority))
        priorities = {protocol: priority for protocol, priority in rows}
    assert priorities == {urgent.protocol: "urgent", usual.protocol: "normal"}


def test_the_same_key_gives_back_the_same_ticket(engine, rules) -> None:
    first = opened(engine, rules)
    again = opened(engine, rules, at=TUESDAY_EVENING + timedelta(seconds=3))
    assert (first.created, again.created) == (True, False)
    assert again.protocol == first.protocol
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(TicketRecord)) == 1


def test_a_remote_store_gets_an_outbox_item_in_the_same_transaction(engine, rules) -> None:
    local = opened(engine, rules, key="CA1:1")
    remote = opened(engine, rules, key="CA2:1", store="zendesk")
    with Session(engine) as session:
        items = session.scalars(select(OutboxItem)).all()
        tickets = {t.protocol: t for t in session.scalars(select(TicketRecord))}
        assert [i.ticket.protocol for i in items] == [remote.protocol]
        assert items[0].idempotency_key == "CA2:1"
        assert tickets[local.protocol].delivery == "delivered"  # home already
        assert tickets[remote.protocol].delivery == "pending"


def test_status_open_tickets_and_comments(store, engine, rules, clock) -> None:
    receipt = opened(engine, rules)
    opened(engine, rules, key="CA9:1", request=voicemail(line="pdv"))
    summary = store.status(receipt.protocol)
    assert summary.status == Status.OPEN
    assert summary.due_at == sp(2026, 12, 3, 17, 30)
    assert [t.protocol for t in store.open_tickets(CALLER, "erp")] == [receipt.protocol]
    assert len(store.open_tickets(CALLER)) == 2
    assert store.open_tickets("+5511900000000") == []
    clock.now = sp(2026, 12, 2, 10)
    store.add_comment(receipt.protocol, Comment("Cliente retornou a ligação.", "Ana"), "c1")
    assert store.status(receipt.protocol).updated_at == sp(2026, 12, 2, 10)
    with pytest.raises(TicketNotFound):
        store.status("000000000000")


def pending_since(store, engine, rules, at):
    receipt = opened(engine, rules, at=at - timedelta(hours=1))
    store.clock.now = at
    store.set_status(receipt.protocol, Status.CUSTOMER_PENDING)
    return receipt.protocol


def test_seven_business_days_without_the_customer_moves_to_validation(store, engine, rules):
    """From Wednesday 11 November: Friday 20 is a holiday, so the 7th day is Monday 23."""
    protocol = pending_since(store, engine, rules, sp(2026, 11, 11, 10))
    assert store.apply_status_rules(sp(2026, 11, 23, 17, 0)) == []
    assert store.status(protocol).status == Status.CUSTOMER_PENDING
    moves = store.apply_status_rules(sp(2026, 11, 23, 17, 31))
    assert moves == [(protocol, Status.CUSTOMER_PENDING, Status.CUSTOMER_VALIDATION)]
    assert store.status(protocol).status == Status.CUSTOMER_VALIDATION


def test_five_more_business_days_resolve_it_even_when_the_job_ran_late(store, engine, rules):
    protocol = pending_since(store, engine, rules, sp(2026, 11, 11, 10))
    assert store.apply_status_rules(sp(2026, 11, 30, 17, 0)) == [
        (protocol, Status.CUSTOMER_PENDING, Status.CUSTOMER_VALIDATION)
    ]
    moves = store.apply_status_rules(sp(2026, 12, 1, 9))
    assert moves == [(protocol, Status.CUSTOMER_VALIDATION, Status.RESOLVED)]
    summary = store.status(protocol)
    assert summary.status == Status.RESOLVED
    assert summary.updated_at == sp(2026, 11, 30, 17, 30)  # when the rule fell due


def test_the_customer_coming_back_stops_the_clock(store, engine, rules):
    protocol = pending_since(store, engine, rules, sp(2026, 11, 11, 10))
    store.clock.now = sp(2026, 11, 13, 10)
    store.add_comment(protocol, Comment("Enviei o XML.", "Cliente", from_customer=True), "c1")
    assert store.status(protocol).status == Status.OPEN  # back with the team
    assert store.apply_status_rules(sp(2026, 12, 31, 12)) == []


def test_no_comment_on_a_resolved_ticket(store, engine, rules):
    receipt = opened(engine, rules)
    store.set_status(receipt.protocol, Status.RESOLVED)
    with pytest.raises(TicketClosed):
        store.add_comment(receipt.protocol, Comment("Mais uma coisa", "Ana"), "c1")
    with pytest.raises(TicketClosed):
        store.set_status(receipt.protocol, Status.OPEN)


def test_a_customer_back_after_resolved_gets_a_follow_up_ticket(store, engine, rules):
    first = opened(engine, rules)
    store.add_comment(first.protocol, Comment("Orientado a reinstalar.", "Ana"), "c1")
    store.set_status(first.protocol, Status.RESOLVED)
    back = record_message(
        engine,
        first.protocol,
        voicemail(),
        key="CA7:4",
        now=sp(2026, 12, 7, 10),
        rules=rules,
    )
    assert back.created and back.protocol != first.protocol
    assert back.follows == first.protocol
    assert store.status(first.protocol).status == Status.RESOLVED  # never reopened
    assert store.status(back.protocol).status == Status.OPEN
    with Session(engine) as session:
        follow = session.scalars(
            select(TicketRecord).where(TicketRecord.protocol == back.protocol)
        ).one()
        history = [c.text for c in follow.comments]
    assert history[0].startswith(f"Continuação do protocolo {first.protocol}")
    assert "Orientado a reinstalar." in history


def test_a_message_on_an_open_ticket_is_a_comment_once(store, engine, rules):
    first = opened(engine, rules)
    for _ in range(2):  # the webhook replayed
        again = record_message(
            engine, first.protocol, voicemail(), key="CA8:4", now=sp(2026, 12, 2, 9), rules=rules
        )
        assert again.protocol == first.protocol
    with Session(engine) as session:
        record = session.scalars(select(TicketRecord)).one()
        assert len(record.comments) == 1
        assert "https://api.twilio.com/rec/RE1 (42 s)" in record.comments[0].text
