"""The IVR as the benchmark serves it: ``ivr.wsgi:app`` with the clock fixed.

Calls are recorded and replayed at the same instant, a Tuesday at 10h in
São Paulo, so every run walks the daytime paths (the hours branches answer
"open" and callers are put through), whatever the time of the run.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from ivr.app import create_app

BUSINESS_HOURS = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("America/Sao_Paulo"))


def at_business_hours() -> datetime:
    return BUSINESS_HOURS


app = create_app(clock=at_business_hours)
