"""Where "now" comes from, and the one check that an instant is timezone-aware.

Only the outermost shells read the clock; everything else is given the
instant (or a ``Clock``) so any moment can be tried. The clocks:

- :func:`utc_now`: the real time, what production runs on;
- :class:`SettableClock`: stopped at an instant that tests and the simulator
  move by hand (the real time while unset);
- :class:`RunningClock`: starts at a given instant and runs from there
  (``ivr serve --at``, ``ivr worker --at``: staging on a chosen day).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

__all__ = ["Clock", "NaiveDatetime", "RunningClock", "SettableClock", "require_aware", "utc_now"]

Clock = Callable[[], datetime]


class NaiveDatetime(ValueError):
    """A datetime without a time zone where an instant is needed: always a bug."""


def require_aware(value: datetime, what: str = "the instant") -> datetime:
    """``value`` itself when it is a timezone-aware datetime; raises otherwise.

    ``what`` names it in the message (``"start"``, ``"CallContext.now"``).
    """
    if not isinstance(value, datetime):
        raise TypeError(f"{what}: expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetime(
            f"{what} must be timezone-aware: naive datetime {value.isoformat()}"
            " (give it a time zone)"
        )
    return value


def utc_now() -> datetime:
    return datetime.now(UTC)


class SettableClock:
    """A clock stopped at ``at``, moved by assigning ``at``; the real time while unset."""

    def __init__(self, at: datetime | None = None) -> None:
        if at is not None:
            require_aware(at, "SettableClock.at")
        self.at = at

    def __call__(self) -> datetime:
        return self.at or utc_now()


class RunningClock:
    """A clock that shows ``start`` when it is made and runs on from there."""

    def __init__(self, start: datetime, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._start = require_aware(start, "RunningClock start")
        self._monotonic = monotonic
        self._origin = monotonic()

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=self._monotonic() - self._origin)
