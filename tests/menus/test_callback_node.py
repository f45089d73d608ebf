"""The callback node in the engine: what the caller hears before anything is booked.

Booking itself goes through the database: tests/web/test_callback_calls.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callbacks.numbers import callback_number
from ivr.menus import engine
from ivr.menus.actions import CallState, Gather, Redirect, Say, Step
from ivr.menus.context import CallContext, CallerEvent
from ivr.menus.loader import check_menu, load_menu
from ivr.telephony.state_url import StateCodec
from tests.strategies import keypad_digits, premium_numbers

MENU_TEXT = """
start: oferta
lines:
  erp: {name: ERP, queue: suporte-erp}
nodes:
  oferta:
    kind: menu
    say: Para receber o retorno, digite 1. Para deixar recado, digite 2.
    options:
      "1": {next: retorno}
      "2": {next: recado}
    after_retries: recado
  retorno:
    kind: callback
    line: erp
    after_retries: recado
  recado:
    kind: voicemail
"""
MENU = load_menu(MENU_TEXT)
NOW = datetime(2026, 11, 27, 20, 45, tzinfo=UTC)


def said(step: Step) -> list[str]:
    texts: list[str] = []
    for action in step.actions:
        if isinstance(action, Say):
            texts.append(action.text)
        elif isinstance(action, Gather):
            texts.extend(p.text for p in action.prompts if isinstance(p, Say))
    return texts


def then(step: Step) -> CallState:
    last = step.actions[-1]
    assert isinstance(last, Redirect), last
    return last.then


def reach_callback(caller: str) -> Step:
    ctx = CallContext(now=NOW, caller=caller)
    first = engine.start(MENU, 1, ctx)
    return engine.advance(MENU, then(first), CallerEvent(digits="1"), ctx)


def press(step: Step, digits: str | None, caller: str = "+5511976543210") -> Step:
    ctx = CallContext(now=NOW, caller=caller)
    return engine.advance(MENU, then(step), CallerEvent(digits=digits), ctx)


def test_the_callers_own_number_is_offered_digit_by_digit():
    step = reach_callback("+5511976543210")
    assert said(step) == [
        "Vamos retornar para o número um um, nove sete meia cinco quatro, três dois um zero. "
        "Digite 1 para receber o retorno neste número, ou 2 para informar outro número."
    ]
    assert then(step).data == "o"


@pytest.mark.parametrize(
    "caller", ["anonymous", "+266696687", "", "restricted", "+7378742833", "+14155550100"]
)
def test_withheld_or_foreign_caller_ids_are_asked_for_a_number(caller):
    step = reach_callback(caller)
    assert said(step) == [
        "Não conseguimos identificar o número de onde você está ligando.",
        "Digite o número de telefone para o retorno, com DDD, e depois a tecla sustenido.",
    ]
    (gather,) = [a for a in step.actions if isinstance(a, Gather)]
    assert gather.finish_on_key == "#" and gather.num_digits is None


def test_wrong_numbers_are_asked_again_a_bounded_number_of_times_then_voicemail():
    step = press(reach_callback("+5511976543210"), "2")
    for _ in range(2):
        step = press(step, "190")
        assert said(step) == [
            "Não podemos retornar para números de emergência.",
            "Digite o número com DDD e depois sustenido.",
        ]
    step = press(step, "190")
    assert said(step)[:2] == [
        "Não podemos retornar para números de emergência.",
        "Não conseguimos registrar um número para o retorno.",
    ]
    assert step.path == ("recado",)


def test_without_a_callback_desk_the_caller_is_told_and_offered_the_voicemail():
    step = press(reach_callback("+5511976543210"), "1")
    assert said(step)[0] == "Desculpe, não conseguimos agendar o retorno agora."
    assert step.path == ("recado",)


@given(typed=keypad_digits)
def test_whatever_is_typed_only_a_dialable_number_is_ever_read_back(typed):
    """Anything keyed in is either refused (asked again) or read back as a number
    that ``callbacks.numbers`` accepts: the confirmation never carries a premium one."""
    step = press(press(reach_callback("+5511976543210"), "2"), typed)
    data = then(step).data
    if data.startswith("c"):
        number = callback_number("+55" + data[1:])
        assert number.kind in ("fixed", "mobile")
        assert said(step)[0].startswith(("Você digitou", "Como você não digitou o DDD"))
    else:
        assert data == "n" and then(step).attempt == 2


@given(number=premium_numbers)
def test_premium_numbers_are_never_read_back(number):
    step = press(press(reach_callback("+5511976543210"), "2"), number.replace(" ", ""))
    assert then(step).data == "n"
    assert said(step)[0].startswith("Não podemos retornar para números 0300")


CODEC = StateCodec("test-secret")


@given(data=st.text("abcdefghijklmnopqrstuvwxyz0123456789", max_size=24))
def test_node_data_survives_the_step_url_sealed(data):
    state = CallState(3, "retorno", attempt=2, line="erp", step=5, data=data)
    url = CODEC.url(state)
    back = CODEC.parse(url.partition("?")[2])
    assert back == state and back.data == data
    if len(data) >= 4:
        assert data not in url


def test_node_data_that_does_not_open_reads_as_none():
    url = CODEC.url(CallState(1, "retorno", data="c21987651234"))
    query = url.partition("?")[2]
    head, _, sealed = query.partition("&d=")
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    for bad in (flipped, sealed[:10], "w%2B5511", "c21987651234", "!!!"):
        assert CODEC.parse(f"{head}&d={bad}").data == ""
    assert StateCodec("another-secret").parse(query).data == ""
    assert CODEC.parse(query).data == "c21987651234"


def test_a_callback_counts_as_a_way_to_a_person_and_its_line_must_exist():
    assert check_menu(MENU_TEXT, "m.yaml") == []
    problems = [str(p) for p in check_menu(MENU_TEXT.replace("line: erp", "line: erpp"), "m.yaml")]
    assert len(problems) == 1 and "linha de produto desconhecida 'erpp'" in problems[0]


QUEUE_MENU_TEXT = """
start: fila
lines:
  erp: {name: ERP, queue: suporte-erp}
nodes:
  fila:
    kind: transfer
    queue: suporte-erp
    fallback: recado
    callback: retorno
  retorno:
    kind: callback
    line: erp
    after_retries: recado
  recado:
    kind: voicemail
"""


def test_leaving_the_queue_by_pressing_1_keeps_the_place_and_skips_the_question_of_when():
    menu = load_menu(QUEUE_MENU_TEXT)
    ctx = CallContext(now=NOW, caller="+5511976543210")
    first = engine.start(menu, 1, ctx)
    enqueue = first.actions[-1]
    assert enqueue.offer_callback is True  # type: ignore[union-attr]
    left = engine.advance(menu, enqueue.then, CallerEvent(dial_status="leave"), ctx)  # type: ignore[union-attr]
    assert left.path == ("retorno",)
    assert said(left)[0] == "Certo, você saiu da fila sem perder a sua vez."
    assert then(left).data == "oq"
    # Queue full (nobody can take the call): the fallback, not a callback.
    full = engine.advance(menu, enqueue.then, CallerEvent(dial_status="queue-full"), ctx)  # type: ignore[union-attr]
    assert full.path == ("recado",)


def test_a_transfers_callback_must_be_a_callback_node():
    text = QUEUE_MENU_TEXT.replace("    callback: retorno\n", "    callback: recado\n")
    problems = [str(p) for p in check_menu(text, "m.yaml")]
    assert any("o nó 'recado' não é do tipo callback" in p for p in problems), problems
