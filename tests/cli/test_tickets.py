"""``ivr tickets list/show/retry/status`` as a supervisor uses them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from hours.oracle import Hours
from ivr.storage.db import make_engine
from tests.tickets_bridge.conftest import sp
from tests.tickets_bridge.fake_store import RecordingStore, down
from tickets_bridge.intake import TicketRequest, record_message, record_ticket
from tickets_bridge.outbox import RelayPolicy, deliver_due
from tickets_bridge.sql_store import TicketRules
from tickets_bridge.store import DeliveryUncertain

CALLER = "+5511912344321"
T0 = sp(2026, 12, 1, 20)


@pytest.fixture(scope="module")
def rules() -> TicketRules:
    return TicketRules(hours=Hours.from_config(None))


@pytest.fixture
def db(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def ticket(db, rules, n: int, store: str) -> str:
    return record_ticket(
        db,
        TicketRequest("Recado por telefone", f"Mensagem {n}", line="erp", phone=CALLER),
        key=f"CA{n}:5",
        now=T0 + timedelta(minutes=n),
        store=store,
        rules=rules,
    ).protocol


def test_list_shows_each_ticket_with_its_delivery_and_a_masked_number(ivr, db, rules):
    local = ticket(db, rules, 0, "sql")
    delivered, dead = ticket(db, rules, 1, "zendesk"), ticket(db, rules, 2, "zendesk")
    deliver_due(db, RecordingStore(), T0 + timedelta(minutes=5))  # the first one arrives
    rows = json.loads(ivr("tickets", "list", "--json"))
    assert [r["protocol"] for r in rows] == [dead, delivered, local]
    by = {r["protocol"]: r for r in rows}
    assert by[local]["delivery"] == "delivered" and by[local]["remote_id"] == local
    assert by[delivered]["delivery"] == "delivered" and by[delivered]["remote_id"] == "Z1"
    assert by[dead]["delivery"] == "delivered"  # both went in one pass
    assert by[local]["created_at"] == "2026-12-01T20:00:00-03:00"
    assert by[local]["status"] == "Aberto" and by[local]["line"] == "erp"
    assert by[local]["phone"] == "+55 •• ••••-4321"
    shown = json.loads(ivr("tickets", "list", "--json", "--show-number"))
    assert shown[0]["phone"] == CALLER
    text = ivr("tickets", "list")
    assert "91234" not in text and "entregue" in text


def test_a_dead_letter_is_listed_shown_and_retried(ivr, db, rules):
    protocol = ticket(db, rules, 0, "zendesk")
    policy = RelayPolicy(max_attempts=1)
    deliver_due(db, RecordingStore(fail=down()), T0 + timedelta(minutes=1), policy=policy)
    assert json.loads(ivr("tickets", "list", "--json"))[0]["delivery"] == "dead"
    shown = ivr("tickets", "show", protocol)
    assert "não entregue (1 tentativa)" in shown
    assert "último erro  503 Service Unavailable" in shown
    assert ivr("tickets", "retry") == f"{protocol}: de volta à fila de entrega\n"
    assert ivr("tickets", "retry", protocol) == "nenhuma entrega a refazer\n"
    assert json.loads(ivr("tickets", "list", "--json"))[0]["delivery"] == "pending"


def test_show_tells_of_a_message_set_aside_for_checking(ivr, db, rules):
    protocol = ticket(db, rules, 0, "tomticket")
    message = TicketRequest("Recado", "Liguei de novo.")
    record_message(db, protocol, message, key="CA9:5", now=T0, rules=rules)

    def lost(asked: str) -> None:
        if asked == "Z1":  # the comment on the delivered ticket: taken, answer lost
            raise DeliveryUncertain("TomTicket may have taken the reply to ticket Z1")

    deliver_due(db, RecordingStore(fail=lost), T0 + timedelta(minutes=1))

    shown = ivr("tickets", "show", protocol)
    assert "entrega      entregue (1 tentativa) → tomticket Z1" in shown
    assert "recado       não entregue: talvez já entregue" in shown


def test_show_json_has_the_due_time_attachments_and_comments(ivr, db, rules):
    protocol = ticket(db, rules, 0, "sql")
    data = json.loads(ivr("tickets", "show", protocol, "--json"))
    assert data["first_response_due"] == "2026-12-03T17:30:00-03:00"
    assert data["comments"] == [] and data["phone"] == "+55 •• ••••-4321"
    ivr("tickets", "show", "261201000000", code=1)


def test_status_moves_a_built_in_ticket_and_never_reopens_a_resolved_one(ivr, db, rules):
    protocol = ticket(db, rules, 0, "sql")
    out = ivr("tickets", "status", protocol, "pendencia-do-cliente")
    assert out == f"{protocol}: Aberto → Pendência do Cliente\n"
    ivr("tickets", "status", protocol, "Resolvido")
    refused = ivr("tickets", "status", protocol, "Aberto", code=1)
    assert "não pode ser reaberto" in refused
    assert "status desconhecido" in ivr("tickets", "status", protocol, "fechado", code=2)


def test_status_of_a_remote_ticket_is_changed_in_its_store(ivr, db, rules):
    protocol = ticket(db, rules, 0, "zendesk")
    assert "está no zendesk" in ivr("tickets", "status", protocol, "Resolvido", code=1)


def test_show_masks_the_numbers_a_caller_wrote_unless_asked(ivr, db, rules):
    protocol = record_ticket(
        db,
        TicketRequest("Recado", "Ligue no (11) 98765-4321 após as 14h", phone=CALLER),
        key="masked",
        now=T0,
        store="sql",
        rules=rules,
    ).protocol
    record_message(
        db,
        protocol,
        TicketRequest("Recado", "Ou no 21 3003-4000"),
        key="masked:2",
        now=T0,
        rules=rules,
    )
    shown = ivr("tickets", "show", protocol)
    assert "Ligue no +55 •• ••••-4321 após as 14h" in shown and "Ou no +55 •• ••••-4000" in shown
    assert "98765" not in shown and "3003" not in shown
    data = json.loads(ivr("tickets", "show", protocol, "--json"))
    assert "98765" not in json.dumps(data) and "3003" not in json.dumps(data)
    asked = ivr("tickets", "show", protocol, "--show-number")
    assert "(11) 98765-4321" in asked and "21 3003-4000" in asked
