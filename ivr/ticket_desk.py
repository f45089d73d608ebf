"""The ticket desk the IVR's voicemail and ticket-status steps talk to (composition only).

It joins the tickets bridge to the live menu: the calendars and each line's
schedule come from the live version, so "Nossa equipe retorna até …" counts
in the line's business days. Writes are synchronous (the caller hears the
protocol only once it is durable) and local; the outbox takes the ticket to
a remote store later. A status asked by phone goes to the remote store with
a short timeout, and falls back to the last status we knew.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, bindparam, select
from sqlalchemy.orm import Session

from ivr.menus.context import TicketNote, VoicemailTicket
from ivr.storage.db import write_engine
from ivr.storage.ticket_tables import TicketRecord, tickets
from tickets_bridge.intake import TicketRequest, record_message, record_ticket
from tickets_bridge.sql_store import TicketRules
from tickets_bridge.store import Attachment, Status, TicketStore

log = logging.getLogger(__name__)

LOOKUP_TIMEOUT = 2.0  # seconds a caller waits for a remote help desk, at most


def live_rules(versions: Any) -> TicketRules:
    """The vendors' rules over the live menu's calendars and its lines' schedules."""
    _version, release = versions.current()
    lines = release.menu.lines
    return TicketRules(
        hours=release.hours,
        line_schedules={name: line.schedule for name, line in lines.items() if line.schedule},
    )


def _open_on(line_match: ColumnElement[bool]) -> Select[tuple[str]]:
    """The caller's latest ticket not yet Resolvido, on a line (or on none).

    On the table's columns, not the mapped class's: a Core statement skips
    the ORM's compile step on the voicemail step's hot path.
    """
    return (
        select(tickets.c.protocol)
        .where(
            tickets.c.phone == bindparam("phone"),
            line_match,
            tickets.c.status != Status.RESOLVED.value,
        )
        .order_by(tickets.c.id.desc())
        .limit(1)
    )


_OPEN_ON_LINE = _open_on(tickets.c.line == bindparam("line"))
_OPEN_WITHOUT_LINE = _open_on(tickets.c.line.is_(None))


def _e164(caller: str) -> str | None:
    """Twilio's From when it is a number (not "anonymous" or a client identity)."""
    return caller if caller.startswith("+") and caller[1:].isdigit() else None


class IvrTicketDesk:
    """``ivr.menus.context.TicketDesk`` over our database and the configured store."""

    def __init__(
        self,
        engine: Engine,
        store: str,
        rules: Callable[[], TicketRules],
        line_names: Callable[[], Mapping[str, str]],
        remote: Callable[[], TicketStore] | None = None,
    ) -> None:
        self.engine = engine
        self.writer = write_engine(engine)  # made once: the voicemail step is waited on
        self.store = store
        self.rules = rules
        self.line_names = line_names
        self._remote_factory = remote
        self._remote: TicketStore | None = None
        self._lock = threading.Lock()

    def open_ticket(self, caller: str, line: str | None) -> str | None:
        phone = _e164(caller)
        if phone is None:
            return None
        query = _OPEN_WITHOUT_LINE if line is None else _OPEN_ON_LINE
        with self.engine.connect() as connection:  # one indexed read: no ORM session
            return connection.scalar(query, {"phone": phone, "line": line})

    def record_voicemail(self, message: VoicemailTicket, now: datetime) -> TicketNote:
        name = self.line_names().get(message.line or "", "") if message.line else ""
        subject = f"Recado por telefone — {name}" if name else "Recado por telefone"
        length = (
            f" ({message.recording_duration} s)" if message.recording_duration is not None else ""
        )
        request = TicketRequest(
            subject=subject,
            description=(
                f"O cliente deixou um recado de voz{length}. "
                "Ouça a gravação no anexo e retorne o contato."
            ),
            line=message.line,
            topic=message.topic,
            phone=_e164(message.caller),
            attachments=(
                Attachment(message.recording_url, "recording", message.recording_duration),
            ),
        )
        rules = self.rules()
        if message.add_to is not None:
            receipt = record_message(
                self.writer,
                message.add_to,
                request,
                key=message.key,
                now=now,
                rules=rules,
                call_sid=message.call_sid,
            )
        else:
            receipt = record_ticket(
                self.writer,
                request,
                key=message.key,
                now=now,
                store=self.store,
                rules=rules,
                call_sid=message.call_sid,
            )
        return TicketNote(
            protocol=receipt.protocol,
            due_at=receipt.first_response_due,
            follows=receipt.follows,
        )

    def _remote_store(self) -> TicketStore | None:
        if self._remote_factory is None:
            return None
        with self._lock:
            if self._remote is None:
                self._remote = self._remote_factory()
            return self._remote

    def lookup(self, protocol: str) -> TicketNote | None:
        with Session(self.engine) as session:
            record = session.scalar(select(TicketRecord).where(TicketRecord.protocol == protocol))
            if record is None:
                return None
            local = TicketNote(
                protocol=record.protocol,
                status=record.status,
                updated_at=record.updated_at,
                due_at=record.first_response_due,
            )
            remote_id = record.remote_id if record.store != "sql" else None
        if remote_id is None:  # ours, or not delivered yet: what we hold is the truth
            return local
        try:
            store = self._remote_store()
            if store is None:
                return replace(local, stale=True)
            summary = store.status(remote_id)
        except Exception as exc:  # down, slow (≤ 2 s), or refusing: say what we knew
            log.warning("ticket %s: help desk not answering (%s)", protocol, type(exc).__name__)
            return replace(local, stale=True)
        return TicketNote(
            protocol=protocol,
            status=summary.status.value,
            updated_at=summary.updated_at,
            due_at=local.due_at,
        )
