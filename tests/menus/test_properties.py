"""Properties over generated menus: valid ones run without dead ends, broken ones are refused."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.menus import engine
from ivr.menus.actions import (
    CallState,
    Dial,
    Enqueue,
    Gather,
    Hangup,
    Record,
    Redirect,
    Step,
)
from ivr.menus.context import CallContext
from ivr.menus.document import Menu
from ivr.menus.loader import MenuInvalid, check_menu, load_menu
from tests.fakes import FixedHours
from tests.strategies import (
    caller_events,
    garbled_menu_texts,
    invalid_menu_texts,
    silence,
    valid_menu_texts,
)

NOW = datetime(2025, 3, 10, 14, 0, tzinfo=UTC)
VERSION = 3
FAST = settings(max_examples=100, deadline=None)


def checked(step: Step, *, request: int) -> CallState | None:
    """Assert the step is well formed; the state of the next request, or None if it hung up."""
    assert step.actions, "a step must say or do something"
    last = step.actions[-1]
    assert isinstance(last, Redirect | Dial | Enqueue | Record | Hangup), last
    for i, action in enumerate(step.actions):
        assert not isinstance(action, Hangup) or i == len(step.actions) - 1
        if isinstance(action, Gather):
            assert step.actions[i + 1] == Redirect(action.then), "silence must come back to us"
        state = getattr(action, "then", None)
        if state is not None:
            assert state.step == request + 1
            assert state.version == VERSION
            assert state.line == step.line
    if isinstance(last, Hangup):
        assert step.outcome is not None
        assert step.outcome.kind != "error", step.outcome
        return None
    assert step.outcome is None
    return last.then


@FAST
@given(text=valid_menu_texts())
def test_generated_valid_menus_load_without_problems(text: str) -> None:
    assert check_menu(text) == []
    assert isinstance(load_menu(text), Menu)


@FAST
@given(text=valid_menu_texts(), is_open=st.booleans(), data=st.data())
def test_any_caller_gets_a_step_that_hands_control_back_or_hangs_up(
    text: str, is_open: bool, data: st.DataObject
) -> None:
    menu = load_menu(text)
    ctx = CallContext(now=NOW, caller="+5511987654321", hours=FixedHours(is_open))
    state = checked(engine.start(menu, VERSION, ctx), request=0)
    for _ in range(25):
        if state is None:
            break
        event = data.draw(caller_events())
        state = checked(engine.advance(menu, state, event, ctx), request=state.step)


@FAST
@given(text=valid_menu_texts(), is_open=st.booleans())
def test_a_silent_caller_reaches_an_end_in_bounded_steps(text: str, is_open: bool) -> None:
    """Nobody presses anything, nobody answers, nothing is recorded: the call still ends."""
    menu = load_menu(text)
    ctx = CallContext(now=NOW, hours=FixedHours(is_open))
    bound = 1 + sum(getattr(node, "retries", 1) for node in menu.nodes.values())
    state = checked(engine.start(menu, VERSION, ctx), request=0)
    requests = 0
    while state is not None:
        requests += 1
        assert requests <= bound, "a silent caller went round too long"
        state = checked(engine.advance(menu, state, silence(state), ctx), request=state.step)


@FAST
@given(case=invalid_menu_texts())
def test_every_broken_menu_is_refused_with_a_located_problem(case: tuple[str, str]) -> None:
    mutation, text = case
    errors = [p for p in check_menu(text) if p.severity == "error"]
    assert errors, f"{mutation} was not detected"
    assert all(p.line >= 1 and p.col >= 1 and p.message for p in errors)
    try:
        load_menu(text)
    except MenuInvalid as exc:
        assert [p for p in exc.problems if p.severity == "error"] == errors
    else:
        raise AssertionError(f"{mutation}: load_menu accepted a broken menu")


@FAST
@given(text=st.one_of(st.text(max_size=200), garbled_menu_texts()))
def test_check_menu_copes_with_any_text(text: str) -> None:
    for problem in check_menu(text):
        assert problem.line >= 1 and problem.message
        assert "internal error" not in problem.message
