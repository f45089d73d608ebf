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


def call_answers(session: Session, call_sid: str) -> list[SurveyAnswerRecord]:
    """A call's survey answers (ratings and comments), in the order given."""
    query = select(SurveyAnswerRecord).where(SurveyAnswerRecord.call_sid == call_sid)
    return list(session.scalars(query.order_by(SurveyAnswerRecord.step)))


def ratings_by_call(session: Session, call_sids: list[str]) -> dict[str, int]:
    """The rating each of ``call_sids`` was given, for those that were rated."""
    if not call_sids:
        return {}
    query = (
        select(SurveyAnswerRecord.call_sid, SurveyAnswerRecord.rating)
        .where(SurveyAnswerRecord.call_sid.in_(call_sids), SurveyAnswerRecord.rating.is_not(None))
        .order_by(SurveyAnswerRecord.step)
    )
    return {sid: rating for sid, rating in session.execute(query) if rating is not None}
