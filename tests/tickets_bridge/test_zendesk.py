"""Zendesk specifics: users for phone-only callers, the fields sent, the key's window."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from tests.tickets_bridge.standins.server import serving
from tests.tickets_bridge.standins.zendesk import ZendeskStandIn
from tests.tickets_bridge.test_store_contract import CALLER, RECORDING, voicemail
from tickets_bridge.adapters.zendesk import ZendeskStore
from tickets_bridge.store import (
    Comment,
    StoreUnavailable,
    TicketClosed,
    TicketNotFound,
    TicketRejected,
)


@pytest.fixture
def zendesk():
    standin = ZendeskStandIn()
    with serving(standin) as url:
        standin.url = url
        yield standin


def store(zendesk, client, *, token=None, at=None) -> ZendeskStore:
    clock = (lambda: at) if at else (lambda: voicemail("1").created_at + timedelta(minutes=5))
    return ZendeskStore(zendesk.url, zendesk.email, token or zendesk.token, client, clock=clock)


def test_a_phone_only_caller_becomes_one_user_with_the_e164_number(zendesk, http_client):
    adapter = store(zendesk, http_client)

    first = adapter.create(voicemail("100000000018"), "k1")
    second = adapter.create(voicemail("100000000026"), "k2")

    [user] = zendesk.users.values()
    assert user["phone"] == CALLER
    assert user["name"] == "Cliente +55 11 91111-2222"
    assert zendesk.tickets[int(first)]["requester_id"] == user["id"]
    assert zendesk.tickets[int(second)]["requester_id"] == user["id"]


def test_a_caller_the_agents_already_know_is_the_requester(zendesk, http_client):
    known = zendesk.add_user("Maria da Silva", CALLER)

    remote_id = store(zendesk, http_client).create(voicemail("100000000018"), "k1")

    assert zendesk.tickets[int(remote_id)]["requester_id"] == known
    assert len(zendesk.users) == 1


def test_the_ticket_carries_our_protocol_line_priority_and_a_private_first_note(
    zendesk, http_client
):
    remote_id = store(zendesk, http_client).create(voicemail("100000000018"), "k1")

    ticket = zendesk.tickets[int(remote_id)]
    assert ticket["external_id"] == "100000000018"
    assert ticket["priority"] == "urgent"
    assert ticket["tags"] == ["assunto_faturamento", "ivr", "linha_erp"]
    [note] = zendesk.comments[int(remote_id)]
    assert note["public"] is False
    assert RECORDING in note["body"] and "(42 s)" in note["body"]
    assert "Protocolo: 100000000018" in note["body"]


def test_within_the_key_window_the_retry_relies_on_the_key_alone(zendesk, http_client):
    adapter = store(zendesk, http_client)
    zendesk.faults.arm("timeout_after", method="POST", path="/api/v2/tickets")
    with pytest.raises(StoreUnavailable):
        adapter.create(voicemail("100000000018"), "k1")

    adapter.create(voicemail("100000000018"), "k1")

    assert len(zendesk.tickets) == 1
    assert zendesk.requests_to("GET", "/api/v2/tickets") == 0  # no lookup by external id


def test_past_the_key_window_the_retry_finds_the_ticket_by_external_id(zendesk, http_client):
    ticket = voicemail("100000000018")
    late = store(zendesk, http_client, at=ticket.created_at + timedelta(hours=3))
    zendesk.faults.arm("timeout_after", method="POST", path="/api/v2/tickets")
    with pytest.raises(StoreUnavailable):
        late.create(ticket, "k1")
    zendesk.forget_idempotency_keys()  # two hours went by

    remote_id = late.create(ticket, "k1")

    assert len(zendesk.tickets) == 1
    assert zendesk.tickets[int(remote_id)]["external_id"] == "100000000018"


def test_a_key_reused_with_other_parameters_returns_the_ticket_it_made(zendesk, http_client):
    adapter = store(zendesk, http_client)
    first = adapter.create(voicemail("100000000018"), "k1")
    changed = voicemail("100000000018", line="nfe")  # another body under the same key

    assert adapter.create(changed, "k1") == first
    assert len(zendesk.tickets) == 1


def test_wrong_credentials_are_a_rejection_not_a_retry(zendesk, http_client):
    with pytest.raises(TicketRejected, match="401"):
        store(zendesk, http_client, token="wrong").create(voicemail("100000000018"), "k1")


def test_an_unknown_caller_has_no_open_tickets_and_gets_no_user(zendesk, http_client):
    assert store(zendesk, http_client).open_tickets(CALLER, "erp") == []
    assert zendesk.users == {}


def test_a_comment_is_private_unless_said_otherwise(zendesk, http_client):
    adapter = store(zendesk, http_client)
    remote_id = adapter.create(voicemail("100000000018"), "k1")

    adapter.add_comment(remote_id, Comment(text="Cliente ligou de novo.", author="URA"), "c1")
    adapter.add_comment(
        remote_id, Comment(text="Recebemos seu recado.", author="URA", public=True), "c2"
    )

    notes = zendesk.comments[int(remote_id)][1:]
    assert [(n["body"], n["public"]) for n in notes] == [
        ("Cliente ligou de novo.\n\n— URA", False),
        ("Recebemos seu recado.\n\n— URA", True),
    ]


def test_a_comment_retried_after_a_lost_answer_is_added_once(zendesk, http_client):
    adapter = store(zendesk, http_client)
    remote_id = adapter.create(voicemail("100000000018"), "k1")
    comment = Comment(text="Cliente ligou de novo.", author="URA")
    zendesk.faults.arm("timeout_after", method="PUT", path=f"/api/v2/tickets/{remote_id}")
    with pytest.raises(StoreUnavailable):
        adapter.add_comment(remote_id, comment, "c1")

    adapter.add_comment(remote_id, comment, "c1")

    assert zendesk.comment_bodies(remote_id)[1:] == ["Cliente ligou de novo.\n\n— URA"]


@pytest.mark.parametrize("status", ["solved", "closed"])
def test_a_solved_ticket_is_not_reopened_by_a_comment(zendesk, http_client, status):
    adapter = store(zendesk, http_client)
    remote_id = adapter.create(voicemail("100000000018"), "k1")
    zendesk.set_status(remote_id, status)

    with pytest.raises(TicketClosed):
        adapter.add_comment(remote_id, Comment(text="Oi", author="URA"), "c1")
    assert zendesk.tickets[int(remote_id)]["status"] == status
    assert zendesk.requests_to("PUT", f"/api/v2/tickets/{remote_id}") == 0


def test_a_reference_that_is_no_ticket_id_is_never_sent(zendesk, http_client):
    with pytest.raises(TicketNotFound):
        store(zendesk, http_client).status("../users/1")
    assert zendesk.seen == []


def test_the_builder_names_what_is_missing():
    with httpx.Client() as client, pytest.raises(ValueError, match="ZENDESK_API_TOKEN"):
        env = {"ZENDESK_URL": "https://x.zendesk.com", "ZENDESK_EMAIL": "a@b"}
        ZendeskStore.from_env(env, client)
