"""Twilio's voice and status webhook forms, parsed and typed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote_plus

from ivr.menus.context import CallerEvent

_unquote_short = lru_cache(maxsize=8192)(unquote_plus)


def _unquote(text: str) -> str:
    # Only short values are remembered: the form is read before its
    # signature is checked, so anyone could send long unique ones.
    return _unquote_short(text) if len(text) <= 64 else unquote_plus(text)


def parse_form(body: str) -> dict[str, str]:
    """``application/x-www-form-urlencoded`` → dict, as ``parse_qsl`` reads it.

    Written here rather than calling ``parse_qsl`` because it was the largest
    single cost of a webhook: most of Twilio's values (SIDs, statuses) carry
    no escapes, so only the parts that do go through ``unquote_plus``, and
    those (the caller's and our numbers, repeated on every request of a
    call) are remembered.
    """
    form: dict[str, str] = {}
    for pair in body.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        if "%" in name or "+" in name:
            name = _unquote(name)
        if "%" in value or "+" in value:
            value = _unquote(value)
        form[name] = value
    return form


@dataclass(frozen=True, slots=True)
class VoiceRequest:
    """The parts of Twilio's voice webhook form that we use."""

    call_sid: str
    account_sid: str = ""
    caller: str = ""
    called: str = ""
    call_status: str = ""
    digits: str | None = None
    speech: str | None = None
    dial_status: str | None = None
    recording_url: str | None = None
    recording_duration: int | None = None

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> VoiceRequest:
        get = form.get
        return cls(
            call_sid=get("CallSid", ""),
            account_sid=get("AccountSid", ""),
            caller=get("From", ""),
            called=get("To", ""),
            call_status=get("CallStatus", ""),
            digits=get("Digits") or None,
            speech=get("SpeechResult") or None,
            dial_status=get("DialCallStatus") or get("QueueResult") or None,
            recording_url=get("RecordingUrl") or None,
            recording_duration=_int_or_none(get("RecordingDuration")),
        )

    def event(self) -> CallerEvent:
        return CallerEvent(
            digits=self.digits,
            speech=self.speech,
            dial_status=self.dial_status,
            recording_url=self.recording_url,
            recording_duration=self.recording_duration,
            call_status=self.call_status or None,
        )


@dataclass(frozen=True, slots=True)
class StatusReport:
    """Twilio's status callback form, typed."""

    call_sid: str
    call_status: str
    sequence_number: int | None = None
    duration: int | None = None

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> StatusReport:
        return cls(
            call_sid=form.get("CallSid", ""),
            call_status=form.get("CallStatus", ""),
            sequence_number=_int_or_none(form.get("SequenceNumber")),
            duration=_int_or_none(form.get("CallDuration")),
        )


MAX_COUNT = 2**31 - 1  # the call log's INTEGER columns; Twilio's values are far smaller


def _int_or_none(value: str | None) -> int | None:
    """A non-negative count Twilio sent, or None for anything else.

    ``isdecimal``, not ``isdigit``: ``"²".isdigit()`` is true but ``int("²")``
    raises. Values that would overflow the database column are dropped too,
    or the call log would discard the whole event (a recording with it).
    """
    if not value or not value.isdecimal():
        return None
    number = int(value)
    return number if number <= MAX_COUNT else None
