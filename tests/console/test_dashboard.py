"""The dashboard's figures, checked against a call log the test builds."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from ivr.storage.db import make_engine
from ivr.storage.models import Call, SurveyAnswerRecord
from tests.console.conftest import OPEN_INSTANT, book_callback, open_ticket_row

# OPEN_INSTANT is Tuesday 24 Nov 2026, 10:00 in São Paulo.
CALLS = [
    # (minutes from 10:00, line, outcome, last node)
    (-120, "erp", "hung_up", "principal"),  # 08:00, before opening
    (-30, "erp", "transferred", "fila_erp"),  # 09:30
    (-25, "pdv", "transferred", "fila_pdv"),  # 09:35
    (-20, None, "hung_up", "principal"),  # 09:40
    (-15, None, "timed_out", "principal"),  # 09:45
    (-10, "fiscal", "voicemail", "recado"),  # 09:50
    (-14 * 60, "erp", "hung_up", "principal"),  # yesterday 20:00: not today
]


def _build_call_log(database_url: str) -> None:
    engine = make_engine(database_url)
    with Session(engine) as session, session.begin():
        for index, (minutes, line, outcome, node) in enumerate(CALLS):
            at = OPEN_INSTANT + timedelta(minutes=minutes)
            session.add(
                Call(
                    call_sid=f"CA{index:032d}",
                    started_at=at,
                    updated_at=at,
                    line=line,
                    outcome=outcome,
                    last_node=node,
                    status="completed",
                )
            )
    engine.dispose()


def test_dashboard_figures_match_the_call_log(viewer, settings):
    _build_call_log(settings.database_url)
    book_callback(settings.database_url)
    open_ticket_row(settings.database_url)
    page = viewer.get("/admin/").get_data(as_text=True)
    assert '<div class="figure" id="calls">6</div>' in page
    # 5 of the 6 came at or after 09:00, when the line's schedules are open
    assert "5 de 6" in page and "83%" in page
    assert '<div class="figure" id="callbacks">1</div>' in page
    assert '<div class="figure" id="tickets">1</div>' in page
    assert "<td>principal</td><td>3</td>" in page
    assert "8h: 1;" in page and "9h: 5;" in page
    week = viewer.get("/admin/?dias=7").get_data(as_text=True)
    assert '<div class="figure" id="calls">7</div>' in week


def test_metrics_expose_the_same_figures(app, settings):
    _build_call_log(settings.database_url)
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert 'ivr_calls_today{line="erp"} 2.0' in text
    assert 'ivr_calls_today{line="none"} 2.0' in text
    assert 'ivr_calls_gave_up_today{node="principal"} 3.0' in text
    assert "ivr_calls_in_business_hours_today 5.0" in text


# (call index in CALLS, minutes from 10:00, rating): today 4 and 5 for ERP, 2 for PDV;
# yesterday's 1 for ERP is not today's.
RATINGS = [(1, -20, 4), (1, -19, None), (2, -18, 2), (6, -13 * 60, 1)]


def _rate(database_url: str) -> None:
    engine = make_engine(database_url)
    with Session(engine) as session, session.begin():
        for step, (index, minutes, rating) in enumerate(RATINGS):
            line = CALLS[index][1]
            at = OPEN_INSTANT + timedelta(minutes=minutes)
            comment = None if rating else "gostei"
            session.add(
                SurveyAnswerRecord(
                    call_sid=f"CA{index:032d}",
                    step=step,
                    at=at,
                    line=line,
                    rating=rating,
                    comment=comment,
                )
            )
        session.add(
            SurveyAnswerRecord(
                call_sid=f"CA{0:032d}", step=9, at=OPEN_INSTANT, line="erp", rating=5
            )
        )
    engine.dispose()


def test_the_dashboard_shows_each_lines_satisfaction_today(viewer, settings):
    _build_call_log(settings.database_url)
    _rate(settings.database_url)
    page = viewer.get("/admin/").get_data(as_text=True)
    assert "Satisfação com o atendimento" in page
    assert "<tr><td>ERP Retaguarda</td><td>4,5</td><td>2</td></tr>" in page
    assert "<tr><td>PDV e Frente de Caixa</td><td>2,0</td><td>1</td></tr>" in page
    week = viewer.get("/admin/?dias=7").get_data(as_text=True)
    assert "<tr><td>ERP Retaguarda</td><td>3,3</td><td>3</td></tr>" in week


def test_without_ratings_the_dashboard_says_so(viewer, settings):
    _build_call_log(settings.database_url)
    page = viewer.get("/admin/").get_data(as_text=True)
    assert "Nenhuma nota no período." in page


def test_metrics_count_todays_ratings_by_line(app, settings):
    _build_call_log(settings.database_url)
    _rate(settings.database_url)
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert 'ivr_csat_ratings_today{line="erp",rating="4"} 1.0' in text
    assert 'ivr_csat_ratings_today{line="erp",rating="5"} 1.0' in text
    assert 'ivr_csat_ratings_today{line="pdv",rating="2"} 1.0' in text
    assert 'rating="1"' not in text
