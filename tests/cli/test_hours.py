"""``ivr hours …``: check, calendar, close, reopen and closures, through click's CliRunner."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from click.testing import CliRunner

from ivr.cli.hours import hours

MENU = """
start: atendente
lines:
  erp: {name: ERP, queue: suporte-erp, schedule: padrao}
  pdv: {name: PDV, queue: suporte-pdv, schedule: corrido}
schedules:
  padrao:
    week: {seg-sex: ["09:00-11:45", "13:30-17:30"]}
    holidays: {country: BR, subdivision: SP}
    closures:
      - {start: 2027-01-04, end: 2027-01-08, reason: "Férias coletivas; equipe reduzida"}
  corrido:
    week: {seg-sex: ["09:00-17:30"]}
nodes:
  atendente: {kind: transfer, queue: suporte}
"""


@pytest.fixture
def menus(tmp_path: Path) -> str:
    path = tmp_path / "menus.yaml"
    path.write_text(MENU, encoding="utf-8")
    return str(path)


@pytest.fixture
def run(runner: CliRunner):
    """``ivr hours ARGS…``, its result."""

    def invoke(*args: str):
        return runner.invoke(hours, list(args))

    return invoke


def test_check_json_on_a_holiday(run, menus: str):
    result = run("check", "--at", "2026-11-20T13:00:00Z", "--json", "--menus", menus)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["open"] is False
    assert data["reason"] == "holiday"
    assert data["holiday"] == "Dia Nacional de Zumbi e da Consciência Negra"
    assert data["closes_at"] is None
    assert data["next_open"] == "2026-11-23T09:00:00-03:00"
    assert data["phrase"].startswith("Hoje é feriado")


def test_check_json_open_by_line(run, menus: str):
    result = run(
        "check", "--at", "2026-11-19T12:00-03:00", "--line", "pdv", "--json", "--menus", menus
    )
    data = json.loads(result.stdout)
    assert (data["open"], data["schedule"], data["closes_at"]) == (
        True,
        "corrido",
        "2026-11-19T17:30:00-03:00",
    )
    lunch = json.loads(
        run(
            "check", "--at", "2026-11-19T12:00-03:00", "--line", "erp", "--json", "--menus", menus
        ).stdout
    )
    assert (lunch["open"], lunch["reason"], lunch["holiday"]) == (False, "lunch", None)


def test_check_reads_a_naive_instant_in_the_schedules_zone(run, menus: str):
    result = run("check", "--at", "2026-11-19T09:00", "--menus", menus)
    assert result.exit_code == 0
    assert result.stdout.startswith("2026-11-19T09:00:00-03:00 [padrao] ABERTO")


def test_check_rejects_bad_input(run, menus: str):
    assert run("check", "--at", "amanhã", "--menus", menus).exit_code == 2
    assert run("check", "--line", "nenhuma", "--menus", menus).exit_code == 2
    assert run("check", "--line", "erp", "--schedule", "corrido", "--menus", menus).exit_code == 2


def test_bad_input_is_answered_in_portuguese(run, menus: str):
    line = run("check", "--line", "fisco", "--menus", menus)
    assert "linha desconhecida 'fisco' (conhecidas: erp, pdv)" in line.output
    schedule = run("check", "--schedule", "noturno", "--menus", menus)
    assert "agenda desconhecida 'noturno' (conhecidas: corrido, padrao)" in schedule.output
    both = run("check", "--line", "erp", "--schedule", "corrido", "--menus", menus)
    assert "use --line ou --schedule, não os dois" in both.output


def test_bad_schedules_section_names_the_field(run, tmp_path: Path):
    path = tmp_path / "m.yaml"
    path.write_text('schedules: {x: {week: {seg: ["9-25"]}}}\n', encoding="utf-8")
    result = run("check", "--menus", str(path))
    assert result.exit_code == 1
    assert "m.yaml:1:30: schedules.x.week.seg.0: horário inexistente: 25:00" in result.output


def test_calendar_lists_and_writes_ics(run, menus: str, tmp_path: Path):
    ics = tmp_path / "cal.ics"
    result = run("calendar", "--year", "2027", "--menus", menus, "--ics", str(ics))
    assert result.exit_code == 0, result.output
    assert "04/01/2027 a 08/01/2027  fechado  Férias coletivas; equipe reduzida" in result.stdout
    assert "21/04/2027  feriado  Tiradentes" in result.stdout
    text = ics.read_bytes().decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    # What a calendar application reads from it:
    events = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert len(events) == 12
    assert all(event.get("UID") and event.get("DTSTAMP") for event in events)
    by_summary = {str(event["SUMMARY"]): event for event in events}
    closure = by_summary["Fechado: Férias coletivas; equipe reduzida"]
    assert closure.decoded("DTSTART") == date(2027, 1, 4)
    assert closure.decoded("DTEND") == date(2027, 1, 9)  # the 8th included
    assert by_summary["Feriado: Tiradentes"].decoded("DTSTART") == date(2027, 4, 21)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--message", " ", "--for", "1h"], "Escreva a mensagem que quem ligar vai ouvir"),
        (["--message", "Manutenção", "--until", "2020-01-01T10:00"], "já passou"),
    ],
)
def test_close_explains_a_refusal_in_portuguese(runner: CliRunner, cli_env, args, message):
    from ivr.cli import main

    result = runner.invoke(main, ["hours", "close", *args])
    assert result.exit_code == 1
    assert message in result.output
    assert "Nenhum fechamento de emergência" in runner.invoke(main, ["hours", "closures"]).output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--until", "amanhã"], "data e hora inválida: 'amanhã'"),
        (["--for", "99999999h"], "'99999999h' é longo demais"),
        (
            ["--for", "1h", "--schedule", "padra0"],
            "agenda desconhecida 'padra0' (existentes: corrido",
        ),
        (["--for", "1h", "--until-reopened"], "--until-reopened não combina com --until ou --for"),
    ],
)
def test_close_refuses_bad_values_without_a_traceback(runner: CliRunner, cli_env, args, message):
    from ivr.cli import main

    result = runner.invoke(main, ["hours", "close", "--message", "Manutenção", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Nenhum fechamento de emergência" in runner.invoke(main, ["hours", "closures"]).output


def test_check_reads_the_live_version_when_one_is_published(
    runner: CliRunner, cli_env, tmp_path, monkeypatch
) -> None:
    """After a publish, `ivr hours check` answers with the hours calls now get."""
    import json
    from pathlib import Path

    from ivr.cli import main

    shipped = (Path(__file__).resolve().parents[2] / "menus.yaml").read_text(encoding="utf-8")
    straight = shipped.replace(
        'week: {seg-sex: ["09:00-11:45", "13:30-17:30"]}', 'week: {seg-sex: ["09:00-17:30"]}'
    )
    menu = tmp_path / "sem_almoco.yaml"
    menu.write_text(straight, encoding="utf-8")
    monkeypatch.setenv("IVR_MENUS", str(tmp_path / "missing.yaml"))
    assert runner.invoke(main, ["menus", "publish", str(menu)]).exit_code == 0
    result = runner.invoke(main, ["hours", "check", "--at", "2026-11-24T12:30-03:00", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["open"] is True  # no lunch break in the live version


SHIPPED_MENU = Path(__file__).resolve().parents[2] / "menus.yaml"


def test_calendar_of_the_shipped_line_keeps_sao_paulo_city_holidays(run):
    result = run("calendar", "--year", "2027", "--menus", str(SHIPPED_MENU))
    assert result.exit_code == 0, result.output
    assert "25/01/2027  feriado  Aniversário da Cidade de São Paulo" in result.stdout
    assert "27/05/2027  feriado  Corpus Christi" in result.stdout


def test_calendar_marks_each_optional_day_open_or_closed(run):
    """A supervisor sees Carnaval, Cinzas, 28/10, 24/12 and 31/12 and what the line does."""
    result = run("calendar", "--year", "2026", "--menus", str(SHIPPED_MENU))
    assert result.exit_code == 0, result.output
    optional = result.stdout.split("Pontos facultativos", 1)[1].splitlines()[1:]
    rows = [" ".join(line.split()) for line in optional if line.strip()]
    assert rows == [
        "16/02/2026 Carnaval aberto",
        "17/02/2026 Carnaval aberto",
        "18/02/2026 Quarta-feira de Cinzas aberto",
        "04/06/2026 Corpus Christi fechado (feriado)",
        "28/10/2026 Dia do Servidor Público aberto",
        "24/12/2026 Véspera de Natal aberto só das 9h às 11h45",
        "31/12/2026 Véspera de Ano-Novo aberto só das 9h às 11h45",
    ]


@pytest.mark.parametrize(
    "form",
    [
        "2026-12-24T14:00",
        "2026-12-24 14:00",
        "2026-12-24T14:00:00",
        "2026-12-24T17:00Z",
        "2026-12-24T14:00-03:00",
    ],
)
def test_every_command_reads_at_the_same_way(form: str):
    """A time without an offset is the line's local time (São Paulo), in every command."""
    import click

    from ivr.cli import main
    from ivr.cli.params import Instant

    def options(command: click.Command, path: str):
        for param in command.params:
            if isinstance(param.type, Instant):
                yield f"{path} {param.opts[0]}", param
        for name, sub in getattr(command, "commands", {}).items():
            yield from options(sub, f"{path} {name}")

    found = dict(options(main, "ivr"))
    assert {"ivr call --at", "ivr hours check --at", "ivr hours close --until"} <= set(found)
    expected = datetime(2026, 12, 24, 17, 0, tzinfo=UTC)
    for where, option in found.items():
        value = option.type.convert(form, option, None)
        if value.tzinfo is None:  # `hours check` places it in the schedule's zone
            assert where == "ivr hours check --at"
            value = value.replace(tzinfo=ZoneInfo("America/Sao_Paulo"))
        assert value == expected, (where, form)


def test_check_at_a_time_without_offset(run, menus: str):
    result = run("check", "--at", "2026-12-24 14:00", "--menus", menus)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("2026-12-24T14:00:00-03:00 [padrao] ABERTO")


@pytest.fixture
def supervisor(runner: CliRunner, cli_env) -> CliRunner:
    """`ivr` on a scratch database, with the shipped menu."""
    return runner


def test_close_says_until_when_in_sao_paulo_time_and_its_number(supervisor: CliRunner):
    from ivr.cli import main

    closed = supervisor.invoke(
        main,
        ["hours", "close", "--message", "Estamos em manutenção.", "--until", "2027-03-02T14:30"],
    )
    assert closed.exit_code == 0, closed.output
    assert closed.output.startswith(
        "Fechamento nº 1 (agendas: todas): atendimento fechado até "
        "terça-feira, 02/03/2027, às 14h30 (horário de São Paulo)."
    )
    assert "Quem ligar agora ouve: «Estamos em manutenção. Nosso atendimento volta" in closed.output
    utc = supervisor.invoke(
        main, ["hours", "close", "--message", "Sem energia.", "--until", "2027-03-02T20:00Z"]
    )
    assert "fechado até terça-feira, 02/03/2027, às 17h (horário" in utc.output


def test_a_closure_without_an_end_asks_first(supervisor: CliRunner):
    from ivr.cli import main

    refused = supervisor.invoke(main, ["hours", "close", "--message", "Fechado."], input="n\n")
    assert refused.exit_code == 1
    assert "Fechar o atendimento sem hora para reabrir?" in refused.output
    assert (
        "Nenhum fechamento de emergência" in supervisor.invoke(main, ["hours", "closures"]).output
    )
    confirmed = supervisor.invoke(main, ["hours", "close", "--message", "Fechado."], input="s\n")
    assert confirmed.exit_code == 0, confirmed.output
    assert "até ser reaberto (`ivr hours reopen 1`)" in confirmed.output
    flagged = supervisor.invoke(
        main, ["hours", "close", "--message", "Fechado de novo.", "--until-reopened"]
    )
    assert flagged.exit_code == 0 and "sem hora" not in flagged.output
    assert "Fechamento nº 2" in flagged.output


def test_reopen_ends_one_closure_by_its_number(supervisor: CliRunner):
    from ivr.cli import main

    for message in ("Manutenção.", "Sem energia."):
        supervisor.invoke(main, ["hours", "close", "--message", message, "--for", "2h"])
    listed = supervisor.invoke(main, ["hours", "closures"]).output.splitlines()
    assert listed[0].split() == ["nº", "início", "fim", "agendas", "mensagem"]
    assert [line.split()[0] for line in listed[1:]] == ["1", "2"]
    assert listed[1].endswith("todas       Manutenção.")

    assert (
        supervisor.invoke(main, ["hours", "reopen", "1"]).output == "Fechamento nº 1 encerrado.\n"
    )
    listed = supervisor.invoke(main, ["hours", "closures"]).output.splitlines()
    assert [line.split()[0] for line in listed[1:]] == ["2"]
    again = supervisor.invoke(main, ["hours", "reopen", "1"])
    assert again.exit_code == 1
    assert "não há fechamento nº 1 em vigor ou programado" in again.output
    assert supervisor.invoke(main, ["hours", "reopen"]).output == "1 fechamento encerrado.\n"
