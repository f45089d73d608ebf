"""Years of a line's history, inserted in bulk: for the retention test and bench.

``seed_history`` spreads N calls evenly over the three years before ``now``,
each with 3 to 5 steps; one in four has a recording link and a ticket (its
recording attached, the caller's second message with its link written in,
a reply from the support team, Resolvido three days later unless it is one
in sixteen, still Aberto); one in ten has a finished
callback. It returns what a retention run at ``now`` must remove, and what
must stay of each table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, text

from ivr.privacy.retention import RetentionPolicy, RetentionReport
from ivr.storage.models import (
    Call,
    Callback,
    CallStep,
    TicketAttachment,
    TicketComment,
    TicketRecord,
)
from tickets_bridge.store import Status

SPAN = timedelta(days=3 * 365)
CHUNK = 5000
NODES = ("inicio", "menu_principal", "menu_erp", "fila_erp", "recado")


def caller_number(i: int) -> str:
    return f"+55119{i % 100000000:08d}"


def recording_url(i: int) -> str:
    return f"https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE{i:032x}"


@dataclass(frozen=True)
class History:
    due: RetentionReport  # what a run at ``now`` removes
    # Rows that must stay, by table; "recording_urls": calls' links, "recording_mentions":
    # comments that still carry one.
    kept: dict[str, int]


def seed_history(engine: Engine, calls: int, now: datetime, policy: RetentionPolicy) -> History:
    """Insert ``calls`` calls with their steps, tickets and callbacks, newest first."""
    recordings_before = now - timedelta(days=policy.recordings_days)
    calls_before = now - timedelta(days=policy.calls_days)
    tickets_before = now - timedelta(days=policy.tickets_days)
    due = {"recordings": 0, "calls": 0, "tickets": 0, "callbacks": 0, "ticket_texts": 0}
    kept: Counter[str] = Counter(
        dict.fromkeys(
            (
                "calls",
                "call_steps",
                "recording_urls",
                "tickets",
                "ticket_comments",
                "ticket_attachments",
                "callbacks",
                "recording_mentions",
            ),
            0,
        )
    )
    for start in range(0, calls, CHUNK):
        rows: dict[str, list[dict[str, object]]] = {
            name: [] for name in ("calls", "steps", "tickets", "comments", "attachments", "cbs")
        }
        for i in range(start, min(start + CHUNK, calls)):
            at = now - SPAN * (i + 0.5) / calls
            sid = f"CA{i:032x}"
            recorded = i % 4 == 0
            rows["calls"].append(
                {
                    "call_sid": sid,
                    "from_number": caller_number(i),
                    "to_number": "+551140040000",
                    "menu_version": 1,
                    "started_at": at,
                    "updated_at": at,
                    "ended_at": at + timedelta(minutes=2),
                    "status": "completed",
                    "outcome": "voicemail" if recorded else "transferred",
                    "duration": 120,
                    "line": "erp",
                    "recording_url": recording_url(i) if recorded else None,
                    "recording_duration": 12 if recorded else None,
                }
            )
            for step in range(3 + i % 3):
                rows["steps"].append(
                    {
                        "call_sid": sid,
                        "step": step,
                        "node": NODES[step],
                        "digits": None if step == 0 else str(step),
                        "path": [NODES[step]],
                        "at": at + timedelta(seconds=10 * step),
                    }
                )
            call_kept = at >= calls_before
            due["calls"] += not call_kept
            kept["calls"] += call_kept
            kept["call_steps"] += call_kept * (3 + i % 3)
            if recorded:
                young = at >= recordings_before
                due["recordings"] += 2 * (not young)  # the call's link and the ticket's
                kept["recording_urls"] += young
                kept["ticket_attachments"] += young
                ticket_id = i // 4 + 1
                resolved = i % 16 != 0
                since = at + timedelta(days=3) if resolved else at
                rows["tickets"].append(
                    {
                        "id": ticket_id,
                        "protocol": f"B{i:011d}",
                        "idempotency_key": f"{sid}:5",
                        "call_sid": sid,
                        "line": "erp",
                        "subject": "Recado por telefone — ERP",
                        "description": "O cliente deixou um recado de voz (12 s). "
                        "Ouça a gravação no anexo e retorne o contato.",
                        "phone": caller_number(i),
                        "priority": "normal",
                        "status": (Status.RESOLVED if resolved else Status.OPEN).value,
                        "status_since": since,
                        "created_at": at,
                        "updated_at": since,
                        "store": "sql",
                    }
                )
                rows["comments"].append(
                    {
                        "ticket_id": ticket_id,
                        "author": "Cliente (por telefone)",
                        "at": at,
                        "text": f"Liguei de novo\nrecording: {recording_url(i)} (12 s)",
                        "public": False,
                    }
                )
                rows["comments"].append(
                    {
                        "ticket_id": ticket_id,
                        "author": "Suporte",
                        "at": since,
                        "text": "Retornamos a ligação e resolvemos.",
                        "public": True,
                    }
                )
                rows["attachments"].append(
                    {
                        "ticket_id": ticket_id,
                        "url": recording_url(i),
                        "kind": "recording",
                        "duration": 12,
                    }
                )
                ticket_due = resolved and since < tickets_before
                due["tickets"] += ticket_due
                kept["tickets"] += not ticket_due
                kept["ticket_comments"] += 2 * (not ticket_due)
                kept["recording_mentions"] += young and not ticket_due
                due["ticket_texts"] += not young and not ticket_due
            if i % 10 == 0:
                rows["cbs"].append(
                    {
                        "protocol": f"R{i:011d}",
                        "number": caller_number(i),
                        "line": "erp",
                        "status": "completed",
                        "slot_start": at,
                        "slot_end": at + timedelta(minutes=30),
                        "scheduled_for": at,
                        "attempts": 1,
                        "created_at": at,
                        "updated_at": at,
                    }
                )
                due["callbacks"] += at < tickets_before
                kept["callbacks"] += at >= tickets_before
        with engine.begin() as connection:
            for model, name in (
                (Call, "calls"),
                (CallStep, "steps"),
                (TicketRecord, "tickets"),
                (TicketComment, "comments"),
                (TicketAttachment, "attachments"),
                (Callback, "cbs"),
            ):
                if rows[name]:
                    connection.execute(insert(model), rows[name])
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            # The tickets came with their ids: the sequence moves past them for new ones.
            connection.execute(text("SELECT setval('tickets_id_seq', max(id)) FROM tickets"))
            connection.execute(text("ANALYZE"))
    return History(RetentionReport(**due), dict(kept))
