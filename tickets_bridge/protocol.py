"""Protocol numbers: ours, made in our database before any store is asked.

A protocol is 12 digits, typed on a keypad and read back to the caller::

    YYMMDD  NNNNN  C
    261201  00042  7

- ``YYMMDD``: the São Paulo date it was made on;
- ``NNNNN``: that day's counter, a row of ``protocol_counters`` incremented
  atomically inside the ticket's own transaction, so two processes never get
  the same number (PostgreSQL locks the row; SQLite the database);
- ``C``: a Verhoeff check digit (python-stdnum), which catches every single
  wrong digit and every swap of two neighbours, so a mistyped protocol is
  re-asked instead of looked up.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from stdnum import verhoeff
from stdnum.exceptions import ValidationError

from ivr.storage.ticket_tables import ProtocolCounter

__all__ = [
    "LENGTH",
    "InvalidProtocol",
    "ProtocolsExhausted",
    "is_valid",
    "next_protocol",
    "spoken_groups",
    "spoken_protocol",
    "with_check_digit",
]

LENGTH = 12
COUNTER_DIGITS = 5
ZONE = ZoneInfo("America/Sao_Paulo")

# Digits as a native reads a number out on the phone: "meia" (meia dúzia) for
# six, so it is never heard as "três".
DIGIT_WORDS = ("zero", "um", "dois", "três", "quatro", "cinco", "meia", "sete", "oito", "nove")


class InvalidProtocol(ValueError):
    """Not a protocol of ours: wrong length, not digits, or a wrong check digit."""


class ProtocolsExhausted(RuntimeError):
    """A day has handed out every counter value (99 999 protocols)."""


def with_check_digit(body: str) -> str:
    return body + verhoeff.calc_check_digit(body)


def is_valid(text: str) -> bool:
    """Twelve digits whose last one is the Verhoeff check digit of the others."""
    if len(text) != LENGTH or not text.isdigit():
        return False
    try:
        verhoeff.validate(text)
    except ValidationError:
        return False
    return True


@cache
def _counter_upsert(dialect: str) -> Any:
    """``INSERT … ON CONFLICT DO UPDATE … RETURNING``: the day's next value in one statement.

    Both dialects have it; the row stays locked until the transaction ends.
    """
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = ProtocolCounter.__table__
    statement = insert(table).values(value=1)
    return statement.on_conflict_do_update(
        index_elements=[table.c.day], set_={"value": table.c.value + 1}
    ).returning(table.c.value)


def next_protocol(db: Session | Connection, now: datetime) -> str:
    """A new protocol number, counted in the transaction of ``db`` (commit it with the ticket).

    The counter row stays locked until that transaction ends, so protocols
    are handed out one at a time; a rolled-back ticket gives its number back.
    """
    day = now.astimezone(ZONE).strftime("%y%m%d")
    dialect = db.dialect if isinstance(db, Connection) else db.get_bind().dialect
    value = db.execute(_counter_upsert(dialect.name), {"day": day}).scalar_one()
    if value >= 10**COUNTER_DIGITS:
        raise ProtocolsExhausted(f"no protocol numbers left for {day}")
    return with_check_digit(f"{day}{value:0{COUNTER_DIGITS}d}")


def parse(text: str) -> str:
    """The protocol in ``text`` (spaces, dots and dashes ignored), or InvalidProtocol."""
    digits = "".join(ch for ch in text if ch not in " .-/")
    if not is_valid(digits):
        raise InvalidProtocol(f"not a valid protocol number: {text!r}")
    return digits


def spoken_groups(protocol: str) -> list[str]:
    """The protocol in groups of three digits, each digit a word: ``dois meia um``."""
    return [
        " ".join(DIGIT_WORDS[int(d)] for d in protocol[i : i + 3])
        for i in range(0, len(protocol), 3)
    ]


def spoken_protocol(protocol: str) -> str:
    """The protocol read out slowly: groups of three, a comma's pause between them."""
    return ", ".join(spoken_groups(protocol))
