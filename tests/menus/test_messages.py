"""What a supervisor reads about a broken menu: one problem per mistake, in pt-BR."""

from __future__ import annotations

from pathlib import Path

from ivr.menus.loader import check_menu

SHIPPED = (Path(__file__).parents[2] / "menus.yaml").read_text(encoding="utf-8")


def _line_of(text: str, needle: str) -> int:
    return next(i for i, row in enumerate(text.splitlines(), 1) if needle in row)


def test_one_typo_in_a_target_is_one_problem_with_a_suggestion() -> None:
    """Everything behind the misspelt edge would look unreachable: say only the typo."""
    text = SHIPPED.replace("    next: expediente\n", "    next: expedientee\n", 1)
    line = _line_of(text, "next: expedientee")
    assert [str(p) for p in check_menu(text, "menus.yaml")] == [
        f"menus.yaml:{line}:11: nodes.boas_vindas.next: nó desconhecido 'expedientee' "
        "(você quis dizer 'expediente'?)"
    ]


def test_principall_is_one_problem_that_suggests_principal() -> None:
    """The issue's own example: the main menu misspelt where the call is sent to it."""
    text = SHIPPED.replace(": principal\n", ": principall\n", 1)
    [problem] = check_menu(text, "menus.yaml")
    assert problem.line == _line_of(text, ": principall")
    assert problem.message == "nó desconhecido 'principall' (você quis dizer 'principal'?)"


def test_a_misspelt_start_is_one_problem_too() -> None:
    text = SHIPPED.replace("start: boas_vindas", "start: boas_vinda", 1)
    assert [str(p) for p in check_menu(text, "menus.yaml")] == [
        "menus.yaml:4:8: start: o nó inicial 'boas_vinda' não existe "
        "(você quis dizer 'boas_vindas'?)"
    ]


def test_an_impossible_date_in_shared_closures_is_one_plain_problem_at_its_line() -> None:
    """The closures are shared by two schedules through a YAML anchor: still one message."""
    text = SHIPPED.replace("2026-12-24", "2027-02-30", 1)
    line = _line_of(text, "2027-02-30")
    [problem] = check_menu(text, "menus.yaml")
    assert (problem.line, problem.severity) == (line, "error")
    assert problem.message == "data inexistente: 2027-02-30 (fevereiro de 2027 tem 28 dias)"


def test_a_month_that_does_not_exist_is_named() -> None:
    text = SHIPPED.replace("2026-12-24", "2027-13-01", 1)
    [problem] = check_menu(text, "menus.yaml")
    assert problem.message == "data inexistente: 2027-13-01 (não existe o mês 13)"


def test_a_bad_shift_in_shared_closures_is_reported_once() -> None:
    text = SHIPPED.replace(
        'hours: ["12:00-24:00"], reason: Véspera de Natal',
        'hours: ["12:00-25:00"], reason: Véspera de Natal',
    )
    [problem] = check_menu(text, "menus.yaml")
    assert problem.line == _line_of(text, "12:00-25:00")
    assert problem.message == "horário inexistente: 25:00"


def test_pydantic_s_own_wording_never_reaches_the_supervisor() -> None:
    broken = (
        SHIPPED.replace("timeout: 6", "timeout: 600", 1)
        .replace("retries: 3", "retries: muitas", 1)
        .replace("max_length: 120", "max_length: [120]", 1)
    )
    messages = [p.message for p in check_menu(broken, "menus.yaml")]
    assert messages == [
        "deve ser no máximo 60 (encontrado: 600)",
        "esperava um número inteiro (encontrado: 'muitas')",
        "esperava um número inteiro (encontrado: uma lista)",
    ]
