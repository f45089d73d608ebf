"""The supervisor's figures over a period, each from one query on the call log and tables
(the satisfaction survey's answers among them).

The console's dashboard and ``/metrics`` both read :func:`figures`, so a
supervisor and a Prometheus graph never disagree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hours.clock import require_aware
from ivr.storage.models import Call, Callback, SurveyAnswerRecord
from ivr.storage.ticket_tables import TicketRecord

GAVE_UP = ("hung_up", "timed_out")  # the caller left before being put through or recorded
NO_LINE = ""  # calls that never chose a product line


@dataclass(frozen=True)
class Figures:
    start: datetime
    end: datetime
    calls: int = 0
    by_line: dict[str, int] = field(default_factory=dict)
    by_hour: list[int] = field(default_factory=lambda: [0] * 24)  # local hours of the line
    gave_up_at: dict[str, int] = field(default_factory=dict)  # node → calls ended there
    callbacks: dict[str, int] = field(default_factory=dict)  # status → callbacks booked
    tickets_opened: int = 0
    in_hours: int = 0  # calls that came while their line (or the default schedule) was open
    # Survey ratings given in the period: line -> {rating (1-5): how many}.
    ratings: dict[str, dict[int, int]] = field(default_factory=dict)

    def csat(self, line: str) -> tuple[int, float]:
        """A line's ratings in the period: how many, and their mean (CSAT, 1 to 5)."""
        counts = self.ratings.get(line, {})
        total = sum(counts.values())
        return total, sum(r * n for r, n in counts.items()) / total if total else 0.0

    @property
    def in_hours_share(self) -> float | None:
        return self.in_hours / self.calls if self.calls else None

    @property
    def callbacks_booked(self) -> int:
        return sum(self.callbacks.values())


def day_bounds(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Midnight to midnight of ``now``'s local day in ``zone``."""
    local = require_aware(now, "now").astimezone(zone)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, (start + timedelta(days=1)).replace(hour=0)


def figures(
    session: Session,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    is_open: Callable[[str | None, datetime], bool],
) -> Figures:
    """The figures of calls started, callbacks booked and tickets opened in [start, end).

    ``is_open(line, instant)`` says whether the line's schedule was open then.
    """
    in_period = Call.started_at >= start, Call.started_at < end
    calls = session.execute(select(Call.line, Call.started_at).where(*in_period)).all()
    by_line: Counter[str] = Counter()
    by_hour = [0] * 24
    in_hours = 0
    for line, started in calls:
        by_line[line or NO_LINE] += 1
        by_hour[started.astimezone(zone).hour] += 1
        in_hours += is_open(line, started)
    gave_up = session.execute(
        select(Call.last_node, func.count())
        .where(*in_period, Call.outcome.in_(GAVE_UP))
        .group_by(Call.last_node)
    ).all()
    callbacks = session.execute(
        select(Callback.status, func.count())
        .where(Callback.created_at >= start, Callback.created_at < end)
        .group_by(Callback.status)
    ).all()
    tickets = session.scalar(
        select(func.count())
        .select_from(TicketRecord)
        .where(TicketRecord.created_at >= start, TicketRecord.created_at < end)
    )
    ratings: dict[str, dict[int, int]] = {}
    rated = SurveyAnswerRecord.rating
    for line, rating, count in session.execute(
        select(SurveyAnswerRecord.line, rated, func.count())
        .where(SurveyAnswerRecord.at >= start, SurveyAnswerRecord.at < end, rated.is_not(None))
        .group_by(SurveyAnswerRecord.line, rated)
        .order_by(SurveyAnswerRecord.line, rated)
    ):
        ratings.setdefault(line or NO_LINE, {})[rating] = count
    return Figures(
        start=start,
        end=end,
        calls=len(calls),
        by_line=dict(by_line.most_common()),
        by_hour=by_hour,
        gave_up_at={node or "?": count for node, count in sorted(gave_up, key=lambda r: -r[1])},
        callbacks=dict(callbacks),
        tickets_opened=tickets or 0,
        in_hours=in_hours,
        ratings=ratings,
    )
