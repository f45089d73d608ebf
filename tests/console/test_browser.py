"""The console in a real browser (Debian's Chromium through Playwright), end to end.

One browser for the module; each page is screenshotted into
``var/test-artifacts/console/`` (git-ignored). Skipped, saying why, when
/usr/bin/chromium or the playwright package is missing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from hours.clock import SettableClock
from ivr.app import close_app, create_app
from ivr.menus.loader import load_menu
from ivr.settings import Settings
from ivr.storage.accounts import add_user
from ivr.storage.db import open_session, upgrade
from ivr.storage.menu_versions import migrate_and_publish_if_none
from tests.console.conftest import PASSWORD, open_ticket_row
from tests.web.conftest import AUTH_TOKEN, OPEN_INSTANT, SHIPPED_MENU

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "console"
MENU = SHIPPED_MENU.read_text(encoding="utf-8")
OLD_GREETING = "Olá! Você ligou para o suporte da Atlas Sistemas."
NEW_GREETING = "Bom dia! Aqui é o suporte da Atlas Sistemas."

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed (apt-get install chromium)"
)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The real app on a real socket, on a migrated SQLite file, its clock at OPEN_INSTANT.

    The cookie stays Secure: Chromium keeps Secure cookies from http://127.0.0.1.
    """
    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder}/ivr.db"
    upgrade(url)
    migrate_and_publish_if_none(
        url, lambda: MENU, "tests", OPEN_INSTANT, validate=lambda t: load_menu(t, "menus.yaml")
    )
    with open_session(url, write=True) as session:
        add_user(session, "ana", PASSWORD, "supervisor", OPEN_INSTANT)
        session.commit()
    settings = Settings(
        database_url=url,
        menus_path=str(SHIPPED_MENU),
        twilio_auth_token=AUTH_TOKEN,
        secret_key="browser-test-secret",
        var_dir=folder / "var",
    )
    app = create_app(settings, clock=SettableClock(OPEN_INSTANT), menu_refresh_seconds=0)
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}", url
    finally:
        http.shutdown()
        close_app(app)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def test_a_supervisor_runs_the_line_from_the_browser(server, browser):
    server, database_url = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.set_default_timeout(15_000)
    shots = iter(range(1, 100))

    def shot(name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{next(shots):02d}-{name}.png"), full_page=True)

    def test_call() -> str:
        page.goto(f"{server}/admin/menus/edit")
        page.select_option("#menu", "live")
        page.click("button:has-text('Testar ligação')")
        page.wait_for_selector("#transcript")
        return page.inner_text("#transcript")

    # log in, through the redirect a bookmarked page gives
    page.goto(f"{server}/admin/menus")
    assert "/admin/login" in page.url
    shot("login")
    page.fill("#name", "ana")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Entrar')")
    page.wait_for_url(f"{server}/admin/menus")
    shot("menus")

    # the editor shows an error at its line before anything is saved
    page.goto(f"{server}/admin/menus/edit")
    page.wait_for_selector("#problems li")
    shot("editor")
    broken = MENU.replace("nodes:\n", "nodes:\n  quebrado: {kind: nada}\n", 1)
    bad_line = broken.splitlines().index("  quebrado: {kind: nada}") + 1
    page.fill("#content", broken)
    page.wait_for_selector(f"#problems li.error[data-line='{bad_line}']")
    assert page.inner_text("#gutter .bad") == str(bad_line)
    shot("editor-error")

    # fixed, published, heard in a simulated call
    page.fill("#content", MENU.replace(OLD_GREETING, NEW_GREETING))
    page.wait_for_selector("#problems li:has-text('Nenhum problema')")
    page.click("button:has-text('Publicar para todos')")
    page.wait_for_selector(".flash.ok:has-text('publicada')")
    shot("published")
    heard = test_call()
    assert NEW_GREETING in heard
    shot("test-call-new-version")

    # rolled back in one click, and the old greeting is heard again
    page.goto(f"{server}/admin/menus")
    page.click("tr:has(td a:text-is('1')) button:has-text('Voltar para esta versão')")
    page.wait_for_selector(".flash.ok:has-text('está no ar')")
    shot("rolled-back")
    heard = test_call()
    assert OLD_GREETING in heard and NEW_GREETING not in heard

    # an emergency closure: confirmed, then heard
    page.goto(f"{server}/admin/hours")
    shot("hours")
    page.fill("#message", "Estamos sem sistema por uma falha de energia.")
    page.fill("#end_date", "2026-11-24")
    page.fill("input[name=end_time]", "15:00")
    page.click("button:has-text('Ver o que acontece')")
    page.wait_for_selector("#moves")
    shot("close-confirm")
    page.click("button:has-text('Fechar o atendimento')")
    page.wait_for_selector(".flash.ok:has-text('Fechamento nº')")
    heard = test_call()
    assert "Estamos sem sistema por uma falha de energia." in heard
    shot("test-call-closed")

    # a callback booked and cancelled
    page.goto(f"{server}/admin/callbacks")
    page.fill("#number", "(11) 98765-4321")
    page.select_option("#line", "erp")
    page.click("button:has-text('Agendar')")
    page.wait_for_selector(".flash.ok:has-text('Retorno agendado')")
    shot("callback-booked")
    page.click("button:has-text('Cancelar o retorno')")
    page.wait_for_selector("#status:has-text('cancelado')")
    shot("callback-cancelled")

    # a ticket found by its protocol
    protocol = open_ticket_row(database_url)
    page.goto(f"{server}/admin/tickets")
    page.fill("#q", protocol)
    page.click("button:has-text('Buscar')")
    page.click(f"a:text-is('{protocol}')")
    page.wait_for_selector(f"h1:has-text('Chamado {protocol}')")
    shot("ticket")

    page.goto(f"{server}/admin/")
    shot("dashboard")
    page.close()
