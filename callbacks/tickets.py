"""A callback that could not be made becomes a ticket, so nobody is forgotten."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from hours.oracle import Hours
from ivr.storage.models import Callback
from tickets_bridge.intake import TicketRequest, open_ticket
from tickets_bridge.sql_store import TicketRules

HoursOf = Callable[[], tuple[Hours, dict[str, str], dict[str, str]]]


def failure_ticket(hours_of: HoursOf, store: str) -> Callable[[Session, Callback, datetime], str]:
    """The dispatcher's ``on_failed``: open a ticket (in the same transaction); its protocol.

    ``hours_of`` gives the live calendars, each line's schedule name and each
    line's spoken name. The ticket is keyed by the callback's protocol, so a
    callback opens one ticket however often this runs.
    """

    def open_for(session: Session, callback: Callback, now: datetime) -> str:
        hours, schedules, names = hours_of()
        line_name = names.get(callback.line, callback.line)
        attempts = callback.attempts
        request = TicketRequest(
            subject=f"Retorno não realizado: {line_name}",
            description=(
                f"O cliente pediu retorno (protocolo {callback.protocol}) e não foi possível "
                f"falar com ele em {attempts} tentativa{'s' if attempts != 1 else ''}. "
                "Entre em contato pelo telefone registrado."
            ),
            line=callback.line,
            phone=callback.number,
        )
        receipt = open_ticket(
            session,
            request,
            key=f"callback:{callback.protocol}",
            now=now,
            store=store,
            rules=TicketRules(hours, line_schedules=schedules),
        )
        return receipt.protocol

    return open_for
