"""The callback desk the IVR's callback step talks to (composition only).

It joins ``callbacks.booking`` to the live menu (each line's calendar and
policy) and to the tickets' protocol numbering. Each call is one short
transaction on our own database, taken with SQLite's write lock up front
(``BEGIN IMMEDIATE``) so bookings made at once queue instead of failing;
nothing remote is asked while the caller waits.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from callbacks.booking import (
    AlreadyBooked,
    NoSlot,
    When,
    active_callback,
    book,
    book_now,
    cancel,
)
from callbacks.dispatcher import LineSetup
from callbacks.numbers import LineKind, NumberRefused, callback_number
from ivr.callback_setup import line_setup
from ivr.menus.context import CallbackNote, CallbackRequest
from ivr.storage.db import write_engine
from ivr.storage.models import Callback
from tickets_bridge.protocol import next_protocol


def _note(callback: Callback, tz: tzinfo, existing: bool = False) -> CallbackNote:
    """The booking in the line's own zone: what the caller hears is its local time."""
    start, end = callback.slot_start.astimezone(tz), callback.slot_end.astimezone(tz)
    return CallbackNote(callback.protocol, start, end, existing)


ASAP = "asap"  # CallbackRequest.when of a caller who left the queue


def _mobile(number: str) -> bool:
    try:
        return callback_number(number).kind is LineKind.MOBILE
    except NumberRefused:
        return False


class IvrCallbackDesk:
    """``ivr.menus.context.CallbackDesk`` over our database and the live menu."""

    def __init__(self, engine: Engine, versions: Any, sms: bool = False) -> None:
        self.engine = engine
        self.sms = sms  # confirm bookings to mobile numbers by SMS (sent by the worker)
        self.writer = write_engine(engine)
        self.versions = versions

    def _setup(self, line: str) -> tuple[LineSetup, str]:
        _version, release = self.versions.current()
        product = release.menu.lines.get(line)
        return line_setup(release.menu, release.hours, line), product.name if product else line

    def active(self, number: str, line: str) -> CallbackNote | None:
        setup, _name = self._setup(line)
        with Session(self.engine) as session:
            callback = active_callback(session, line, number)
            return _note(callback, setup.calendar.tz, True) if callback is not None else None

    def book(self, request: CallbackRequest, now: datetime) -> CallbackNote | None:
        setup, name = self._setup(request.line)
        with Session(self.writer) as session:
            protocol = next_protocol(session, now)
            try:
                if request.when == ASAP:
                    callback = book_now(
                        session,
                        setup.calendar,
                        line=request.line,
                        number=request.number,
                        protocol=protocol,
                        now=now,
                        reason=name,
                        source_call_sid=request.call_sid or None,
                        confirm_by_sms=self.sms and _mobile(request.number),
                    )
                else:
                    callback = book(
                        session,
                        setup.calendar,
                        setup.policy,
                        line=request.line,
                        number=request.number,
                        protocol=protocol,
                        now=now,
                        when=When(request.when),
                        reason=name,
                        source_call_sid=request.call_sid or None,
                        confirm_by_sms=self.sms and _mobile(request.number),
                    )
            except AlreadyBooked as already:
                note = _note(already.callback, setup.calendar.tz, True)
                session.rollback()
                return note
            except NoSlot:
                session.rollback()
                return None
            note = _note(callback, setup.calendar.tz)
            if callback.protocol != protocol:  # Twilio retried: the booking made the first time
                session.rollback()
            else:
                session.commit()
            return note

    def cancel(self, number: str, line: str, now: datetime) -> bool:
        with Session(self.writer) as session:
            callback = active_callback(session, line, number)
            if callback is None:
                return False
            cancel(session, callback, now, "caller")
            session.commit()
            return True
