"""Serving one Twilio voice request: pick the menu version, run the engine, log, render.

Plain Python so the web layer, the simulator and the tests share it; the
Flask views only verify the signature and translate the form.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from ivr.menus import engine
from ivr.menus.actions import CallState, Outcome, Say, Step
from ivr.menus.context import (
    AlwaysOpen,
    CallbackDesk,
    CallContext,
    HoursOracle,
    TicketDesk,
    TicketNote,
    VoicemailTicket,
)
from ivr.menus.fallback import fallback_queue
from ivr.menus.nodes import voicemail
from ivr.numbers import masked_keys
from ivr.telephony.forms import VoiceRequest
from ivr.telephony.twiml import Renderer

if TYPE_CHECKING:
    from ivr.menus.loader import Menu
    from ivr.storage.call_log import CallLog

log = logging.getLogger(__name__)


class EngineGaveUp(RuntimeError):
    """The engine could not go on (a bug guard): the caller gets the safe route."""


@dataclass(frozen=True, slots=True)
class SafeRoutes:
    """What a caller hears when a step of this menu version fails, rendered once.

    ``open``: the apology and the fallback number, or a queue the menu has
    (``ivr.menus.fallback``); ``closed``: the apology and a voicemail. No
    URL of either leads back into the menu code.
    """

    open: str
    closed: str

    @classmethod
    def build(cls, menu: Menu, renderer: Renderer, number: str = "", queue: str = "") -> SafeRoutes:
        person = fallback_queue(menu, queue) or ""
        return cls(
            open=renderer.apology(number, person, voicemail=True),
            closed=renderer.apology(voicemail=True),
        )


@dataclass(frozen=True, slots=True)
class Release:
    """A published menu version, parsed once and ready to serve."""

    menu: Menu
    hours: HoursOracle = field(default_factory=AlwaysOpen)
    renderer: Renderer | None = None  # the menu's own voice; None: the app's default
    safe: SafeRoutes | None = None  # None: the handler's own apology


class Versions(Protocol):
    def for_caller(self, caller: str) -> tuple[int, Release]: ...

    def get(self, version_id: int) -> Release: ...


class CallHandler:
    def __init__(
        self,
        versions: Versions,
        renderer: Renderer,
        call_log: CallLog | None,
        clock: Callable[[], datetime],
        fallback_number: str = "",
        on_error: Callable[[], object] = lambda: None,
        tickets: TicketDesk | None = None,
        callbacks: CallbackDesk | None = None,
    ) -> None:
        self.versions = versions
        self.tickets = tickets
        self.callbacks = callbacks
        self.renderer = renderer
        self.call_log = call_log
        self.clock = clock
        self.on_error = on_error
        # When not even the menu version can be found: a person only by number.
        self.error_twiml = renderer.apology(fallback_number, voicemail=True)
        self.recorded_twiml = renderer.recorded()
        self.record_again_twiml = renderer.record_again()
        self.not_recorded_twiml = renderer.not_recorded()

    def handle(self, request: VoiceRequest, query: str | None = None) -> str:
        """TwiML for this request; never raises, whatever goes wrong inside.

        ``query`` is the step URL's query string (the call state); None for a new call.
        """
        state: CallState | None = None
        try:
            state = self.renderer.codec.parse(query) if query is not None else None
            now = self.clock()
            step, version, node, release = self._run(request, state, now)
            if step.outcome is not None and step.outcome.kind == "error":
                raise EngineGaveUp(step.outcome.detail)
            renderer = release.renderer or self.renderer
            twiml = renderer.render(step.actions, personal=step.personal)
        except Exception:
            log.exception("voice webhook failed for CallSid=%s", request.call_sid)
            self.on_error()
            self._log_error(request, state)
            return self._safe_route(request, state)
        self._log(request, state, step, version, node, now)
        return twiml

    def recorded(self, request: VoiceRequest, query: str = "") -> str:
        """A voicemail left on the safe route: kept as a ticket whose protocol the
        caller hears, as the menu's voicemail does; nothing recorded gets one more
        try and is never confirmed as received."""
        if not request.recording_url or request.recording_duration == 0:
            again = "tentativa=2" not in query
            return self.record_again_twiml if again else self.not_recorded_twiml
        now = self.clock()
        if self.call_log is not None and request.call_sid:
            try:
                self.call_log.recording(
                    request.call_sid, request.recording_url, request.recording_duration, now
                )
            except Exception:  # the caller must still hear the goodbye
                log.exception("could not log the recording for CallSid=%s", request.call_sid)
        note = self._safe_ticket(request, now)
        if note is None:
            return self.recorded_twiml
        return self.renderer.recorded(
            (*voicemail.readback(note, now), Say("Obrigado por ligar. Até logo!"))
        )

    def _safe_ticket(self, request: VoiceRequest, now: datetime) -> TicketNote | None:
        """The ticket of a safe-route message; a replayed request finds the same one."""
        if self.tickets is None or not request.call_sid or not request.recording_url:
            return None
        message = VoicemailTicket(
            key=f"{request.call_sid}:recorded",
            caller=request.caller,
            line=None,
            topic=None,
            recording_url=request.recording_url,
            recording_duration=request.recording_duration,
            call_sid=request.call_sid,
        )
        try:
            return self.tickets.record_voicemail(message, now)
        except Exception:  # the recording is in the call log; thank the caller all the same
            log.exception("no ticket for the safe-route message of CallSid=%s", request.call_sid)
            return None

    def _safe_route(self, request: VoiceRequest, state: CallState | None) -> str:
        """The apology after a failed step: a voicemail while the line is closed,
        the fallback number or a queue the menu has while it is open."""
        try:
            release = self._release_of(request, state)
            if release.safe is None:
                return self.error_twiml
            line = release.menu.lines.get(state.line) if state and state.line else None
            schedule = line.schedule if line is not None else None
            is_open = release.hours.is_open(schedule, self.clock())
            return release.safe.open if is_open else release.safe.closed
        except Exception:
            log.exception("no safe route from the menu for CallSid=%s", request.call_sid)
            return self.error_twiml

    def _release_of(self, request: VoiceRequest, state: CallState | None) -> Release:
        if state is not None:
            try:
                return self.versions.get(state.version)
            except Exception:  # a version this process cannot load: the caller's live one
                log.warning("version %s unavailable for the safe route", state.version)
        return self.versions.for_caller(request.caller)[1]

    def _run(
        self, request: VoiceRequest, state: CallState | None, now: datetime
    ) -> tuple[Step, int, str, Release]:
        if state is None:
            version, release = self.versions.for_caller(request.caller)
            ctx = self._context(request, release, now)
            step = engine.start(release.menu, version, ctx)
            return step, version, release.menu.start, release
        release = self.versions.get(state.version)
        ctx = self._context(request, release, now)
        step = engine.advance(release.menu, state, request.event(), ctx)
        return step, state.version, state.node, release

    def _context(self, request: VoiceRequest, release: Release, now: datetime) -> CallContext:
        return CallContext(
            now=now,
            caller=request.caller,
            called=request.called,
            hours=release.hours,
            tickets=self.tickets,
            callbacks=self.callbacks,
            call_sid=request.call_sid,
        )

    def _log(
        self,
        request: VoiceRequest,
        state: CallState | None,
        step: Step,
        version: int,
        node: str,
        now: datetime,
    ) -> None:
        if self.call_log is None or not request.call_sid:
            return
        self.call_log.step(
            request.call_sid,
            state.step if state else 0,
            node,
            digits=masked_keys(request.digits) if step.keys_are_number else request.digits,
            speech=request.speech,
            path=step.path,
            outcome=step.outcome,
            line=step.line,
            at=now,
            account_sid=request.account_sid,
            from_number=request.caller,
            to_number=request.called,
            version=version,
        )
        if step.recording:  # the voicemail is kept with the call (and becomes a ticket later)
            self.call_log.recording(
                request.call_sid, step.recording.url, request.recording_duration, now
            )
        if step.survey:  # queued after the step that creates the call, if it is new
            self.call_log.survey(
                request.call_sid, state.step if state else 0, step.line, step.survey, now
            )

    def _log_error(self, request: VoiceRequest, state: CallState | None) -> None:
        if self.call_log is None or not request.call_sid:
            return
        try:
            self.call_log.step(
                request.call_sid,
                state.step if state else 0,
                state.node if state else "",
                # Which node failed is unsure: the keys may be a number, keep them masked.
                digits=masked_keys(request.digits),
                speech=request.speech,
                path=(),
                outcome=Outcome("error", "webhook failed"),
                line=state.line if state else None,
                at=self.clock(),
                account_sid=request.account_sid,
                from_number=request.caller,
                to_number=request.called,
                version=state.version if state else 0,
            )
        except Exception:  # the caller must still get the apology
            log.exception("could not log the failed step for CallSid=%s", request.call_sid)
