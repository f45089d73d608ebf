"""A help desk outage, end to end below the webhooks: the real relay, the real Zendesk
adapter, the Zendesk stand-in over real sockets.

While the help desk answers 503 and then times out, 200 voicemails become
tickets with their protocol at once (nothing remote is asked); once it is
back, each ticket exists there exactly once, in the order received, with our
protocol as its external id.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ivr.storage.ticket_tables import TicketRecord
from tests.tickets_bridge.conftest import sp
from tests.tickets_bridge.standins.server import serving
from tests.tickets_bridge.standins.zendesk import ZendeskStandIn
from tickets_bridge.adapters.zendesk import ZendeskStore
from tickets_bridge.intake import TicketRequest, record_ticket
from tickets_bridge.outbox import RelayPolicy, deliver_due

T0 = sp(2026, 12, 1, 20)  # after hours: voicemails
CALLERS = ["+5511911112222", "+5521988887777", "+5531977776666", "+5541966665555"]
VOICEMAILS = 200
POLICY = RelayPolicy(batch=20, max_attempts=10)


class Now:
    def __init__(self, at):
        self.at = at

    def __call__(self):
        return self.at


def record_voicemails(engine: Engine, rules) -> list[str]:
    return [
        record_ticket(
            engine,
            TicketRequest(
                "Recado por telefone",
                f"Mensagem {n}",
                line="erp",
                phone=CALLERS[n % len(CALLERS)],
            ),
            key=f"CA{n:04d}:recado",
            now=T0 + timedelta(seconds=n),
            store="zendesk",
            rules=rules,
        ).protocol
        for n in range(VOICEMAILS)
    ]


def test_an_outage_delays_delivery_but_loses_and_doubles_nothing(engine, rules, http_client):
    zendesk = ZendeskStandIn()
    now = Now(T0 + timedelta(minutes=5))
    with serving(zendesk) as url:
        store = ZendeskStore(url, zendesk.email, zendesk.token, http_client, clock=now)
        zendesk.faults.arm("503", times=3)
        zendesk.faults.arm("timeout", times=2)
        zendesk.faults.arm("timeout_after", method="POST", path="/api/v2/tickets")

        protocols = record_voicemails(engine, rules)
        assert zendesk.seen == []  # the callers' protocols never waited on the help desk

        outage_passes = 0
        for _ in range(40):
            report = deliver_due(engine, store, now(), policy=POLICY, rng=lambda: 1.0)
            outage_passes += bool(report.rescheduled)
            if not report.delivered and not report.rescheduled:
                break
            now.at += timedelta(hours=1)  # past any backoff: the next pass tries again

    assert outage_passes == 6  # three 503s, two timeouts, one answer lost after creating
    made = [zendesk.tickets[i]["external_id"] for i in sorted(zendesk.tickets)]
    assert made == protocols  # each once, in the order received
    with Session(engine) as session:
        records = session.scalars(select(TicketRecord).order_by(TicketRecord.id)).all()
        assert {r.delivery for r in records} == {"delivered"}
        assert [zendesk.tickets[int(r.remote_id)]["external_id"] for r in records] == protocols
    assert len(zendesk.users) == len(CALLERS)
