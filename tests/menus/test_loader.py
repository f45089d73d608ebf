"""Loading menu documents: what a supervisor sees when a menu is broken."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from ivr.menus.document import Menu
from ivr.menus.loader import MenuInvalid, MenuProblem, check_menu, load_menu, read_menu_file
from ivr.menus.nodes.menu import MenuNode
from ivr.menus.nodes.transfer import TransferNode

EXAMPLE = (Path(__file__).parent / "example_menu.yaml").read_text(encoding="utf-8")

SMALL = """\
start: principal
lines:
  fiscal: {name: Fiscal, queue: suporte-fiscal}
nodes:
  principal:
    kind: menu
    say: Para o fiscal, digite 1. Para um atendente, digite 0.
    options:
      "1": {next: fiscal, line: fiscal}
      "0": {next: atendente}
    after_retries: atendente
  fiscal:
    kind: transfer
    line: fiscal
    fallback: recado
  atendente:
    kind: transfer
    queue: suporte-geral
    fallback: recado
  recado:
    kind: voicemail
"""


def problems(text: str) -> list[str]:
    return [str(p) for p in check_menu(textwrap.dedent(text), "m.yaml")]


def test_the_example_menu_loads_without_problems() -> None:
    assert check_menu(EXAMPLE) == []
    menu = load_menu(EXAMPLE, "example_menu.yaml")
    assert isinstance(menu, Menu)
    assert menu.start == "boas_vindas"
    assert menu.voice == "Polly.Camila"
    assert menu.language == "pt-BR"
    assert menu.lines["estoque"].name == "Estoque e Expedição"
    assert isinstance(menu.nodes["principal"], MenuNode)
    assert isinstance(menu.nodes["atendimento"], TransferNode)


def test_schedules_are_parsed_into_the_calendar_s_schedules() -> None:
    menu = load_menu(EXAMPLE)
    assert set(menu.schedules) == {"comercial"}
    assert menu.schedules["comercial"].timezone == "America/Sao_Paulo"


def test_a_bad_schedule_is_reported_at_its_line() -> None:
    text = EXAMPLE.replace('"13:30-17:30"]', '"13:30-25:30"]')
    problems = [p for p in check_menu(text, "m.yaml") if p.severity == "error"]
    assert problems, "an impossible time was accepted"
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "25:30" in row)
    assert problems[0].line == line
    assert problems[0].path.startswith("schedules.comercial.week")


def test_a_loaded_menu_cannot_be_changed() -> None:
    menu = load_menu(SMALL)
    with pytest.raises(TypeError):
        menu.nodes["x"] = menu.nodes["principal"]  # type: ignore[index]
    with pytest.raises(ValidationError, match="frozen"):
        menu.nodes["principal"].after_retries = "x"  # type: ignore[misc]


def test_problem_prints_as_file_line_col_path_message() -> None:
    problem = MenuProblem(
        "menus.yaml", 12, 7, "nodes.principal.options.3.next", "nó desconhecido 'x'"
    )
    assert str(problem) == "menus.yaml:12:7: nodes.principal.options.3.next: nó desconhecido 'x'"


def test_invalid_yaml_is_located_by_the_parser() -> None:
    assert problems("start: a\nnodes:\n  a: {kind: hangup\n") == [
        "m.yaml:4:1: YAML inválido: ao ler um mapeamento entre {}: faltou ',' ou '}'"
    ]


@pytest.mark.parametrize("text", ["", "\n\n", "# só comentários\n"])
def test_an_empty_file_is_one_located_error(text: str) -> None:
    [problem] = check_menu(text, "m.yaml")
    assert (problem.line, problem.col) == (1, 1)
    assert "documento vazio" in problem.message


def test_a_document_that_is_not_a_mapping_is_rejected() -> None:
    assert problems("- inicio\n- fim\n") == [
        "m.yaml:1:1: um documento de menu deve ser um mapeamento com 'start', 'lines' e 'nodes'"
    ]


def test_an_unknown_target_names_the_option_and_suggests_a_node() -> None:
    text = SMALL.replace('"0": {next: atendente}', '"0": {next: atendentes}')
    assert problems(text) == [
        "m.yaml:10:19: nodes.principal.options.0.next: nó desconhecido 'atendentes' "
        "(você quis dizer 'atendente'?)"
    ]


def test_an_unreachable_node_is_reported_at_its_name() -> None:
    text = SMALL + "  esquecido:\n    kind: hangup\n"
    assert problems(text) == [
        "m.yaml:22:3: nodes.esquecido: nó inalcançável: nenhum caminho leva até ele a partir "
        "do início 'principal'"
    ]


def test_a_loop_without_input_has_no_exit() -> None:
    text = """\
        start: a
        nodes:
          a: {kind: message, say: Olá, next: b}
          b: {kind: goto, next: a}
        """
    found = problems(text)
    assert (
        "m.yaml:3:3: nodes.a: ciclo sem escolha de quem liga: a -> b -> a; a ligação nunca "
        "sairia dele" in found
    )
    assert (
        "m.yaml:3:3: nodes.a: sem saída: deste nó não se chega a nenhuma transferência, "
        "recado ou desligamento"
    ) in found
    assert any("nenhum caminho até um atendente" in p for p in found)


def test_a_silent_caller_must_not_go_round_forever() -> None:
    text = SMALL.replace("fallback: recado\n  atendente", "fallback: principal\n  atendente")
    text = text.replace("after_retries: atendente", "after_retries: fiscal")
    assert problems(text) == [
        "m.yaml:5:3: nodes.principal: quem ficar em silêncio andaria em círculos para sempre: "
        "principal -> fiscal -> principal; mande after_retries / fallback para uma "
        "transferência, um recado ou um desligamento"
    ]


def test_a_menu_without_a_way_to_a_person_is_rejected() -> None:
    text = """\
        start: m
        nodes:
          m:
            kind: menu
            say: Digite 1 para ouvir o recado.
            options: {"1": {next: fim}}
            after_retries: fim
          fim: {kind: hangup, say: Tchau.}
        """
    assert problems(text) == [
        "m.yaml:6:14: nodes.m.options: nenhuma opção leva a um atendente: "
        "inclua uma opção que chegue a uma transferência"
    ]


def test_duplicate_keys_are_reported_with_the_first_place() -> None:
    text = SMALL.replace(
        '      "0": {next: atendente}', "      \"0\": {next: atendente}\n      '0': {next: fiscal}"
    )
    text += "start: principal\n"
    assert problems(text) == [
        "m.yaml:11:7: nodes.principal.options.0: chave '0' repetida (já definida na linha 10)",
        "m.yaml:23:1: start: chave 'start' repetida (já definida na linha 1)",
    ]


def test_unknown_kind_and_unknown_field_are_located() -> None:
    text = SMALL.replace("    kind: voicemail\n", "    kind: voicemial\n") + ""
    text = text.replace(
        "    after_retries: atendente\n", "    after_retries: atendente\n    retris: 2\n"
    )
    assert problems(text) == [
        "m.yaml:12:5: nodes.principal.retris: campo desconhecido 'retris' "
        "(você quis dizer 'retries'?)",
        "m.yaml:22:11: nodes.recado.kind: tipo de nó desconhecido 'voicemial' (você quis dizer "
        "'voicemail'? tipos: menu, message, transfer, voicemail, hours, goto, hangup, "
        "ticket_status, callback, survey)",
    ]


def test_missing_required_field_points_at_the_node() -> None:
    text = SMALL.replace("    after_retries: atendente\n", "")
    assert problems(text) == [
        "m.yaml:6:5: nodes.principal.after_retries: falta o campo obrigatório 'after_retries'"
    ]


def test_prompts_must_say_something_and_use_known_variables() -> None:
    text = SMALL.replace(
        "say: Para o fiscal, digite 1. Para um atendente, digite 0.", "say: Olá {cliente}!"
    ).replace("    kind: voicemail\n", '    kind: voicemail\n    say: "  "\n')
    assert problems(text) == [
        "m.yaml:7:10: nodes.principal.say: variável desconhecida {cliente} no texto "
        "(conhecidas: {aviso_horario}, {linha}, {numero})",
        "m.yaml:22:10: nodes.recado.say: texto vazio: quem liga não ouviria nada",
    ]


def test_invalid_dtmf_key_and_unknown_line() -> None:
    text = SMALL.replace('"1": {next: fiscal, line: fiscal}', '"A": {next: fiscal, line: fisco}')
    assert problems(text) == [
        "m.yaml:9:7: nodes.principal.options.A: tecla DTMF inválida 'A': "
        "use uma destas: 1 2 3 4 5 6 7 8 9 0 * #",
    ]
    text = SMALL.replace('"1": {next: fiscal, line: fiscal}', '"1": {next: fiscal, line: fisco}')
    assert problems(text) == [
        "m.yaml:9:33: nodes.principal.options.1.line: linha de produto desconhecida 'fisco' "
        "(você quis dizer 'fiscal'?)"
    ]


def test_an_unquoted_digit_key_works_but_is_warned_about() -> None:
    text = SMALL.replace('"1": {next', "1: {next")
    [warning] = check_menu(text, "m.yaml")
    assert warning.severity == "warning"
    assert str(warning).startswith(
        "m.yaml:9:7: nodes.principal.options.1: aviso: tecla DTMF 1 sem aspas"
    )
    assert "1" in load_menu(text).nodes["principal"].options  # type: ignore[attr-defined]


def test_transfer_needs_exactly_one_target() -> None:
    text = SMALL.replace(
        "    queue: suporte-geral\n", '    queue: suporte-geral\n    number: "+551130001000"\n'
    )
    assert problems(text) == [
        "m.yaml:17:5: nodes.atendente: use exatamente um de 'number', 'sip', 'queue' ou 'line' "
        "(encontrados: number, queue)"
    ]


def test_load_menu_lists_every_problem_at_once() -> None:
    text = SMALL.replace("next: atendente}", "next: ninguem}").replace(
        "    kind: voicemail\n", "    kind: voicemail\n    max_length: 9000\n"
    )
    with pytest.raises(MenuInvalid) as caught:
        load_menu(text, "m.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "m.yaml:10:19: nodes.principal.options.0.next: nó desconhecido 'ninguem'",
        "m.yaml:22:17: nodes.recado.max_length: deve ser no máximo 600 (encontrado: 9000)",
    ]
    assert "m.yaml:10:19" in str(caught.value)


def test_check_menu_never_raises_on_odd_input() -> None:
    for text in ["\x00\x01", "start: [", "&a [*a]", "? [a, b]\n: c\n", "<<: {a: 1}\n", "1"]:
        found = check_menu(text, "m.yaml")
        assert found and all(p.line >= 1 and p.message for p in found)


def test_a_file_that_is_not_utf8_is_one_located_error(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_bytes("start: a\nnodes:\n  a: {kind: hangup, say: Olá}\n".encode("latin-1"))
    with pytest.raises(MenuInvalid) as raised:
        read_menu_file(path)
    assert [str(p) for p in raised.value.problems] == [
        f"{path}:3:28: o arquivo não está em UTF-8: o byte 0xe1 não pode ser lido "
        "(salve o arquivo como UTF-8)"
    ]


def test_a_control_character_is_located_on_one_line() -> None:
    assert problems("start: a\nnodes:\n  a: {kind: hangup, say: 'oi \x07'}\n") == [
        "m.yaml:3:30: YAML inválido: caractere U+0007 não aceito: "
        "caracteres de controle não são permitidos"
    ]
    # after accented letters too: the C parser counts bytes, not characters
    assert problems("start: a\nnodes:\n  a: {kind: hangup, say: 'olá, ação \x00'}\n") == [
        "m.yaml:3:37: YAML inválido: caractere U+0000 não aceito: "
        "caracteres de controle não são permitidos"
    ]


def test_aliases_nested_in_aliases_are_refused_quickly() -> None:
    """A "billion laughs" document: nine levels of nine aliases each."""
    lines = ['a0: &a0 ["ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha"]']
    for level in range(1, 9):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 9)}]")
    started = time.perf_counter()
    found = problems("\n".join(lines) + "\n")
    assert time.perf_counter() - started < 10
    assert any("mais de 100000 valores" in problem for problem in found)


@pytest.mark.parametrize(
    "value", ["=", "2026-13-45", "!!binary não-é-base64", "!!python/name:os.system"]
)
def test_a_value_yaml_cannot_build_is_a_located_problem(value: str) -> None:
    problems = check_menu(f"start: principal\nnodes:\n  principal: {value}\n", "m.yaml")
    located = [p for p in problems if p.line == 3 and p.path == "nodes.principal"]
    assert located and located[0].line == 3, problems
    assert not any("erro interno" in p.message for p in problems)
