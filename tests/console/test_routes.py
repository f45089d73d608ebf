"""Every console route refuses who may not use it: no session, a viewer, no CSRF token."""

from __future__ import annotations

import pytest

from tests.console.conftest import book_callback, csrf_of, token_from

# POST routes anyone logged in may use: they change nothing.
READ_ONLY_POSTS = {"console.login", "console.logout", "console.validate_menu", "console.test_call"}


def _console_rules(app, method: str):
    for rule in app.url_map.iter_rules():
        console = rule.endpoint.startswith("console.") and rule.endpoint != "console.static"
        if console and method in rule.methods:
            yield rule


def _path(rule, protocol: str = "2026") -> str:
    return (
        rule.rule.replace("<int:version_id>", "1")
        .replace("<int:closure_id>", "1")
        .replace("<protocol>", protocol)
    )


def test_every_page_needs_a_session(app):
    client = app.test_client()
    for rule in _console_rules(app, "GET"):
        if rule.endpoint == "console.login":
            continue
        response = client.get(_path(rule))
        assert response.status_code == 302, rule.rule
        assert response.headers["Location"].startswith("/admin/login?next="), rule.rule


def test_every_change_needs_a_session_even_with_a_token(app):
    client = app.test_client()
    token = csrf_of(client.get("/admin/login").get_data(as_text=True))
    for rule in _console_rules(app, "POST"):
        if rule.endpoint in ("console.login", "console.logout"):
            continue
        response = client.post(_path(rule), data={"csrf_token": token, "content": "x"})
        assert response.status_code == 401, rule.rule


def test_every_post_needs_a_csrf_token(supervisor, app):
    for rule in _console_rules(app, "POST"):
        for data in ({}, {"csrf_token": "forged"}):
            response = supervisor.post(_path(rule), data=data)
            assert response.status_code == 400, (rule.rule, data)
            assert "O formulário expirou" in response.get_data(as_text=True)


def test_a_viewer_changes_nothing_by_posting_directly(viewer, app, settings):
    protocol = book_callback(settings.database_url)
    token = token_from(viewer)
    changes = [r for r in _console_rules(app, "POST") if r.endpoint not in READ_ONLY_POSTS]
    assert len(changes) >= 10
    for rule in changes:
        response = viewer.post(_path(rule, protocol), data={"csrf_token": token})
        assert response.status_code == 403, rule.rule
        assert "Só supervisores" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/admin/menus/999", "/admin/callbacks/1", "/admin/tickets/1"])
def test_unknown_things_are_404(supervisor, path):
    assert supervisor.get(path).status_code == 404
