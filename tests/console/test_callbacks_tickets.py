"""The callbacks and tickets pages: lists, search, and the actions a supervisor takes."""

from __future__ import annotations

from sqlalchemy import select

from ivr.storage.db import open_session
from ivr.storage.models import Callback, CallbackEvent, OutboxItem
from tests.console.conftest import OPEN_INSTANT, book_callback, open_ticket_row, token_from


def _callback(settings, protocol: str) -> Callback:
    with open_session(settings.database_url) as session:
        return session.scalar(select(Callback).where(Callback.protocol == protocol))


def test_upcoming_callbacks_show_full_numbers_to_supervisors_only(supervisor, viewer, settings):
    protocol = book_callback(settings.database_url, "+5511987654321")
    full = supervisor.get("/admin/callbacks").get_data(as_text=True)
    assert protocol in full and "+5511987654321" in full
    masked = viewer.get("/admin/callbacks").get_data(as_text=True)
    assert protocol in masked and "+5511987654321" not in masked and "4321" in masked
    detail = viewer.get(f"/admin/callbacks/{protocol}").get_data(as_text=True)
    assert "+5511987654321" not in detail and "Cancelar o retorno" not in detail


def test_search_by_protocol_or_number(viewer, settings):
    first = book_callback(settings.database_url, "+5511987654321")
    other = book_callback(settings.database_url, "+5521998765432")
    page = viewer.get("/admin/callbacks?q=(21) 99876-5432").get_data(as_text=True)
    assert other in page and first not in page
    page = viewer.get(f"/admin/callbacks?q={first}").get_data(as_text=True)
    assert first in page and other not in page


def test_book_reschedule_call_now_and_cancel(supervisor, settings):
    token = token_from(supervisor, "/admin/callbacks")
    booked = supervisor.post(
        "/admin/callbacks/book",
        data={"number": "(11) 98765-4321", "line": "erp", "when": "primeiro", "csrf_token": token},
    )
    assert booked.status_code == 302
    protocol = booked.headers["Location"].rsplit("/", 1)[-1]
    callback = _callback(settings, protocol)
    assert callback.status == "scheduled" and callback.number == "+5511987654321"
    moved = supervisor.post(
        f"/admin/callbacks/{protocol}/reschedule",
        data={"date": "2026-11-26", "time": "14:00", "csrf_token": token},
    )
    assert moved.status_code == 302
    assert _callback(settings, protocol).slot_start >= OPEN_INSTANT.replace(day=26, hour=14)
    now = supervisor.post(f"/admin/callbacks/{protocol}/call-now", data={"csrf_token": token})
    assert now.status_code == 302
    assert _callback(settings, protocol).scheduled_for == OPEN_INSTANT
    cancelled = supervisor.post(f"/admin/callbacks/{protocol}/cancel", data={"csrf_token": token})
    assert cancelled.status_code == 302
    assert _callback(settings, protocol).status == "cancelled"
    with open_session(settings.database_url) as session:
        kinds = list(session.scalars(select(CallbackEvent.kind)))
    assert {"booked", "rescheduled", "call_now", "cancelled"} <= set(kinds)
    page = supervisor.get(f"/admin/callbacks/{protocol}").get_data(as_text=True)
    assert "cancelado" in page


def test_viewer_cannot_book_or_change_callbacks(viewer, settings):
    protocol = book_callback(settings.database_url)
    token = token_from(viewer, "/admin/callbacks")
    for path in ("cancel", "call-now", "reschedule"):
        response = viewer.post(f"/admin/callbacks/{protocol}/{path}", data={"csrf_token": token})
        assert response.status_code == 403, path
    booked = viewer.post(
        "/admin/callbacks/book",
        data={"number": "11987654322", "line": "erp", "csrf_token": token},
    )
    assert booked.status_code == 403
    assert _callback(settings, protocol).status == "scheduled"


def test_tickets_found_by_protocol_with_their_delivery(viewer, settings):
    protocol = open_ticket_row(settings.database_url)
    other = open_ticket_row(settings.database_url, phone="+5521998765432")
    page = viewer.get(f"/admin/tickets?q={protocol}").get_data(as_text=True)
    found = page.split("Entregas aguardando")[0]
    assert protocol in found and other not in found and "+5511912345678" not in page
    detail = viewer.get(f"/admin/tickets/{protocol}").get_data(as_text=True)
    assert "Recado de voz" in detail and "aguardando" in detail


def test_dead_deliveries_are_retried_by_supervisors_only(supervisor, viewer, settings):
    protocol = open_ticket_row(settings.database_url, dead=True)
    listing = supervisor.get("/admin/tickets").get_data(as_text=True)
    assert "não entregue" in listing and "HTTP 503" in listing
    token = token_from(viewer, "/admin/tickets")
    assert viewer.post("/admin/tickets/retry", data={"csrf_token": token}).status_code == 403
    token = token_from(supervisor, "/admin/tickets")
    response = supervisor.post(
        "/admin/tickets/retry", data={"protocol": protocol, "csrf_token": token}
    )
    assert response.status_code == 302
    with open_session(settings.database_url) as session:
        assert session.scalar(select(OutboxItem.dead)) is False
