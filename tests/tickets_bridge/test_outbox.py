"""The relay delivers every ticket once, in the order received, whatever the store does."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ivr.storage.ticket_tables import OutboxItem, TicketRecord
from tests.tickets_bridge.conftest import sp
from tests.tickets_bridge.fake_store import RecordingStore, down
from tickets_bridge.intake import TicketRequest, record_message, record_ticket
from tickets_bridge.outbox import RelayPolicy, backoff, claim, deliver_due, retry_dead
from tickets_bridge.store import DeliveryUncertain, TicketRejected

T0 = sp(2026, 12, 1, 20)
POLICY = RelayPolicy(max_attempts=4, first_delay=timedelta(seconds=30))


def no_jitter() -> float:
    return 1.0


def voicemails(engine: Engine, rules, count: int, store: str = "zendesk") -> list[str]:
    return [
        record_ticket(
            engine,
            TicketRequest(
                "Recado por telefone", f"Mensagem {n}", line="erp", phone="+5511987654321"
            ),
            key=f"CA{n}:5",
            now=T0 + timedelta(seconds=n),
            store=store,
            rules=rules,
        ).protocol
        for n in range(count)
    ]


def deliveries(engine: Engine) -> dict[str, tuple[str, str | None]]:
    with Session(engine) as session:
        return {
            t.protocol: (t.delivery, t.remote_id) for t in session.scalars(select(TicketRecord))
        }


def run(engine, store, now, **kwargs):
    return deliver_due(engine, store, now, policy=POLICY, rng=no_jitter, **kwargs)


def test_tickets_reach_the_store_once_in_the_order_received(engine, rules) -> None:
    protocols = voicemails(engine, rules, 5)
    store = RecordingStore()
    report = run(engine, store, T0 + timedelta(seconds=10))
    assert report.delivered == protocols
    assert store.created == protocols
    assert deliveries(engine)[protocols[0]] == ("delivered", "Z1")
    assert run(engine, store, T0 + timedelta(minutes=1)).delivered == []
    assert store.created == protocols


def test_the_built_in_store_needs_no_delivery(engine, rules) -> None:
    voicemails(engine, rules, 2, store="sql")
    assert run(engine, RecordingStore(), T0 + timedelta(seconds=10)).delivered == []


def test_an_outage_holds_everything_back_and_keeps_the_order(engine, rules) -> None:
    protocols = voicemails(engine, rules, 3)
    failing = RecordingStore(fail=down())
    report = run(engine, failing, T0 + timedelta(seconds=10))
    assert report.rescheduled == [protocols[0]] and report.delivered == []
    assert failing.keys_seen == ["CA0:5"]  # nothing after the head was tried
    with Session(engine) as session:
        head = session.scalars(select(OutboxItem).order_by(OutboxItem.id)).first()
        assert head.attempts == 1
        assert head.last_error == "503 Service Unavailable"
        assert head.next_attempt_at == T0 + timedelta(seconds=10 + 30)
        assert all(i.lease_owner is None for i in session.scalars(select(OutboxItem)))
    healthy = RecordingStore()
    assert run(engine, healthy, T0 + timedelta(seconds=39)).delivered == []  # not due yet
    assert run(engine, healthy, T0 + timedelta(seconds=40)).delivered == protocols
    assert healthy.keys_seen == ["CA0:5", "CA1:5", "CA2:5"]  # the same key as the first try


def test_backoff_doubles_with_jitter_up_to_a_cap() -> None:
    policy = RelayPolicy(first_delay=timedelta(seconds=30), max_delay=timedelta(minutes=10))
    assert backoff(1, policy, lambda: 1.0) == timedelta(seconds=30)
    assert backoff(3, policy, lambda: 1.0) == timedelta(seconds=120)
    assert backoff(3, policy, lambda: 0.0) == timedelta(seconds=60)
    assert backoff(20, policy, lambda: 1.0) == timedelta(minutes=10)


def test_retry_after_is_honoured_by_rescheduling(engine, rules) -> None:
    """A 429 with Retry-After: 120 comes back in 120 s, not at the backoff's 30 s."""
    (protocol,) = voicemails(engine, rules, 1)
    now = T0 + timedelta(seconds=10)
    run(engine, RecordingStore(fail=down("429 Too Many Requests", retry_after=120)), now)
    store = RecordingStore()
    assert run(engine, store, now + timedelta(seconds=119)).delivered == []
    assert run(engine, store, now + timedelta(seconds=120)).delivered == [protocol]


def test_after_n_tries_a_dead_letter_and_the_rest_go_on(engine, rules) -> None:
    protocols = voicemails(engine, rules, 2)
    poisoned = RecordingStore(fail=lambda key: down()(key) if key == "CA0:5" else None)
    now = T0 + timedelta(seconds=10)
    for _ in range(POLICY.max_attempts):
        report = run(engine, poisoned, now)
        now += timedelta(hours=2)
    assert report.dead == [protocols[0]]
    assert deliveries(engine)[protocols[0]] == ("dead", None)
    run(engine, poisoned, now)
    assert poisoned.created == [protocols[1]]
    with Session(engine) as session, session.begin():
        assert retry_dead(session, now) == [protocols[0]]
    assert run(engine, RecordingStore(), now).delivered == [protocols[0]]
    assert deliveries(engine)[protocols[0]][0] == "delivered"


def test_a_rejected_ticket_is_a_dead_letter_at_once(engine, rules) -> None:
    protocols = voicemails(engine, rules, 2)

    def reject(key: str) -> None:
        if key == "CA0:5":
            raise TicketRejected("422 requester invalid")

    report = run(engine, RecordingStore(fail=reject), T0 + timedelta(seconds=10))
    assert report.dead == [protocols[0]] and report.delivered == [protocols[1]]


def test_a_lease_keeps_other_relays_away_until_it_expires(engine, rules) -> None:
    """A relay that died holding items: they wait for its lease, then go with the same key."""
    protocols = voicemails(engine, rules, 2)
    now = T0 + timedelta(seconds=10)
    assert len(claim(engine, "dead-relay", now, POLICY)) == 2
    store = RecordingStore()
    assert run(engine, store, now + POLICY.lease - timedelta(seconds=1)).delivered == []
    assert run(engine, store, now + POLICY.lease).delivered == protocols


def test_a_relay_never_claims_past_an_item_another_relay_holds(engine, rules) -> None:
    """PostgreSQL's SKIP LOCKED leaves out a held row in the middle of the run: the
    claim stops before it instead of letting the items after it overtake it."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite claims under its write lock: no row is ever skipped")
    voicemails(engine, rules, 4)
    with Session(engine) as session:
        ids = session.scalars(select(OutboxItem.id).order_by(OutboxItem.id)).all()
    with engine.connect() as other_relay, other_relay.begin():
        # The third item, held for a moment by another relay's transaction.
        other_relay.execute(select(OutboxItem.id).where(OutboxItem.id == ids[2]).with_for_update())
        claimed = claim(engine, "relay-a", T0 + timedelta(seconds=10), POLICY)
    assert claimed == ids[:2]


def test_two_relays_at_once_never_deliver_the_same_ticket_nor_out_of_order(engine, rules):
    protocols = voicemails(engine, rules, 12)
    store = RecordingStore(delay=0.01)
    policy = RelayPolicy(batch=3)
    deadline = time.monotonic() + 20

    def relay(name: str) -> None:
        while time.monotonic() < deadline and len(store.created) < len(protocols):
            deliver_due(engine, store, T0 + timedelta(minutes=1), owner=name, policy=policy)

    threads = [threading.Thread(target=relay, args=(f"relay-{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.created == protocols
    assert store.most_in_flight == 1
    assert len(store.keys_seen) == len(protocols)


def test_a_message_for_a_remote_ticket_follows_it_as_a_comment(engine, rules) -> None:
    (protocol,) = voicemails(engine, rules, 1)
    record_message(
        engine,
        protocol,
        TicketRequest("Recado", "Liguei de novo: continua parado."),
        key="CA9:5",
        now=T0 + timedelta(minutes=5),
        rules=rules,
    )
    store = RecordingStore()
    assert run(engine, store, T0 + timedelta(minutes=6)).delivered == [protocol, protocol]
    assert store.comments == [("Z1", "Liguei de novo: continua parado.")]


def test_a_comment_waits_for_its_ticket(engine, rules) -> None:
    (protocol,) = voicemails(engine, rules, 1)
    record_message(
        engine,
        protocol,
        TicketRequest("Recado", "De novo."),
        key="CA9:5",
        now=T0,
        rules=rules,
    )
    store = RecordingStore(fail=down())
    run(engine, store, T0 + timedelta(seconds=10))
    assert store.comments == []


def test_a_delivered_comment_is_never_sent_again(engine, rules) -> None:
    """Once the store confirmed it, neither a later pass nor ``retry`` sends it again."""
    (protocol,) = voicemails(engine, rules, 1)
    message = TicketRequest("Recado", "Liguei de novo.")
    record_message(engine, protocol, message, key="CA9:5", now=T0, rules=rules)
    store = RecordingStore()
    run(engine, store, T0 + timedelta(seconds=10))
    record_message(engine, protocol, message, key="CA9:5", now=T0, rules=rules)  # replayed
    with Session(engine) as session, session.begin():
        assert retry_dead(session, T0 + timedelta(minutes=1)) == []

    assert run(engine, store, T0 + timedelta(minutes=1)).delivered == []
    assert store.comments == [("Z1", "Liguei de novo.")]
    assert store.keys_seen == ["CA0:5", "CA9:5"]  # the comment went with its own key


def test_a_comment_the_store_may_have_taken_is_set_aside_not_resent(engine, rules) -> None:
    (protocol,) = voicemails(engine, rules, 1)
    record_message(
        engine, protocol, TicketRequest("Recado", "De novo."), key="CA9:5", now=T0, rules=rules
    )

    def lost(key: str) -> None:
        if key == "Z1":  # the comment's request: taken, answer lost
            raise DeliveryUncertain("TomTicket may have taken the reply to ticket Z1")

    report = run(engine, RecordingStore(fail=lost), T0 + timedelta(seconds=10))
    assert report.delivered == [protocol] and report.dead == [protocol]
    store = RecordingStore()
    assert run(engine, store, T0 + timedelta(hours=1)).delivered == []
    assert store.comments == []
    with Session(engine) as session:
        item = session.scalars(select(OutboxItem).where(OutboxItem.comment_id.is_not(None))).one()
        assert item.delivery == "dead" and "reenvie com ivr tickets retry" in item.last_error
