"""The instant the webhook benchmark runs at: a Tuesday, 10h in São Paulo.

Calls are recorded and replayed at that instant, so every run walks the
daytime paths (the hours branches answer "open" and callers are put
through), whatever the time of the run.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

BUSINESS_HOURS = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("America/Sao_Paulo"))


def at_business_hours() -> datetime:
    return BUSINESS_HOURS
