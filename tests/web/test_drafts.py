"""A draft menu is heard by its test numbers only, until it is promoted."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ivr.app import close_app, create_app
from ivr.menus.loader import load_menu
from ivr.simulator import Answer, InProcess, Phone
from ivr.storage import menu_versions
from ivr.storage.db import open_session
from tests.web.conftest import AUTH_TOKEN, OPEN_INSTANT, SHIPPED_MENU, publish_text

TESTER = "+5511911112222"
DRAFT_GREETING = "Olá! Esta é a nova versão do atendimento da Atlas Sistemas."


def draft_text() -> str:
    text = SHIPPED_MENU.read_text(encoding="utf-8")
    return text.replace("Olá! Você ligou para o suporte da Atlas Sistemas.", DRAFT_GREETING)


def test_draft_is_heard_by_the_test_number_only_then_promoted(settings, clock):
    publish_text(settings.database_url, SHIPPED_MENU.read_text(encoding="utf-8"))
    app = create_app(settings, clock=clock, menu_refresh_seconds=0)
    try:
        with open_session(settings.database_url, write=True) as session:
            menu_versions.publish_draft(
                session,
                draft_text(),
                "supervisora",
                OPEN_INSTANT,
                [TESTER],
                validate=load_menu,
            )
            session.commit()

        def first_words(caller: str) -> str:
            phone = Phone(InProcess(app), AUTH_TOKEN, caller=caller)
            return phone.call([Answer.parse("0")]).heard[0]

        assert first_words(TESTER).startswith(DRAFT_GREETING)
        assert first_words("+5511987654321").startswith("Olá! Você ligou")

        with open_session(settings.database_url, write=True) as session:
            live = menu_versions.promote(session, "supervisora", OPEN_INSTANT)
            session.commit()
            assert menu_versions.latest(session).id == live.id
            assert menu_versions.current_draft(session) is None
        assert first_words("+5511987654321").startswith(DRAFT_GREETING)
    finally:
        close_app(app)


@pytest.fixture
def eager_app(make_app):
    """The app, picking up a new version on the very next call."""
    return make_app(menu_refresh_seconds=0)


def test_a_call_in_progress_keeps_its_version_when_a_new_one_is_published(eager_app, settings):
    phone = Phone(InProcess(eager_app), AUTH_TOKEN)
    first = phone.signed_post("/voice/incoming", phone.base_params("CA" + "5" * 32, "ringing"))
    assert "Olá! Você ligou" in first[2]
    publish_text(settings.database_url, draft_text())
    # the call in progress presses 0 on the menu it heard: still version 1
    step = first[2].split('action="')[1].split('"')[0].replace("&amp;", "&")
    params = phone.base_params("CA" + "5" * 32, "in-progress") | {"Digits": "0"}
    _, status, body = phone.signed_post(step, params)
    assert status == 200 and "s=1." in body
    # a new call hears version 2
    new = phone.call([Answer.parse("0")])
    assert new.heard[0].startswith(DRAFT_GREETING)


def test_cli_publishes_a_draft_for_test_numbers_and_promotes_it(
    runner: CliRunner, tmp_path, monkeypatch
):
    from ivr.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IVR_DATABASE_URL", f"sqlite:///{tmp_path}/ivr.db")
    draft = tmp_path / "rascunho.yaml"
    draft.write_text(draft_text(), encoding="utf-8")
    assert runner.invoke(main, ["menus", "publish", str(SHIPPED_MENU)]).exit_code == 0
    refused = runner.invoke(main, ["menus", "publish", str(draft), "--draft"])
    assert refused.exit_code != 0 and "--test-number" in refused.output
    bad = runner.invoke(main, ["menus", "publish", str(draft), "--draft", "--test-number", "12345"])
    assert bad.exit_code != 0 and "número de telefone inválido" in bad.output
    made = runner.invoke(
        main, ["menus", "publish", str(draft), "--draft", "--test-number", "(11) 91111-2222"]
    )
    assert made.exit_code == 0, made.output
    assert f"para {TESTER}" in made.output
    assert "[rascunho]" in runner.invoke(main, ["menus", "versions"]).output
    promoted = runner.invoke(main, ["menus", "promote"])
    assert promoted.exit_code == 0 and "a versão 3 está no ar" in promoted.output
    assert DRAFT_GREETING in runner.invoke(main, ["menus", "export"]).output
    assert runner.invoke(main, ["menus", "promote"]).exit_code == 1  # nothing left to promote


def test_cli_refuses_to_publish_a_file_that_is_not_utf8(runner: CliRunner, tmp_path, monkeypatch):
    from ivr.cli import main

    monkeypatch.setenv("IVR_DATABASE_URL", f"sqlite:///{tmp_path}/ivr.db")
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(draft_text().encode("latin-1"))
    assert runner.invoke(main, ["menus", "publish", str(SHIPPED_MENU)]).exit_code == 0
    refused = runner.invoke(main, ["menus", "publish", str(latin1)])
    assert refused.exit_code == 1
    assert refused.output.startswith(f"{latin1}:") and "não está em UTF-8" in refused.output
    live = runner.invoke(main, ["menus", "export"]).output
    assert live == SHIPPED_MENU.read_text(encoding="utf-8")
