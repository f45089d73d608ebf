"""Prompt templates: variables filled per call, mistakes refused at load."""

from __future__ import annotations

import pytest

from ivr.menus.prompts import parse_prompt, spoken_number


@pytest.mark.parametrize(
    ("number", "spoken"),
    [
        ("+5511987654321", "1 1, 9 8 7 6 5, 4 3 2 1"),
        ("+551133334444", "1 1, 3 3 3 3, 4 4 4 4"),
        ("+14155550100", "4 1 5, 5 5 5, 0 1 0 0"),
        ("", ""),
        ("anonymous", ""),
    ],
)
def test_the_callers_number_is_read_digit_by_digit(number: str, spoken: str) -> None:
    assert spoken_number(number) == spoken


def test_a_prompt_fills_only_the_variables_it_uses() -> None:
    asked: list[str] = []

    def value_of(name: str) -> str:
        asked.append(name)
        return "Fiscal"

    prompt = parse_prompt("Linha {linha}. Use {{chaves}}.")
    assert prompt.render(value_of) == "Linha Fiscal. Use {chaves}."
    assert asked == ["linha"]
    assert parse_prompt("Sem variáveis.").render(value_of) == "Sem variáveis."
    assert asked == ["linha"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "texto vazio"),
        ("   ", "texto vazio"),
        ("Olá {nome}", "variável desconhecida {nome}"),
        ("Olá {}", "variável desconhecida {}"),
        ("Abre { e não fecha", "malformadas"),
        ("{linha!r}", "não aceita formatação"),
        (42, "deve ser texto"),
    ],
)
def test_bad_prompts_are_refused_with_a_reason(text: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason.replace("{", r"\{").replace("}", r"\}")):
        parse_prompt(text)
