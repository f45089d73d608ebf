"""An in-process ``ivr call`` hears what a caller hears now: closures, drafts."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.cli import main
from ivr.menus.loader import load_menu
from ivr.storage import closures, menu_versions
from ivr.storage.db import open_session

SHIPPED = (Path(__file__).parents[2] / "menus.yaml").read_text(encoding="utf-8")
GREETING = "Olá! Você ligou para o suporte da Atlas Sistemas."
DRAFT_GREETING = "Olá! Este é o menu novo da Atlas Sistemas."
TESTER = "+5511911112222"
TUESDAY_10H = datetime.fromisoformat("2026-11-24T10:00-03:00")
OUTAGE = "Estamos com uma instabilidade no sistema e voltamos em breve."


@pytest.fixture
def live_database(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """The shipped menu live, a draft for TESTER, and an emergency closure that morning."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IVR_DATABASE_URL", database_url)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "live-state-token")
    with open_session(database_url, write=True) as session:
        menu_versions.publish(session, SHIPPED, "ana", TUESDAY_10H, validate=load_menu)
        draft = SHIPPED.replace(GREETING, DRAFT_GREETING)
        menu_versions.publish_draft(
            session, draft, "ana", TUESDAY_10H, [TESTER], validate=load_menu
        )
        start = TUESDAY_10H - timedelta(hours=1)
        closures.close(session, OUTAGE, start, start + timedelta(hours=3), "ana", now=start)
        session.commit()
    return database_url


@pytest.fixture
def call(runner: CliRunner):
    """``ivr call --json --digits 0 ARGS…``: the transcript."""

    def invoke(*args: str) -> dict:
        result = runner.invoke(main, ["call", "--json", "--digits", "0", *args])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    return invoke


def test_a_call_during_an_emergency_closure_hears_it(call, live_database: str) -> None:
    during = call("--at", TUESDAY_10H.isoformat())
    assert any(OUTAGE in text for text in during["heard"]), during["heard"]
    assert during["ended"] != "transferred"
    assert during["emergency_closures"] == [OUTAGE]
    after = call("--at", (TUESDAY_10H + timedelta(hours=3)).isoformat())
    assert not any(OUTAGE in text for text in after["heard"])
    assert after["emergency_closures"] == []


def test_a_test_number_hears_the_draft_and_everyone_else_the_live_version(
    call,
    live_database: str,
) -> None:
    tester = call("--from", "(11) 91111-2222")
    assert tester["heard"][0].startswith(DRAFT_GREETING)
    assert tester["menu"].startswith("rascunho (versão 2)")
    anyone = call("--from", "+5511987654321")
    assert anyone["heard"][0].startswith(GREETING)
    assert anyone["menu"] == "versão publicada 1"


def test_the_transcript_says_which_version_it_plays(runner: CliRunner, live_database: str) -> None:
    result = runner.invoke(
        main, ["call", "--digits", "0", "--from", TESTER, "--at", TUESDAY_10H.isoformat()]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"menu: rascunho (versão 2), para o número de teste {TESTER}"
    assert lines[1] == f"fechamento de emergência em vigor: {OUTAGE}"


def test_a_tried_file_is_heard_by_every_caller_with_the_closures_in_force(
    call, live_database: str, tmp_path: Path
) -> None:
    tried = tmp_path / "novo.yaml"
    tried.write_text(SHIPPED.replace(GREETING, "Olá! Menu em teste."), encoding="utf-8")
    heard = call("--menu", str(tried), "--from", TESTER, "--at", TUESDAY_10H.isoformat())
    assert heard["heard"][0].startswith("Olá! Menu em teste.")
    assert any(OUTAGE in text for text in heard["heard"])


def test_speech_with_spaces_is_given_in_quotes(
    runner: CliRunner, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IVR_DATABASE_URL", f"sqlite:///{tmp_path}/ivr.db")
    monkeypatch.setenv("IVR_MENUS", str(Path(__file__).parents[2] / "menus.yaml"))
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "speech-token")
    result = runner.invoke(
        main,
        [
            "call",
            "--json",
            "--at",
            "2026-11-24T15:10-03:00",
            "--digits",
            '"s:faturamento parado"',
        ],
    )
    assert result.exit_code == 0, result.output
    transcript = json.loads(result.output)
    assert {"speech": "faturamento parado"} in [turn["answer"] for turn in transcript["turns"]]
    assert transcript["transferred_to"] == "queue:suporte-urgente"
    unclosed = runner.invoke(main, ["call", "--digits", '1 "s:faturamento parado'])
    assert unclosed.exit_code == 2 and "feche as aspas" in unclosed.output
