"""Menu pages: history, problems at their lines, publish, roll back, drafts, test call."""

from __future__ import annotations

from sqlalchemy import select

from ivr.storage.db import open_session
from ivr.storage.models import AuditEntry, MenuVersion
from tests.console.conftest import token_from
from tests.web.conftest import SHIPPED_MENU

MENU = SHIPPED_MENU.read_text(encoding="utf-8")


def _versions(settings) -> list[MenuVersion]:
    with open_session(settings.database_url) as session:
        return list(session.scalars(select(MenuVersion).order_by(MenuVersion.id)))


def test_history_marks_the_live_version(supervisor):
    page = supervisor.get("/admin/menus").get_data(as_text=True)
    assert "no ar" in page and "tests" in page


def test_validate_returns_problems_at_their_lines(supervisor):
    token = token_from(supervisor)
    broken = MENU.replace("nodes:", "nodes:\n  quebrado: {kind: nada}", 1)
    response = supervisor.post(
        "/admin/menus/validate", data={"content": broken}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200
    problems = response.get_json()["problems"]
    line = broken.splitlines().index("  quebrado: {kind: nada}") + 1
    assert any(p["line"] == line and p["severity"] == "error" for p in problems), problems
    clean = supervisor.post(
        "/admin/menus/validate", data={"content": MENU}, headers={"X-CSRFToken": token}
    )
    assert [p for p in clean.get_json()["problems"] if p["severity"] == "error"] == []


def test_validate_without_csrf_is_refused(supervisor):
    assert supervisor.post("/admin/menus/validate", data={"content": MENU}).status_code == 400


def test_publish_refuses_errors_and_keeps_the_live_version(supervisor, settings):
    token = token_from(supervisor)
    before = _versions(settings)
    broken = MENU.replace("nodes:", "nodes:\n  quebrado: {kind: nada}", 1)
    response = supervisor.post(
        "/admin/menus/publish", data={"content": broken, "csrf_token": token}
    )
    assert response.status_code == 422
    assert "nada foi salvo" in response.get_data(as_text=True)
    assert _versions(settings) == before or len(_versions(settings)) == len(before)


def test_publish_then_roll_back_in_one_click(supervisor, settings):
    token = token_from(supervisor)
    changed = MENU + "\n# uma mudança\n"
    response = supervisor.post(
        "/admin/menus/publish",
        data={"content": changed, "csrf_token": token, "accept_warnings": "1"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    versions = _versions(settings)
    assert versions[-1].content == changed and versions[-1].author == "ana"
    page = supervisor.get(f"/admin/menus/{versions[0].id}").get_data(as_text=True)
    assert "uma mudança" in page  # the diff from live
    response = supervisor.post(
        f"/admin/menus/{versions[0].id}/rollback", data={"csrf_token": token}
    )
    assert response.status_code == 302
    after = _versions(settings)
    assert after[-1].content == MENU and after[-1].id > versions[-1].id
    with open_session(settings.database_url) as session:
        actions = list(session.scalars(select(AuditEntry.action)))
    assert "menu.publish" in actions and "menu.rollback" in actions


def test_viewer_cannot_publish_roll_back_or_save_drafts(viewer, settings):
    token = token_from(viewer)
    before = len(_versions(settings))
    page = viewer.get("/admin/menus/edit").get_data(as_text=True)
    assert "Publicar para todos" not in page
    for path, data in (
        ("/admin/menus/publish", {"content": MENU + "\n# x\n"}),
        ("/admin/menus/1/rollback", {}),
        ("/admin/menus/draft", {"content": MENU, "test_numbers": "+5511987654321"}),
        ("/admin/menus/promote", {}),
    ):
        response = viewer.post(path, data=data | {"csrf_token": token})
        assert response.status_code == 403, path
    assert len(_versions(settings)) == before


def test_no_session_cannot_publish(app, settings):
    before = len(_versions(settings))
    response = app.test_client().post("/admin/menus/publish", data={"content": MENU})
    assert response.status_code in (400, 401)
    assert len(_versions(settings)) == before


def test_draft_for_test_numbers_then_promote(supervisor, settings):
    token = token_from(supervisor)
    draft = MENU + "\n# rascunho\n"
    response = supervisor.post(
        "/admin/menus/draft",
        data={
            "content": draft,
            "test_numbers": "(11) 98765-4321",
            "csrf_token": token,
            "accept_warnings": "1",
        },
    )
    assert response.status_code == 302
    versions = _versions(settings)
    assert versions[-1].status == "draft" and versions[-1].test_numbers == ["+5511987654321"]
    assert supervisor.post("/admin/menus/promote", data={"csrf_token": token}).status_code == 302
    assert (
        _versions(settings)[-1].content == draft and _versions(settings)[-1].status == "published"
    )


def test_graph_and_editor_pages(supervisor):
    assert "flowchart" in supervisor.get("/admin/menus/1").get_data(as_text=True)
    editor = supervisor.get("/admin/menus/edit?from=1").get_data(as_text=True)
    assert "Testar ligação" in editor and "nodes:" in editor


def test_test_call_plays_the_menu_at_the_chosen_instant(viewer):
    token = token_from(viewer)
    response = viewer.post(
        "/admin/menus/test-call",
        data={
            "menu": "live",
            "date": "2026-12-25",
            "time": "10:00",
            "keys": "",
            "csrf_token": token,
        },
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Ouve:" in page and "Fim da ligação" in page
