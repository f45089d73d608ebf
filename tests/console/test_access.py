"""Who gets into the console, and what a refused request looks like."""

from __future__ import annotations

from datetime import timedelta

from ivr.storage.accounts import MAX_FAILURES_PER_ACCOUNT
from tests.console.conftest import PASSWORD, csrf_of, log_in


def test_pages_need_a_session(app):
    client = app.test_client()
    for path in ("/admin/", "/admin/audit"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/admin/login?next=")
    assert client.post("/admin/logout").status_code == 400  # no CSRF token, nothing done


def test_supervisor_logs_in_and_lands_on_the_dashboard(app):
    client = app.test_client()
    response = log_in(client, "ana")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    page = client.get("/admin/").get_data(as_text=True)
    assert "ana (supervisor)" in page
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_wrong_password_is_refused_without_saying_which_part(app):
    client = app.test_client()
    response = log_in(client, "ana", "wrong password")
    assert response.status_code == 401
    assert "Nome ou senha incorretos" in response.get_data(as_text=True)
    assert log_in(client, "nobody", "whatever1234").status_code == 401
    assert client.get("/admin/").status_code == 302


def test_login_without_or_with_a_wrong_csrf_token_is_refused(app):
    client = app.test_client()
    client.get("/admin/login")
    form = {"name": "ana", "password": PASSWORD}
    assert client.post("/admin/login", data=form).status_code == 400
    assert client.post("/admin/login", data=form | {"csrf_token": "forged"}).status_code == 400
    assert client.get("/admin/").status_code == 302


def test_an_account_is_locked_after_repeated_failures_even_with_the_right_password(app, clock):
    client = app.test_client()
    for _ in range(MAX_FAILURES_PER_ACCOUNT):
        assert log_in(client, "ana", "not the password").status_code == 401
    locked = log_in(client, "ana")
    assert locked.status_code == 429
    assert "Muitas tentativas" in locked.get_data(as_text=True)
    clock.at = clock() + timedelta(minutes=16)
    assert log_in(client, "ana").status_code == 302


def test_an_address_is_locked_after_failures_across_accounts(app):
    client = app.test_client()
    for number in range(20):
        log_in(client, f"guess{number}", "not the password")
    assert log_in(client, "vitor").status_code == 429


def test_next_is_followed_inside_the_console_only(app):
    for evil in (
        "https://evil.example/",
        "//evil.example/admin",
        "/\\evil.example",
        "javascript:x",
    ):
        client = app.test_client()
        response = log_in(client, "ana", next_url=evil)
        assert response.headers["Location"] == "/admin/", evil
    client = app.test_client()
    assert log_in(client, "ana", next_url="/admin/audit").headers["Location"] == "/admin/audit"


def test_logout_ends_the_session(supervisor):
    token = csrf_of(supervisor.get("/admin/").get_data(as_text=True))
    assert supervisor.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    assert supervisor.get("/admin/").status_code == 302


def test_webhooks_need_no_csrf_and_get_no_cookie(app):
    response = app.test_client().post("/voice/incoming", data={"CallSid": "CA1"})
    assert response.status_code == 403  # unsigned: refused by the signature check, not CSRF
    assert "Set-Cookie" not in response.headers


def test_audit_page_is_readable_by_viewers(viewer):
    assert "Auditoria" in viewer.get("/admin/audit").get_data(as_text=True)


def test_serve_says_how_the_first_supervisor_gets_in(settings):
    from ivr.cli.serve import first_supervisor_hint
    from ivr.storage.db import upgrade

    upgrade(settings.database_url)
    hint = first_supervisor_hint(settings, "127.0.0.1", 5000)
    assert "ivr users add SEU_NOME --role supervisor" in hint
    assert "http://127.0.0.1:5000/admin/login" in hint and "senha" not in hint.lower()
