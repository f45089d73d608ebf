"""TomTicket specifics: customers, the protocol in the subject, thin answers read defensively."""

from __future__ import annotations

import httpx
import pytest

from tests.tickets_bridge.standins.server import serving
from tests.tickets_bridge.standins.tomticket import TomTicketStandIn
from tests.tickets_bridge.test_store_contract import CALLER, voicemail
from tickets_bridge.adapters.tomticket import TomTicketStore
from tickets_bridge.store import (
    Comment,
    NewTicket,
    Status,
    StoreUnavailable,
    TicketClosed,
    TicketRejected,
)


@pytest.fixture
def tomticket():
    standin = TomTicketStandIn()
    with serving(standin) as url:
        standin.url = url
        yield standin


def store(tomticket, client) -> TomTicketStore:
    return TomTicketStore(
        tomticket.token,
        "dep1",
        client,
        category_id="cat1",
        line_departments={"nfe": "dep2"},
        base_url=f"{tomticket.url}/v2.0/",
    )


def test_a_new_caller_becomes_one_customer_known_by_the_number(tomticket, http_client):
    adapter = store(tomticket, http_client)

    adapter.create(voicemail("100000000018"), "k1")
    adapter.create(voicemail("100000000026"), "k2")

    assert list(tomticket.customers) == ["5511911112222"]
    customer = tomticket.customers["5511911112222"]
    assert (customer["name"], customer["phone"]) == ("Cliente +5511911112222", CALLER)


def test_the_ticket_opens_with_our_protocol_in_the_lines_department(tomticket, http_client):
    adapter = store(tomticket, http_client)

    erp = tomticket.tickets[adapter.create(voicemail("100000000018"), "k1")]
    nfe = tomticket.tickets[adapter.create(voicemail("100000000026", line="nfe"), "k2")]

    assert erp["subject"] == "[100000000018] Recado por telefone — ERP"
    assert (erp["department"]["id"], nfe["department"]["id"]) == ("dep1", "dep2")
    assert erp["priority"] == 4  # Urgente
    assert "Protocolo: 100000000018" in erp["message"]


@pytest.mark.parametrize("shape", ["data.ticket_id", "data.id", "ticket_id", "id", "none"])
def test_the_new_tickets_id_is_found_whatever_shape_the_answer_has(tomticket, http_client, shape):
    tomticket.new_ticket_shape = shape

    remote_id = store(tomticket, http_client).create(voicemail("100000000018"), "k1")

    assert list(tomticket.tickets) == [remote_id]


@pytest.mark.parametrize(
    ("situation", "status"),
    [
        (0, Status.OPEN),
        (1, Status.OPEN),
        (2, Status.AWAITING_REPLY),
        (3, Status.OPEN),
        (4, Status.RESOLVED),
        (5, Status.RESOLVED),
        (7, Status.OPEN),
        (11, Status.OPEN),  # codes beyond the official list count as open
    ],
)
def test_situations_read_as_our_statuses(tomticket, http_client, situation, status):
    adapter = store(tomticket, http_client)
    remote_id = adapter.create(voicemail("100000000018"), "k1")
    tomticket.set_situation(remote_id, situation)

    assert adapter.status(remote_id).status is status


def test_the_retry_finds_the_ticket_past_the_first_page(tomticket, http_client):
    adapter = store(tomticket, http_client)
    ticket = voicemail("100000000018")
    tomticket.faults.arm("timeout_after", method="POST", path="/v2.0/ticket/new")
    with pytest.raises(StoreUnavailable):
        adapter.create(ticket, "k1")
    for n in range(60):  # agents opened more tickets for the caller meanwhile
        tomticket.add_ticket("5511911112222", f"Chamado {n}")

    remote_id = adapter.create(ticket, "k1")

    assert tomticket.tickets[remote_id]["subject"].startswith("[100000000018]")
    assert sum(t["subject"].startswith("[100000000018]") for t in tomticket.tickets.values()) == 1


def test_an_email_only_requester_is_known_by_the_email(tomticket, http_client):
    ticket = NewTicket(
        protocol="100000000018",
        subject="Recado",
        description="Sem telefone.",
        created_at=voicemail("1").created_at,
        email="maria@example.com.br",
    )

    remote_id = store(tomticket, http_client).create(ticket, "k1")

    assert tomticket.tickets[remote_id]["customer"]["email"] == "maria@example.com.br"


def test_a_refusal_carries_tomtickets_reason(tomticket, http_client):
    adapter = TomTicketStore(
        tomticket.token, "no-such-dep", http_client, base_url=f"{tomticket.url}/v2.0/"
    )

    with pytest.raises(TicketRejected, match="Departamento inválido"):
        adapter.create(voicemail("100000000018"), "k1")


def test_tomtickets_reason_never_carries_a_phone_number(tomticket, http_client):
    adapter = store(tomticket, http_client)
    tomticket.departments = ()  # every department refused, and the number echoed back
    tomticket.refusal_suffix = " (cliente +55 11 91111-2222)"

    with pytest.raises(TicketRejected) as refused:
        adapter.create(voicemail("100000000018"), "k1")

    assert "Departamento inválido" in str(refused.value)
    assert "91111" not in str(refused.value)


def test_a_finished_ticket_takes_no_reply(tomticket, http_client):
    adapter = store(tomticket, http_client)
    remote_id = adapter.create(voicemail("100000000018"), "k1")
    tomticket.set_situation(remote_id, 5)

    with pytest.raises(TicketClosed):
        adapter.add_comment(remote_id, Comment(text="Oi", author="URA"), "c1")


def test_the_due_time_comes_from_the_sla(tomticket, http_client):
    adapter = store(tomticket, http_client)
    remote_id = adapter.create(voicemail("100000000018"), "k1")
    tomticket.tickets[remote_id]["sla"] = {"deadline": {"date": "2026-12-03 17:30:00"}}

    due = adapter.status(remote_id).due_at

    assert due is not None and due.isoformat() == "2026-12-03T17:30:00-03:00"


def test_the_builder_reads_line_departments():
    env = {"TOMTICKET_TOKEN": "t", "TOMTICKET_DEPARTMENT_ID": "d", "TOMTICKET_LINE_DEPARTMENTS": ""}
    with httpx.Client() as client:
        assert TomTicketStore.from_env(env, client)._base == "https://api.tomticket.com/v2.0/"
        with pytest.raises(ValueError, match="TOMTICKET_DEPARTMENT_ID"):
            TomTicketStore.from_env({"TOMTICKET_TOKEN": "t"}, client)
