"""Callers who speak: what they say naturally picks the option they mean."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.menus import engine
from ivr.menus.actions import CallState, Gather
from ivr.menus.context import CallContext, CallerEvent
from ivr.menus.loader import check_menu, load_menu
from ivr.menus.nodes.menu import MenuNode
from ivr.menus.speech import FILLERS, SPOKEN_KEYS, shared_words
from tests.fakes import FixedHours
from tests.strategies import said_around

SHIPPED = load_menu((Path(__file__).parents[2] / "menus.yaml").read_text(encoding="utf-8"))
NOW = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)  # 10h in São Paulo, a Tuesday
MENUS = {i: n for i, n in SHIPPED.nodes.items() if isinstance(n, MenuNode) and n.vocabulary()}


def say(node: str, speech: str) -> tuple[str, ...]:
    """The nodes a caller goes through after saying ``speech`` at menu ``node``."""
    ctx = CallContext(now=NOW, caller="+5511987654321", hours=FixedHours(True))
    state = CallState(1, node, step=3)
    return engine.advance(SHIPPED, state, CallerEvent(speech=speech), ctx).path


@pytest.mark.parametrize(
    ("speech", "goes_to"),
    [
        ("meu faturamento está parado", "urgente"),
        ("A expedição está parada.", "urgente"),
        ("quero cancelar", "ouvidoria"),
        ("Quero fazer uma reclamação", "ouvidoria"),
        ("dois", "produtos"),
        ("2", "produtos"),
        ("opção dois", "produtos"),
        ("faturamentu paradu", "urgente"),  # the recogniser's slips
        ("quero falar com um atendente", "atendente_geral"),
    ],
)
def test_what_callers_naturally_say_at_the_main_menu(speech: str, goes_to: str) -> None:
    assert say("principal", speech)[-1] == goes_to


@pytest.mark.parametrize(
    "node", ["principal", "produtos", "topicos_erp", "topicos_pdv", "topicos_fiscal", "topicos_wms"]
)
@pytest.mark.parametrize(
    "speech", ["quero falar com uma pessoa", "falar com alguém", "uma pessoa, por favor"]
)
def test_asking_for_a_person_reaches_the_attendant_option(node: str, speech: str) -> None:
    """Every menu that offers "falar com um atendente" understands it said otherwise."""
    attendant = SHIPPED.nodes[node].options["0"].next  # type: ignore[attr-defined]
    assert attendant in say(node, speech)


def test_words_that_choose_nothing_ask_again() -> None:
    for speech in ("bom dia", "é sobre aquilo", "sete", "parado"):
        assert say("principal", speech) == ("principal",), speech


def test_the_main_menu_prompt_says_the_caller_may_speak() -> None:
    ctx = CallContext(now=NOW, hours=FixedHours(True))
    gather = next(a for a in engine.start(SHIPPED, 1, ctx).actions if isinstance(a, Gather))
    assert gather.speech_hints is not None
    assert any("pode dizer" in p.text for p in gather.prompts)  # type: ignore[union-attr]


@pytest.mark.parametrize("node", sorted(MENUS))
def test_every_menu_that_understands_speech_says_so(node: str) -> None:
    """A caller who is never told may speak only presses keys."""
    say = str(SHIPPED.nodes[node].say).lower()  # type: ignore[attr-defined]
    assert "pode dizer" in say or "diga" in say


def test_a_word_in_two_options_is_a_warning_at_its_place() -> None:
    text = """\
start: produtos
nodes:
  produtos:
    kind: menu
    say: Para ERP, digite 1. Para WMS, digite 4.
    options:
      "1": {next: t, speech: [erp, estoque e compras]}
      "4": {next: t, speech: [wms, Estoques]}
    after_retries: t
  t: {kind: transfer, queue: suporte}
"""
    [warning] = check_menu(text, "m.yaml")
    assert warning.severity == "warning"
    assert (warning.line, warning.path) == (8, "nodes.produtos.options.4.speech")
    assert "a palavra 'estoque' aparece nas frases de voz das opções '1' e '4'" in warning.message
    produtos = load_menu(text).nodes["produtos"]
    assert produtos.match_speech("estoque") == "4"  # type: ignore[attr-defined]
    assert produtos.match_speech("meu estoque e as compras") == "1"  # type: ignore[attr-defined]


def test_the_shipped_menus_share_no_word_between_options() -> None:
    assert {i: shared_words(n.vocabulary()) for i, n in MENUS.items()} == {i: [] for i in MENUS}


# ---------------------------------------------------------------------------- properties


@st.composite
def menu_phrases(draw: st.DrawFn) -> tuple[MenuNode, str, str]:
    node = MENUS[draw(st.sampled_from(sorted(MENUS)))]
    key = draw(st.sampled_from(sorted(node.vocabulary())))
    phrase = draw(st.sampled_from(node.vocabulary()[key]))
    return node, key, draw(said_around(phrase))


@given(menu_phrases())
def test_any_phrase_said_with_fillers_case_and_no_accents_picks_its_option(
    case: tuple[MenuNode, str, str],
) -> None:
    node, key, said = case
    assert node.match_speech(said) == key


@given(st.sampled_from(sorted(MENUS)), st.sampled_from(sorted(SPOKEN_KEYS)), st.booleans())
def test_a_key_said_by_name_is_that_key_when_the_menu_has_it(
    node_id: str, name: str, as_option: bool
) -> None:
    node = MENUS[node_id]
    spoken = f"opção {name}" if as_option else name.capitalize()
    key = SPOKEN_KEYS[name]
    assert node.match_speech(spoken) == (
        key if key in node.options or key in node.navigation_keys() else None
    )


@given(st.sampled_from(sorted(MENUS)), st.lists(st.sampled_from(sorted(FILLERS)), max_size=6))
def test_filler_words_alone_choose_nothing(node_id: str, words: list[str]) -> None:
    said = " ".join(w for w in words if w not in SPOKEN_KEYS)
    assert MENUS[node_id].match_speech(said) is None


@given(st.sampled_from(sorted(MENUS)), st.text(max_size=80))
def test_anything_heard_gives_a_key_of_the_menu_or_none(node_id: str, heard: str) -> None:
    node = MENUS[node_id]
    assert node.match_speech(heard) in {*node.options, *node.navigation_keys(), None}
