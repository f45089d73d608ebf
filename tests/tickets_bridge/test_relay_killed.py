"""A relay killed with SIGKILL mid-delivery loses nothing and, restarted, doubles nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.storage.ticket_tables import OutboxItem, TicketRecord
from tests.tickets_bridge.standins.server import serving
from tests.tickets_bridge.standins.webhook_receiver import WebhookReceiver
from tickets_bridge.intake import TicketRequest, record_ticket

ROOT = Path(__file__).resolve().parents[2]

# The relay as the worker runs it: a pass every 50 ms on the real clock, a short lease.
RELAY = textwrap.dedent(
    """
    import sys, time
    from datetime import UTC, datetime, timedelta
    import httpx
    from hours.oracle import Hours
    from ivr.storage.db import make_engine
    from tickets_bridge.outbox import RelayPolicy, deliver_due
    from tickets_bridge.sql_store import TicketRules
    from tickets_bridge.stores import make_store

    url, webhook = sys.argv[1], sys.argv[2]
    engine = make_engine(url)
    environ = {"TICKETS_WEBHOOK_URL": webhook, "TICKETS_WEBHOOK_SECRET": "webhook-secret"}
    store = make_store(
        "webhook",
        engine=engine,
        rules=TicketRules(hours=Hours.from_config(None)),
        clock=lambda: datetime.now(UTC),
        environ=environ,
        client=httpx.Client(timeout=30),
    )
    policy = RelayPolicy(lease=timedelta(seconds=2), first_delay=timedelta(seconds=1))
    while True:
        deliver_due(engine, store, datetime.now(UTC), owner="relay", policy=policy)
        time.sleep(0.05)
    """
)


def start_relay(database_url: str, webhook: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", RELAY, database_url, webhook], env=env, cwd=ROOT)


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_relay_killed_mid_delivery_loses_nothing_and_doubles_nothing(
    database_url, engine, rules
) -> None:
    now = datetime.now(UTC)  # the relay runs on the real clock
    protocols = [
        record_ticket(
            engine,
            TicketRequest("Recado por telefone", f"Mensagem {n}", line="erp"),
            key=f"CA{n}:5",
            now=now - timedelta(minutes=10 - n),
            store="webhook",
            rules=rules,
        ).protocol
        for n in range(5)
    ]
    receiver = WebhookReceiver()

    def delivered() -> list[str]:
        with Session(engine) as session:
            return list(
                session.scalars(
                    select(TicketRecord.protocol)
                    .join(OutboxItem)
                    .where(OutboxItem.delivered_at.is_not(None))
                    .order_by(OutboxItem.id)
                )
            )

    with serving(receiver) as base:
        # The help desk makes the first ticket, then never answers: the relay waits...
        receiver.faults.arm("timeout_after", method="POST", path="/tickets")
        relay = start_relay(database_url, f"{base}/tickets")
        try:
            wait_for(lambda: len(receiver.tickets) == 1)
            relay.send_signal(signal.SIGKILL)  # ...and is killed while it waits.
            relay.wait(timeout=10)
        finally:
            if relay.poll() is None:
                relay.kill()
        receiver.faults.released.set()
        assert delivered() == []  # we never heard back: still ours to deliver

        relay = start_relay(database_url, f"{base}/tickets")
        try:
            wait_for(lambda: len(delivered()) == 5)
        finally:
            relay.kill()
            relay.wait(timeout=10)

    assert delivered() == protocols
    assert list(receiver.tickets) == protocols  # created once each, in the order received
    assert sorted(receiver.keys) == [f"CA{n}:5" for n in range(5)]  # the same key on the retry
