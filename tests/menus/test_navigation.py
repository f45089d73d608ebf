"""Repeat and back, the Brazilian way: 9 plays the options again, * goes back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ivr.menus import engine
from ivr.menus.actions import CallState, Gather, Say, Step
from ivr.menus.context import CallContext, CallerEvent
from ivr.menus.loader import check_menu, load_menu
from tests.fakes import FixedHours

SHIPPED = load_menu((Path(__file__).parents[2] / "menus.yaml").read_text(encoding="utf-8"))
NOW = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)  # 10h in São Paulo, a Tuesday
REPEAT_HINT = "Para ouvir as opções de novo, digite 9."
BACK_HINT = "Para voltar ao menu anterior, digite asterisco."


def ctx() -> CallContext:
    return CallContext(now=NOW, caller="+5511987654321", hours=FixedHours(True))


def heard(step: Step) -> list[str]:
    texts = []
    for action in step.actions:
        if isinstance(action, Say):
            texts.append(action.text)
        elif isinstance(action, Gather):
            texts.extend(p.text for p in action.prompts if isinstance(p, Say))
    return texts


def call(*answers: str) -> list[Step]:
    """Every step of a call on the shipped menu; "s:…" answers by voice."""
    steps = [engine.start(SHIPPED, 1, ctx())]
    for answer in answers:
        state = steps[-1].actions[-1].then  # type: ignore[union-attr]
        event = CallerEvent(speech=answer[2:]) if answer.startswith("s:") else CallerEvent(answer)
        steps.append(engine.advance(SHIPPED, state, event, ctx()))
    return steps


def test_each_navigation_key_is_announced_once_per_call() -> None:
    steps = call("2", "1", "*", "4")
    everything = [text for step in steps for text in heard(step)]
    assert everything.count(REPEAT_HINT) == 1
    assert everything.count(BACK_HINT) == 1
    assert REPEAT_HINT in heard(steps[0])  # the main menu offers repeating, not going back
    assert BACK_HINT in heard(steps[1])  # the products menu is the first with a way back


def test_the_choice_is_said_on_entering_a_menu_not_on_every_prompt() -> None:
    entered, wrong, again = call("2", "1", "7", "9")[2:]
    assert heard(entered)[0] == "Você escolheu ERP Retaguarda."
    assert heard(wrong)[0] == "Desculpe, essa opção não é válida."
    assert heard(wrong)[1].startswith("Para estoque e compras, digite 1.")
    assert heard(again) == [heard(wrong)[1]]  # 9: the options again, nothing else
    assert all("Você escolheu" not in text for text in heard(wrong) + heard(again))


def test_repeating_never_uses_up_the_attempts() -> None:
    steps = call("9", "9", "9", "9", "9", "7", "7")
    assert all(step.path == ("principal",) for step in steps[1:])
    last = steps[-1].actions[-1].then  # type: ignore[union-attr]
    assert last == CallState(1, "principal", attempt=3, step=7, told=last.told)


def test_back_returns_to_the_menu_before_by_key_or_by_voice() -> None:
    for back in ("*", "s:quero voltar"):
        step = call("2", "1", back)[-1]
        assert step.path == ("produtos",)
        assert heard(step)[0].startswith("Para ERP Retaguarda, digite 1.")
    assert call("s:repetir")[-1].path == ("principal",)


def test_the_keys_are_the_menus_own_and_an_option_on_them_wins() -> None:
    menu = load_menu(
        """\
start: m
nodes:
  m:
    kind: menu
    say: Para o suporte, digite 1. Para a ouvidoria, digite 9.
    options: {"1": {next: sub}, "9": {next: t}}
    after_retries: t
  sub:
    kind: menu
    say: Para falar com um atendente, digite 0.
    options: {"0": {next: t}}
    after_retries: t
    back: m
    repeat_key: "8"
    back_key: "7"
  t: {kind: transfer, queue: suporte}
"""
    )
    start = engine.start(menu, 1, ctx())
    assert heard(start) == ["Para o suporte, digite 1. Para a ouvidoria, digite 9."]
    nine = engine.advance(menu, CallState(1, "m"), CallerEvent("9"), ctx())
    assert nine.path == ("t",)
    sub = engine.advance(menu, CallState(1, "m"), CallerEvent("1"), ctx())
    assert heard(sub)[1:] == [
        "Para ouvir as opções de novo, digite 8.",
        "Para voltar ao menu anterior, digite 7.",
    ]
    back = engine.advance(menu, CallState(1, "sub"), CallerEvent("7"), ctx())
    assert back.path == ("m",)


def test_a_back_to_nowhere_is_an_error_at_its_line() -> None:
    text = """\
start: m
nodes:
  m:
    kind: menu
    say: Para falar com um atendente, digite 0. Para ouvir de novo, digite 9.
    options: {"0": {next: t}}
    after_retries: t
    back: principall
  t: {kind: transfer, queue: suporte}
"""
    [problem] = check_menu(text, "m.yaml")
    assert (problem.line, problem.path, problem.severity) == (8, "nodes.m.back", "error")
    assert "principall" in problem.message


def test_a_prompt_may_announce_the_navigation_keys() -> None:
    text = """\
start: m
nodes:
  m:
    kind: menu
    say: Para falar com um atendente, digite 0. Para ouvir de novo, digite 9.
    options: {"0": {next: t}}
    after_retries: t
  t: {kind: transfer, queue: suporte}
"""
    assert check_menu(text, "m.yaml") == []
    assert check_menu(text.replace("options:", 'repeat_key: "8"\n    options:'), "m.yaml")
