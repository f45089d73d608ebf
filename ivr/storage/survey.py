"""Reading the satisfaction survey's answers (the call log's thread writes them).

CSAT here is the mean rating (1 to 5) over the ratings given; comments and
callers who gave no rating do not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hours.clock import require_aware
from ivr.storage.models import SurveyAnswerRecord


def call_ratings(session: Session, call_sid: str) -> list[int]:
    """The ratings stored for a call, in the order given."""
    query = (
        select(SurveyAnswerRecord.rating)
        .where(SurveyAnswerRecord.call_sid == call_sid, SurveyAnswerRecord.rating.is_not(None))
        .order_by(SurveyAnswerRecord.step)
    )
    return [rating for rating in session.scalars(query) if rating is not None]


@dataclass(frozen=True, slots=True)
class LineCsat:
    """A line's ratings over a period: how many, and their mean."""

    line: str | None
    ratings: int
    average: float


def csat_by_line(session: Session, start: datetime, end: datetime) -> list[LineCsat]:
    """Each line's ratings given in ``[start, end)``, lines in name order (no line last)."""
    require_aware(start, "start")
    require_aware(end, "end")
    rating = SurveyAnswerRecord.rating
    query = (
        select(SurveyAnswerRecord.line, func.count(rating), func.avg(rating))
        .where(
            rating.is_not(None),
            SurveyAnswerRecord.at >= start,
            SurveyAnswerRecord.at < end,
        )
        .group_by(SurveyAnswerRecord.line)
    )
    rows = [LineCsat(line, n, float(mean)) for line, n, mean in session.execute(query)]
    return sorted(rows, key=lambda row: (row.line is None, row.line or ""))
