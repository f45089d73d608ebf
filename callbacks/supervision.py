"""What supervisors read and type about callbacks, alike in ``ivr callbacks`` and the console.

The pt-BR word for each status, the choices of "when" to call back, and
finding a callback by its protocol however it was typed (``2612 0100-0010``).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from callbacks.booking import When
from ivr.storage.models import Callback

__all__ = ["STATUS_WORDS", "WHEN_CHOICES", "find_callback"]

STATUS_WORDS = {
    "scheduled": "agendado",
    "dialing": "discando",
    "in_call": "em ligação",
    "completed": "concluído",
    "failed": "não atendido",
    "cancelled": "cancelado",
}
WHEN_CHOICES = {
    "primeiro": When.FIRST_AVAILABLE,
    "manha": When.NEXT_MORNING,
    "tarde": When.NEXT_AFTERNOON,
}


def find_callback(session: Session, protocol: str) -> Callback | None:
    """The callback whose protocol is the digits typed, or None."""
    digits = "".join(ch for ch in protocol if ch.isdigit())
    if not digits:
        return None
    return session.scalar(select(Callback).where(Callback.protocol == digits))
