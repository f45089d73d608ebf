"""Lint beyond the schema: what a caller would stumble on, each with its line."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.cli.menus import menus
from ivr.menus.announcements import CHARACTERS_PER_SECOND, announced_keys, speaking_seconds
from ivr.menus.loader import check_menu, load_menu
from ivr.menus.prompts import parse_prompt

SHIPPED = Path(__file__).parents[2] / "menus.yaml"


def menu_with(say: str, keys: str = "1 0", extra: str = "") -> str:
    """A one-menu document whose menu ``principal`` (line 4) says ``say`` (line 5)."""
    options = "\n".join(f'      "{key}": {{next: atendente}}' for key in keys.split())
    return textwrap.dedent(
        """\
        start: principal
        nodes:
          principal:
            kind: menu
            say: {say}
            options:
        {options}
            after_retries: atendente
        {extra}
          atendente:
            kind: transfer
            queue: suporte-geral
        """
    ).format(say=json.dumps(say, ensure_ascii=False), options=options, extra=extra)


def shown(text: str) -> list[str]:
    return [str(p) for p in check_menu(text, "m.yaml")]


# ---------------------------------------------------------------------------- announced keys


@pytest.mark.parametrize(
    ("say", "words", "key"),
    [
        ("Para o fiscal, digite 1. Para o estoque, digite 3. Senão, digite 0.", "digite 3", "3"),
        ("Fiscal: tecle 1. Para voltar, tecle asterisco. Senão, tecle 0.", "tecle asterisco", "*"),
        (
            "Pressione um para o fiscal ou pressione zero. Para repetir, pressione sustenido.",
            "pressione sustenido",
            "#",
        ),
        ("Disque 1 ou 0. Para ouvir de novo, disque jogo da velha.", "disque jogo da velha", "#"),
        ("Digite um ou zero. Para estoque, digite três.", "digite três", "3"),
        ("Digite 1, 0 ou 7.", "Digite 1, 0 ou 7", "7"),
        ("Digite 1. Para voltar, digite estrela. Atendente: digite zero.", "digite estrela", "*"),
    ],
)
def test_a_prompt_announcing_a_key_the_menu_lacks_warns_on_its_line(
    say: str, words: str, key: str
) -> None:
    assert shown(menu_with(say)) == [
        f"m.yaml:5:10: nodes.principal.say: aviso: o texto diz {words!r}, "
        f"mas o menu não tem a opção {key!r}"
    ]


def test_the_missing_key_is_reported_once_per_prompt() -> None:
    problems = shown(menu_with("Digite 1. Ou digite 5. Repito: digite 5. Atendente, digite 0."))
    assert len(problems) == 1
    assert "não tem a opção '5'" in problems[0]


def test_a_retry_message_announcing_a_missing_key_warns_too() -> None:
    text = menu_with("Digite 1 ou 0.", extra="    invalid: Opção inválida. Digite 8 para sair.")
    assert shown(text) == [
        "m.yaml:10:14: nodes.principal.invalid: aviso: o texto diz 'Digite 8', "
        "mas o menu não tem a opção '8'"
    ]


def test_an_option_the_prompt_never_announces_warns_at_its_key() -> None:
    text = menu_with("Para o fiscal, digite 1.", keys="1 0")
    assert shown(text) == [
        "m.yaml:8:7: nodes.principal.options.0: aviso: a opção '0' nunca é anunciada "
        "no texto (say): quem liga não tem como adivinhá-la"
    ]


def test_hash_and_star_options_count_as_announced_when_spelled() -> None:
    text = menu_with(
        "Digite 1. Para voltar, digite asterisco. Para repetir, tecle cerquilha.", keys="1 * #"
    )
    assert shown(text) == []


@pytest.mark.parametrize(
    "say",
    [
        "Diga o nome do produto, por exemplo fiscal ou estoque.",  # speech only
        "Digite um número de opção.",  # "um" is an article here, not key 1
        "Digite o seu CNPJ e aguarde.",
    ],
)
def test_prompts_that_announce_no_key_are_not_checked(say: str) -> None:
    assert shown(menu_with(say, keys="1 2 0")) == []


def test_audio_prompts_are_not_checked() -> None:
    text = menu_with("x", keys="1 2 0").replace("say: x", "play: https://cdn.example.com/menu.mp3")
    assert shown(text) == []


def test_announced_keys_reads_lists_and_keeps_the_words_as_written() -> None:
    prompt = parse_prompt("Para {linha}, disque três, 4 ou meia. Tecle o número nove e aguarde.")
    assert announced_keys(prompt) == [
        ("3", "disque três, 4 ou meia"),
        ("4", "disque três, 4 ou meia"),
        ("6", "disque três, 4 ou meia"),
        ("9", "Tecle o número nove"),
    ]


def test_keys_are_never_read_in_variables() -> None:
    assert announced_keys(parse_prompt("{numero}")) == []


# ---------------------------------------------------------------------------- length, options


def test_a_prompt_over_twenty_seconds_warns_with_its_estimate() -> None:
    sentence = "Para o módulo de obrigações acessórias e escrituração fiscal digital, digite 1. "
    say = sentence * 3 + "Para falar com um de nossos atendentes, digite 0."
    seconds = len(say) / CHARACTERS_PER_SECOND
    assert 20 < seconds < 21
    assert shown(menu_with(say)) == [
        "m.yaml:5:10: nodes.principal.say: aviso: o texto leva cerca de 21 s para ser falado "
        "(mais de 20 s a 14 caracteres/s): quem liga esquece as primeiras opções; encurte o "
        "texto ou divida o menu"
    ]


def test_a_prompt_just_under_twenty_seconds_is_fine() -> None:
    say = "Para o fiscal, digite 1. " + "x" * 200 + ". Para falar com um atendente, digite 0."
    assert len(say) / CHARACTERS_PER_SECOND < 20
    assert shown(menu_with(say)) == []


def test_speaking_time_counts_variables_as_typical_values() -> None:
    short = speaking_seconds(parse_prompt("Linha {linha}."), ["Fiscal"])
    long = speaking_seconds(parse_prompt("Linha {linha}."), ["Fiscal", "PDV e Frente de Caixa"])
    assert long - short == pytest.approx(len("PDV e Frente de Caixa") / 14 - len("Fiscal") / 14)
    assert speaking_seconds(parse_prompt("{aviso_horario}")) > 3


def test_more_than_five_options_warns() -> None:
    assert shown(menu_with("Digite 1, 2, 3, 4 ou 5.", keys="1 2 3 4 5")) == []
    assert shown(menu_with("Digite 1, 2, 3, 4, 5 ou 0.", keys="1 2 3 4 5 0")) == [
        "m.yaml:6:5: nodes.principal.options: aviso: 6 opções (mais de 5): quem liga "
        "guarda poucas; agrupe algumas em um submenu"
    ]


# ---------------------------------------------------------------------------- errors


DEAD_END = """\
start: principal
nodes:
  principal:
    kind: menu
    say: Para o fiscal, digite 1.
    options:
      "1": {next: fiscal}
    after_retries: fiscal
  fiscal:
    kind: transfer
    queue: suporte-fiscal
    fallback: desculpas
  desculpas:
    kind: message
    say: Ninguém atendeu.
    next: de_novo
  de_novo:
    kind: goto
    next: desculpas
"""


def test_a_dead_end_and_a_loop_with_no_exit_are_errors_on_their_lines() -> None:
    problems = check_menu(DEAD_END, "m.yaml")
    assert [str(p) for p in problems] == [
        "m.yaml:13:3: nodes.desculpas: ciclo sem escolha de quem liga: desculpas -> de_novo -> "
        "desculpas; a ligação nunca sairia dele",
        "m.yaml:13:3: nodes.desculpas: sem saída: deste nó não se chega a nenhuma "
        "transferência, recado ou desligamento",
        "m.yaml:17:3: nodes.de_novo: sem saída: deste nó não se chega a nenhuma "
        "transferência, recado ou desligamento",
    ]
    assert {p.severity for p in problems} == {"error"}


def test_a_menu_that_only_loops_back_to_itself_is_a_dead_end() -> None:
    text = textwrap.dedent(
        """\
        start: principal
        nodes:
          principal:
            kind: menu
            say: Digite 1 para repetir.
            options:
              "1": {next: principal}
            after_retries: principal
        """
    )
    problems = shown(text)
    assert (
        "m.yaml:3:3: nodes.principal: sem saída: deste nó não se chega a nenhuma "
        "transferência, recado ou desligamento" in problems
    )
    assert any("quem ficar em silêncio andaria em círculos para sempre" in p for p in problems)


# ---------------------------------------------------------------------------- shipped, CLI


def test_the_shipped_menu_has_no_warnings() -> None:
    assert check_menu(SHIPPED.read_text(encoding="utf-8"), "menus.yaml") == []


def test_validate_prints_warnings_and_still_succeeds(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(menu_with("Para o fiscal, digite 1. Para sair, digite 8."), encoding="utf-8")
    load_menu(path.read_text(encoding="utf-8"))  # warnings never stop a menu from loading
    result = runner.invoke(menus, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{path}:5:10: nodes.principal.say: aviso: o texto diz 'digite 8', mas o menu "
        "não tem a opção '8'",
        f"{path}:8:7: nodes.principal.options.0: aviso: a opção '0' nunca é anunciada no "
        "texto (say): quem liga não tem como adivinhá-la",
    ]


def test_validate_fails_on_errors(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(DEAD_END, encoding="utf-8")
    result = runner.invoke(menus, ["validate", str(path)])
    assert result.exit_code == 1
    assert f"{path}:17:3: nodes.de_novo: sem saída" in result.output


def test_validate_says_ok_for_the_shipped_menu(runner: CliRunner) -> None:
    result = runner.invoke(menus, ["validate", str(SHIPPED)])
    assert result.exit_code == 0
    assert result.output == f"{SHIPPED}: ok\n"


def test_validate_locates_a_file_that_is_not_utf8(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_bytes(SHIPPED.read_text(encoding="utf-8").encode("latin-1"))
    result = runner.invoke(menus, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    [line] = result.output.splitlines()
    assert line.startswith(f"{path}:") and "não está em UTF-8" in line
