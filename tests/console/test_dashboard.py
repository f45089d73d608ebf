"""The dashboard's figures, checked against a call log the test builds."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from ivr.storage.db import make_engine
from ivr.storage.models import Call
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
