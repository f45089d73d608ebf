"""The inputs of one engine step: what the caller did and the world around it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from hours.clock import require_aware


@dataclass(frozen=True, slots=True)
class CallerEvent:
    """What Twilio reported for the request being served.

    ``digits`` and ``speech`` are both None when a gather timed out.
    """

    digits: str | None = None
    speech: str | None = None
    dial_status: str | None = None  # DialCallStatus / QueueResult
    recording_url: str | None = None
    recording_duration: int | None = None


class HoursOracle(Protocol):
    """The seam to the business calendar (``hours/``)."""

    def is_open(self, schedule: str | None, now: datetime) -> bool: ...

    def closed_phrase(self, schedule: str | None, now: datetime) -> str:
        """pt-BR sentence saying why the line is closed and when it reopens."""
        ...


class AlwaysOpen:
    """Calendar used until one is configured: the line never closes."""

    def is_open(self, schedule: str | None, now: datetime) -> bool:
        return True

    def closed_phrase(self, schedule: str | None, now: datetime) -> str:
        return ""


@dataclass(frozen=True, slots=True)
class CallContext:
    """Facts about the call that are not caller input. ``now`` must be aware."""

    now: datetime
    caller: str = ""  # E.164 as Twilio sends it in From
    called: str = ""
    hours: HoursOracle = AlwaysOpen()  # noqa: RUF009 -- stateless, safe to share

    def __post_init__(self) -> None:
        require_aware(self.now, "CallContext.now")
