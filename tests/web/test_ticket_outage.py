"""A help desk outage seen from the phone: voicemails through the signed webhooks.

While Zendesk answers 503 and then times out, 200 callers leave a message
through the real webhooks; each hears its protocol twice at once (nothing
remote is asked during a call). Once Zendesk is back, the relay puts every
ticket there exactly once, in the order the calls came, with our protocol as
its external id.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.app import close_app, create_app
from ivr.simulator import Answer, InProcess, Phone
from ivr.storage.ticket_tables import TicketRecord
from tests.tickets_bridge.standins.server import serving
from tests.tickets_bridge.standins.zendesk import ZendeskStandIn
from tests.web.conftest import AUTH_TOKEN, SAO_PAULO, SHIPPED_MENU, publish_text
from tickets_bridge.adapters.zendesk import ZendeskStore
from tickets_bridge.outbox import RelayPolicy, deliver_due
from tickets_bridge.protocol import spoken_protocol

CALLS = 200
TUESDAY_NIGHT = datetime(2026, 12, 1, 20, 0, tzinfo=SAO_PAULO)  # closed: 2 leaves a message


@pytest.fixture
def zendesk_app(settings, clock, monkeypatch):
    zendesk = ZendeskStandIn()
    with serving(zendesk) as url:
        monkeypatch.setenv("ZENDESK_URL", url)
        monkeypatch.setenv("ZENDESK_EMAIL", zendesk.email)
        monkeypatch.setenv("ZENDESK_API_TOKEN", zendesk.token)
        publish_text(settings.database_url, SHIPPED_MENU.read_text(encoding="utf-8"))
        app = create_app(settings.model_copy(update={"ticket_store": "zendesk"}), clock=clock)
        try:
            yield app, zendesk, url
        finally:
            close_app(app)


def test_callers_hear_their_protocol_during_an_outage_and_each_ticket_arrives_once(
    zendesk_app, clock
):
    app, zendesk, url = zendesk_app
    zendesk.faults.arm("503", times=3)
    zendesk.faults.arm("timeout", times=2)
    zendesk.faults.arm("timeout_after", method="POST", path="/api/v2/tickets")

    heard: list[list[str]] = []
    for n in range(CALLS):
        clock.at = TUESDAY_NIGHT + timedelta(seconds=n)
        phone = Phone(InProcess(app), AUTH_TOKEN, caller=f"+551198{n:07d}")
        transcript = phone.call([Answer.parse("2")])
        assert transcript.ended == "voicemail-recorded"
        heard.append(transcript.heard)
    assert zendesk.seen == []  # no caller waited on the help desk

    engine = app.extensions["ivr"].engine
    with Session(engine) as session:
        protocols = list(session.scalars(select(TicketRecord.protocol).order_by(TicketRecord.id)))
    assert len(protocols) == CALLS
    for said, protocol in zip(heard, protocols, strict=True):
        spoken = spoken_protocol(protocol)
        assert f"{spoken}." in said and f"Repetindo: {spoken}." in said

    now = TUESDAY_NIGHT + timedelta(minutes=5)
    with httpx.Client(timeout=0.5) as client:
        store = ZendeskStore(url, zendesk.email, zendesk.token, client, clock=lambda: now)
        for _ in range(40):
            report = deliver_due(
                engine, store, now, policy=RelayPolicy(batch=50, max_attempts=10), rng=lambda: 1.0
            )
            if not report.delivered and not report.rescheduled:
                break
            now += timedelta(hours=1)  # past any backoff

    made = [zendesk.tickets[i]["external_id"] for i in sorted(zendesk.tickets)]
    assert made == protocols  # each once, in the order the calls came
    with Session(engine) as session:
        records = session.scalars(select(TicketRecord)).all()
        assert {record.delivery for record in records} == {"delivered"}
