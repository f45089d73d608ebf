"""The hours page and the emergency-closure switch."""

from __future__ import annotations

from sqlalchemy import select

from ivr.storage.db import open_session
from ivr.storage.models import AuditEntry, Callback, EmergencyClosureRecord
from tests.console.conftest import book_callback, token_from

CLOSE = {
    "message": "Estamos em manutenção e voltamos às quinze horas.",
    "end_date": "2026-11-24",
    "end_time": "15:00",
}


def _closures(settings) -> list[EmergencyClosureRecord]:
    with open_session(settings.database_url) as session:
        return list(session.scalars(select(EmergencyClosureRecord)))


def test_week_and_holidays_of_each_schedule(viewer):
    page = viewer.get("/admin/hours?year=2026").get_data(as_text=True)
    assert "Agenda “padrao”" in page and "09:00–11:45, 13:30–17:30" in page
    assert "25/12" in page and "Natal" in page
    assert "Fechar o atendimento" not in page  # viewers see no switch


def test_closing_shows_the_callbacks_it_will_move_then_moves_them(supervisor, settings):
    protocol = book_callback(settings.database_url)
    with open_session(settings.database_url) as session:
        slot_before = session.scalar(
            select(Callback.slot_start).where(Callback.protocol == protocol)
        )
    token = token_from(supervisor, "/admin/hours")
    # the callback's slot is today, within the closure
    preview = supervisor.post("/admin/hours/close", data=CLOSE | {"csrf_token": token})
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "<strong>1</strong> retorno(s) agendado(s) será remarcado" in page
    assert _closures(settings) == []  # nothing stored yet
    with open_session(settings.database_url) as session:
        still = session.scalar(select(Callback.slot_start).where(Callback.protocol == protocol))
    assert still == slot_before
    done = supervisor.post("/admin/hours/close", data=CLOSE | {"csrf_token": token, "confirm": "1"})
    assert done.status_code == 302
    [closure] = _closures(settings)
    assert closure.author == "ana" and closure.message.startswith("Estamos em manutenção")
    with open_session(settings.database_url) as session:
        moved = session.scalar(select(Callback.slot_start).where(Callback.protocol == protocol))
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "hours.close"))
    assert moved > slot_before
    listing = supervisor.get("/admin/hours").get_data(as_text=True)
    assert "Estamos em manutenção" in listing
    reopen = supervisor.post(
        f"/admin/hours/closures/{closure.id}/reopen", data={"csrf_token": token}
    )
    assert reopen.status_code == 302
    assert "Nenhum fechamento" in supervisor.get("/admin/hours").get_data(as_text=True)


def test_viewer_cannot_close_or_reopen_the_line(viewer, settings):
    token = token_from(viewer, "/admin/hours")
    response = viewer.post("/admin/hours/close", data=CLOSE | {"csrf_token": token, "confirm": "1"})
    assert response.status_code == 403
    assert (
        viewer.post("/admin/hours/closures/1/reopen", data={"csrf_token": token}).status_code == 403
    )
    assert _closures(settings) == []


def test_closing_without_an_end_needs_until_reopened(supervisor, settings):
    token = token_from(supervisor, "/admin/hours")
    data = {"message": "Fechado", "csrf_token": token, "confirm": "1"}
    response = supervisor.post("/admin/hours/close", data=data, follow_redirects=True)
    assert "Diga quando reabre" in response.get_data(as_text=True)
    assert _closures(settings) == []


def test_closing_without_csrf_is_refused(supervisor, settings):
    response = supervisor.post("/admin/hours/close", data=CLOSE | {"confirm": "1"})
    assert response.status_code == 400
    assert _closures(settings) == []
