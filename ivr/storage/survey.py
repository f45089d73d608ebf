"""Reading the satisfaction survey's answers (the call log's thread writes them).

The CSAT of a line over a period is in ``ivr.storage.dashboard.Figures``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.storage.models import SurveyAnswerRecord


def call_ratings(session: Session, call_sid: str) -> list[int]:
    """The ratings stored for a call, in the order given."""
    query = (
        select(SurveyAnswerRecord.rating)
        .where(SurveyAnswerRecord.call_sid == call_sid, SurveyAnswerRecord.rating.is_not(None))
        .order_by(SurveyAnswerRecord.step)
    )
    return [rating for rating in session.scalars(query) if rating is not None]
