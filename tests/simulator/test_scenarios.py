"""The shipped scenarios, ivr menus test and ivr call --json agree with each other."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ivr.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios.yaml"


@pytest.fixture
def runner(runner: CliRunner, tmp_path, monkeypatch) -> CliRunner:
    """Commands run in an empty folder with a scratch database and a known token."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IVR_DATABASE_URL", f"sqlite:///{tmp_path}/ivr.db")
    monkeypatch.setenv("IVR_MENUS", str(ROOT / "menus.yaml"))
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "scenario-test-token")
    return runner


def test_shipped_scenarios_pass(runner):
    result = runner.invoke(main, ["menus", "test", str(SCENARIOS)])
    assert result.exit_code == 0, result.output
    count = len(yaml.safe_load(SCENARIOS.read_text())["scenarios"])
    assert f"{count} passaram, 0 falharam" in result.output


def test_scenarios_pass_behind_a_public_url(runner, tmp_path, monkeypatch):
    """With IVR_PUBLIC_URL set (production), the requests are signed for that URL."""
    monkeypatch.setenv("IVR_PUBLIC_URL", "https://ivr.example.com.br")
    one = tmp_path / "one.yaml"
    scenarios = yaml.safe_load(SCENARIOS.read_text())["scenarios"]
    one.write_text(yaml.safe_dump({"scenarios": scenarios[:2]}, allow_unicode=True))
    result = runner.invoke(main, ["menus", "test", str(one)])
    assert result.exit_code == 0, result.output
    assert "2 passaram, 0 falharam" in result.output


def test_a_wrong_scenario_fails_with_a_readable_difference(runner, tmp_path):
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(
        """scenarios:
  - name: o ERP deveria ir para a fila fiscal
    at: 2026-11-24T10:00:00-03:00
    keys: "2 1 1"
    expect:
      hears: [Você escolheu Fiscal]
      transferred_to: queue:suporte-fiscal
"""
    )
    result = runner.invoke(main, ["menus", "test", str(wrong)])
    assert result.exit_code == 1
    assert "FALHOU o ERP deveria ir para a fila fiscal" in result.output
    assert "deveria ouvir 'Você escolheu Fiscal'" in result.output
    assert (
        "deveria transferir para 'queue:suporte-fiscal', transferiu para 'queue:suporte-erp'"
        in result.output
    )
    assert "0 passaram, 1 falhou" in result.output


def test_a_scenario_file_with_an_unknown_field_is_refused(runner, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "scenarios:\n  - name: x\n    at: 2026-11-24T10:00:00-03:00\n    tecla: '1'\n"
        "    expect: {}\n"
    )
    result = runner.invoke(main, ["menus", "test", str(bad)])
    assert result.exit_code == 1
    assert "tecla" in result.output


def standalone_scenarios() -> list[dict]:
    """Scenarios that a single call reproduces: not the ones continuing an earlier
    caller's story (the same ``from``: they hear the tickets that caller left)."""
    seen: set[str] = set()
    alone = []
    for scenario in yaml.safe_load(SCENARIOS.read_text())["scenarios"]:
        caller = scenario.get("from")
        if caller is None or caller not in seen:
            alone.append(scenario)
        if caller is not None:
            seen.add(caller)
    return alone


@pytest.mark.parametrize("scenario", standalone_scenarios(), ids=lambda s: s["name"])
def test_ivr_call_json_reproduces_each_scenario(runner, scenario):
    keys = scenario.get("keys", "")
    args = ["call", "--json", "--at", scenario["at"].isoformat(), "--digits", keys]
    if "from" in scenario:
        args += ["--from", scenario["from"]]
    if not scenario.get("agents_answer", True):
        args.append("--no-answer")
    for option in ("queue_position", "agent_after"):
        if option in scenario:
            args += [f"--{option.replace('_', '-')}", str(scenario[option])]
    if scenario.get("replay"):
        args.append("--replay")
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    transcript = json.loads(result.output[result.output.index("{") :])
    expect = scenario["expect"]
    heard = " | ".join(transcript["heard"])
    for phrase in expect.get("hears", []):
        assert phrase in heard
    if "ends" in expect:
        assert transcript["ended"] == expect["ends"]
    if "transferred_to" in expect:
        assert transcript["transferred_to"] == expect["transferred_to"]
    assert all(turn["status"] == 200 for turn in transcript["turns"])


def test_ivr_call_waits_in_a_queue_that_moves_then_rates_the_agent(runner):
    args = ["call", "--json", "--at", "2026-11-24T10:00-03:00", "--digits", "2 1 1 s:nota_quatro"]
    args += ["--queue-position", "3", "--agent-after", "3", "--replay"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    transcript = json.loads(result.output[result.output.index("{") :])
    waits = [turn for turn in transcript["turns"] if turn["url"].startswith("/voice/wait")]
    assert [turn["params"]["QueuePosition"] for turn in waits] == ["3", "2", "1"]
    assert [turn["params"]["QueueTime"] for turn in waits] == ["0", "40", "80"]
    assert [turn["heard"][0].split(".")[0] for turn in waits] == [
        "Você é o terceiro da fila",
        "Você é o segundo da fila",
        "Você é o próximo da fila",
    ]
    after = transcript["heard"][
        transcript["heard"].index("[o atendente atende, conversa e desliga]") :
    ]
    assert "que nota você dá" in after[1]
    assert "conte em poucas palavras" in after[2]
    rating = [t for t in transcript["turns"] if t["params"].get("SpeechResult") == "nota quatro"]
    assert [turn["replayed"] for turn in rating] == [True]  # posted twice, answered the same
    assert transcript["ended"] == "transferred"


def test_ivr_call_help_documents_the_queue_options(runner):
    result = runner.invoke(main, ["call", "--help"])
    assert result.exit_code == 0
    for option in ("--queue-position", "--agent-after", "--replay"):
        assert option in result.output


@pytest.mark.parametrize("command", [["call", "--digits", "1"], ["menus", "test", str(SCENARIOS)]])
def test_a_broken_menu_file_is_reported_under_its_own_name(runner, tmp_path, command):
    broken = tmp_path / "quebrado.yaml"
    text = (ROOT / "menus.yaml").read_text(encoding="utf-8")
    broken.write_text(text.replace("next: produtos,", "next: produtoz,"), encoding="utf-8")
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(text.encode("latin-1"))
    for path, message in ((broken, "nó desconhecido 'produtoz'"), (latin1, "não está em UTF-8")):
        result = runner.invoke(main, [*command, "--menu", str(path)])
        assert result.exit_code == 1
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit
        )
        assert f"{path}:" in result.output and message in result.output
        assert "menus.yaml:" not in result.output


def test_call_with_a_bad_instant_or_an_unreachable_server_is_a_usage_message(runner):
    bad_at = runner.invoke(main, ["call", "--digits", "1", "--at", "amanhã às 10h"])
    assert bad_at.exit_code == 2
    assert "data e hora inválida: 'amanhã às 10h'" in bad_at.output
    nowhere = runner.invoke(main, ["call", "--digits", "1", "--url", "http://127.0.0.1:9"])
    assert nowhere.exit_code == 1
    assert not isinstance(nowhere.exception, Exception) or isinstance(nowhere.exception, SystemExit)
    assert "não foi possível ligar para http://127.0.0.1:9" in nowhere.output


def test_call_at_a_time_without_offset_is_sao_paulo_time(runner):
    """`--at 2026-12-24T14:00` is 14h on the line's clock, as in `ivr hours check`."""
    result = runner.invoke(main, ["call", "--digits", "0", "--at", "2026-12-24T14:00"])
    assert result.exit_code == 0, result.output
    assert "Hoje, véspera de Natal, nosso atendimento foi só até o meio-dia." in result.output


def test_a_scenario_at_a_time_without_offset_is_sao_paulo_time(runner, tmp_path):
    """`at: 2026-12-24T14:00` means 14h on the line's clock, as `ivr call --at` does."""
    scenarios = tmp_path / "cenarios.yaml"
    scenarios.write_text(
        """\
scenarios:
  - name: Véspera de Natal à tarde, sem fuso
    at: 2026-12-24T14:00:00
    keys: "2"
    expect:
      hears: ["Hoje, véspera de Natal, nosso atendimento foi só até o meio-dia."]
""",
        encoding="utf-8",
    )
    menu = str(ROOT / "menus.yaml")
    result = runner.invoke(main, ["menus", "test", str(scenarios), "--menu", menu])
    assert result.exit_code == 0, result.output
    assert "1 passou, 0 falharam" in result.output
