"""Where "now" comes from, and the one check that an instant is timezone-aware.

Only the outermost shells read the clock; everything else is given the
instant (or a ``Clock``) so any moment can be tried.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)
