"""SMS confirmations of booked callbacks, sent by the worker, never while the caller waits.

A booking made with ``confirm_by_sms`` (``IVR_CALLBACK_SMS``, off by
default; mobile numbers only) marks its callback ``sms_status = pending``
in the booking's own transaction. The worker's job, :func:`send_due`,
claims pending confirmations with a lease (one ``UPDATE … RETURNING``, so
workers on one database never claim the same one), sends each through a
:class:`Messenger` (Twilio's Messages API) and records the MessageSid. A
failure is retried a minute later, up to ``MAX_TRIES`` tries; a refusal
(a 4xx: not a mobile, blocked) fails at once. A callback finished before
its confirmation went out (cancelled, say) sends nothing.

The window for a second SMS: a worker that dies after Twilio accepted the
message but before it committed the MessageSid (milliseconds) leaves a
claim that, when its lease runs out, is sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from typing import Protocol

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import Session

from callbacks.phrases import written_slot
from ivr.storage.db import write_engine
from ivr.storage.models import Callback

log = logging.getLogger(__name__)

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
MAX_TRIES = 3
LEASE = timedelta(minutes=2)
RETRY_AFTER = timedelta(minutes=1)
_STILL_TO_CALL = ("scheduled", "dialing", "in_call")


class SendFailed(Exception):
    """The message was not sent; ``permanent`` when trying again cannot help."""

    def __init__(self, reason: str, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class Messenger(Protocol):
    def send(self, to: str, body: str) -> str:
        """Send ``body`` to ``to`` (E.164); the MessageSid, or :class:`SendFailed`."""
        ...


LineInfo = Callable[[str], tuple[str, tzinfo]]
"""A line's spoken name and time zone."""


def confirmation_text(
    line_name: str, protocol: str, start: datetime, end: datetime, now: datetime
) -> str:
    """The SMS, in the line's zone (``start``'s): when we call, and the protocol."""
    return (
        f"Suporte {line_name}: seu retorno está agendado para {written_slot(start, end, now)}. "
        f"Protocolo {protocol}. Não é preciso responder esta mensagem."
    )


def _claim(engine: Engine, now: datetime, batch: int) -> list[int]:
    table = Callback.__table__
    due = (
        table.c.sms_status.in_((PENDING, SENDING)),
        or_(table.c.sms_not_before.is_(None), table.c.sms_not_before <= now),
    )
    writer = write_engine(engine)
    with writer.begin() as connection:
        ids = (
            connection.execute(select(table.c.id).where(*due).order_by(table.c.id).limit(batch))
            .scalars()
            .all()
        )
        if not ids:
            return []
        claimed = connection.execute(
            update(table)
            .where(table.c.id.in_(ids), *due)  # checked again: another worker may have won
            .values(sms_status=SENDING, sms_not_before=now + LEASE, sms_tries=table.c.sms_tries + 1)
            .returning(table.c.id)
        )
        return sorted(claimed.scalars().all())


def send_due(
    engine: Engine, messenger: Messenger, lines: LineInfo, now: datetime, batch: int = 20
) -> int:
    """Send the confirmations due now; how many went out."""
    sent = 0
    for callback_id in _claim(engine, now, batch):
        with Session(engine) as session:
            callback = session.get(Callback, callback_id)
            if callback is None:
                continue
            if callback.status not in _STILL_TO_CALL:
                callback.sms_status, callback.sms_not_before = None, None
                session.commit()
                continue
            name, zone = lines(callback.line)
            text = confirmation_text(
                name,
                callback.protocol,
                callback.slot_start.astimezone(zone),
                callback.slot_end.astimezone(zone),
                now,
            )
            number, tries = callback.number, callback.sms_tries
        try:
            sid = messenger.send(number, text)
        except SendFailed as exc:
            log.warning("callback SMS %d not sent (try %d): %s", callback_id, tries, exc)
            last = exc.permanent or tries >= MAX_TRIES
            _record(engine, callback_id, FAILED if last else PENDING, None, now + RETRY_AFTER)
            continue
        _record(engine, callback_id, SENT, sid, None)
        sent += 1
    return sent


def _record(
    engine: Engine, callback_id: int, status: str, sid: str | None, not_before: datetime | None
) -> None:
    table = Callback.__table__
    with engine.begin() as connection:
        connection.execute(
            update(table)
            .where(table.c.id == callback_id, table.c.sms_status == SENDING)
            .values(sms_status=status, sms_sid=sid, sms_not_before=not_before)
        )
