"""A caller's later message reaches a remote help desk once, even when its answer is lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.storage.ticket_tables import OutboxItem, TicketRecord
from tickets_bridge.intake import TicketRequest, record_message, record_ticket
from tickets_bridge.outbox import deliver_due

MESSAGE = "Liguei de novo: a nota continua parada."


def test_a_message_the_help_desk_took_without_answering_is_never_doubled(
    remote_harness, engine, rules
):
    harness = remote_harness
    now = datetime.now(UTC)  # Zendesk's adapter reads the real clock for its key window
    request = TicketRequest(
        "Recado por telefone", "A nota não sai.", line="erp", phone="+5511911112222"
    )
    protocol = record_ticket(
        engine, request, key="CA1:5", now=now, store=harness.name, rules=rules
    ).protocol
    assert deliver_due(engine, harness.store, now).delivered == [protocol]
    with Session(engine) as session:
        remote_id = session.scalars(select(TicketRecord.remote_id)).one()
    record_message(
        engine, protocol, TicketRequest("Recado", MESSAGE), key="CA2:5", now=now, rules=rules
    )

    harness.arm_comment(remote_id, "timeout_after")
    deliver_due(engine, harness.store, now)
    for later in (5, 60, 600):  # every pass the relay makes afterwards
        deliver_due(engine, harness.store, now + timedelta(minutes=later))

    assert sum(MESSAGE in text for text in harness.comments(remote_id)) == 1
    with Session(engine) as session:
        item = session.scalars(select(OutboxItem).where(OutboxItem.comment_id.is_not(None))).one()
        # Delivered once the retry saw it there, or set aside for a person to check.
        assert item.delivery == "delivered" or "talvez já entregue" in (item.last_error or "")
