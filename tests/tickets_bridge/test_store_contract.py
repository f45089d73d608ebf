"""What every ticket store promises, run over each one (see conftest.STORES).

Remote stores are real adapters talking over real sockets to stand-ins on
127.0.0.1 that follow the providers' published APIs.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from tickets_bridge.store import (
    Attachment,
    Comment,
    DeliveryUncertain,
    NewTicket,
    Status,
    StoreUnavailable,
    TicketClosed,
    TicketNotFound,
    TicketStoreError,
)

CALLER = "+5511911112222"
OTHER_CALLER = "+5521988887777"
RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"


def voicemail(protocol: str, *, phone: str = CALLER, line: str = "erp") -> NewTicket:
    return NewTicket(
        protocol=protocol,
        subject=f"Recado por telefone — {line.upper()}",
        description="A nota fiscal não sai desde cedo.",
        created_at=datetime(2026, 12, 1, 13, 5, tzinfo=UTC),
        line=line,
        topic="faturamento",
        phone=phone,
        priority="urgent",
        attachments=(Attachment(url=RECORDING, duration=42),),
    )


def test_a_new_ticket_reads_back_open_with_our_protocol(harness):
    remote_id = harness.store.create(voicemail("100000000018"), "key-1")

    summary = harness.store.status(remote_id)
    assert summary.remote_id == remote_id
    assert summary.status is Status.OPEN
    assert summary.protocol == "100000000018"
    assert "Recado por telefone" in summary.subject
    assert summary.updated_at.tzinfo is not None
    first_message = harness.comments(remote_id)[0]
    assert "A nota fiscal não sai desde cedo." in first_message
    assert RECORDING in first_message


def test_status_follows_what_the_agents_do(harness):
    remote_id = harness.store.create(voicemail("100000000026"), "key-2")

    harness.await_customer(remote_id)
    assert harness.store.status(remote_id).status is Status.AWAITING_REPLY
    harness.resolve(remote_id)
    assert harness.store.status(remote_id).status is Status.RESOLVED


def test_an_unknown_ticket_is_not_found(harness):
    with pytest.raises(TicketNotFound):
        harness.store.status("999999")


def test_open_tickets_are_the_callers_unresolved_ones_on_that_line(harness):
    first = harness.store.create(voicemail("100000000034"), "key-a")
    second = harness.store.create(voicemail("100000000042"), "key-b")
    other_line = harness.store.create(voicemail("100000000059", line="nfe"), "key-c")
    harness.store.create(voicemail("100000000067", phone=OTHER_CALLER), "key-d")
    harness.resolve(first)

    on_erp = harness.store.open_tickets(CALLER, "erp")
    on_any = harness.store.open_tickets(CALLER)

    assert [t.remote_id for t in on_erp] == [second]
    assert {t.remote_id for t in on_any} == {second, other_line}
    assert harness.store.open_tickets("+5531900000000") == []


def test_a_comment_shows_on_the_ticket(harness):
    remote_id = harness.store.create(voicemail("100000000075"), "key-3")

    harness.store.add_comment(
        remote_id, Comment(text="Novo recado: agora o boleto também.", author="URA"), "c-3"
    )

    assert any("agora o boleto também" in text for text in harness.comments(remote_id)[1:])


def _copies(harness, remote_id: str, text: str) -> int:
    return sum(text in shown for shown in harness.comments(remote_id)[1:])


def test_the_same_comment_key_twice_adds_one_comment(harness):
    if harness.name == "tomticket":
        pytest.skip("TomTicket takes no key and lists no replies: only the outbox remembers")
    remote_id = harness.store.create(voicemail("100000000141"), "key-10")
    comment = Comment(text="Liguei de novo: continua parado.", author="URA")

    harness.store.add_comment(remote_id, comment, "c-10")
    harness.store.add_comment(remote_id, comment, "c-10")

    assert _copies(harness, remote_id, "continua parado") == 1


def test_a_comment_whose_answer_was_lost_is_never_doubled(harness):
    """The help desk takes the comment and its answer is lost: the retry adds nothing,
    or the store says it cannot tell, so the relay does not send it again."""
    remote_id = harness.store.create(voicemail("100000000158"), "key-11")
    comment = Comment(text="Liguei de novo: continua parado.", author="URA")
    harness.arm_comment(remote_id, "timeout_after")

    with pytest.raises(TicketStoreError) as lost:
        harness.store.add_comment(remote_id, comment, "c-11")
    if not isinstance(lost.value, DeliveryUncertain):
        assert isinstance(lost.value, StoreUnavailable)
        harness.store.add_comment(remote_id, comment, "c-11")

    assert _copies(harness, remote_id, "continua parado") == 1


def test_a_resolved_ticket_takes_no_comment(harness):
    remote_id = harness.store.create(voicemail("100000000133"), "key-9")
    harness.resolve(remote_id)

    with pytest.raises(TicketClosed):
        harness.store.add_comment(remote_id, Comment(text="Voltou a falhar.", author="URA"), "c-9")
    assert not any("Voltou a falhar" in text for text in harness.comments(remote_id))


def test_the_same_key_twice_makes_one_ticket(harness):
    ticket = voicemail("100000000083")

    first = harness.store.create(ticket, "key-4")
    again = harness.store.create(ticket, "key-4")

    assert again == first
    assert harness.count() == 1


def test_a_429_says_when_to_come_back_and_never_waits(harness):
    harness.arm("429", retry_after="17")
    started = time.monotonic()

    with pytest.raises(StoreUnavailable) as caught:
        harness.store.create(voicemail("100000000091"), "key-5")

    assert caught.value.retry_after == 17.0
    assert time.monotonic() - started < 1.0  # no sleeping inside the process
    assert harness.count() == 0
    harness.store.create(voicemail("100000000091"), "key-5")
    assert harness.count() == 1


def test_a_503_is_a_retry_later_and_the_retry_makes_one_ticket(harness):
    harness.arm("503")
    with pytest.raises(StoreUnavailable):
        harness.store.create(voicemail("100000000109"), "key-6")

    harness.store.create(voicemail("100000000109"), "key-6")
    assert harness.count() == 1


def test_a_timeout_before_the_store_acted_creates_nothing(harness):
    harness.arm("timeout")
    with pytest.raises(StoreUnavailable):
        harness.store.create(voicemail("100000000117"), "key-7")

    assert harness.count() == 0


def test_a_timeout_after_the_store_created_the_ticket_is_not_doubled_by_the_retry(harness):
    ticket = voicemail("100000000125")
    harness.arm("timeout_after")
    with pytest.raises(StoreUnavailable):
        harness.store.create(ticket, "key-8")
    assert harness.count() == 1  # the help desk made it; we never heard back

    remote_id = harness.store.create(ticket, "key-8")

    assert harness.count() == 1
    assert harness.store.status(remote_id).protocol == "100000000125"
