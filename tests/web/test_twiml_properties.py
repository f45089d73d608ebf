"""Properties of what Twilio receives: valid TwiML, state that survives the round trip."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.menus import engine
from ivr.menus.actions import CallState
from ivr.menus.context import CallContext
from ivr.menus.loader import load_menu
from ivr.simulator import Answer, Phone
from ivr.telephony.state_url import STEP_PATH, StateCodec
from ivr.telephony.twiml import Renderer
from tests.fakes import FixedHours
from tests.strategies import caller_events, valid_menu_texts
from tests.web.conftest import AUTH_TOKEN

NOW = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
VOICE_VERBS = {"Say", "Play", "Pause", "Gather", "Dial", "Enqueue", "Record", "Redirect", "Hangup"}
ENDING_VERBS = {"Redirect", "Dial", "Enqueue", "Record", "Hangup"}
CODEC = StateCodec("test-secret")
RENDERER = Renderer("Polly.Camila", codec=CODEC)


def action_urls(root: ET.Element) -> list[str]:
    urls = [el.get("action") for el in root.iter() if el.get("action")]
    urls += [(el.text or "").strip() for el in root.iter("Redirect")]
    return urls


def checked_twiml(xml: str, step_number: int) -> list[CallState]:
    """Assert Twilio would accept ``xml``; return the states its URLs carry."""
    root = ET.fromstring(xml)
    assert root.tag == "Response"
    verbs = [child.tag for child in root]
    assert verbs and set(verbs) <= VOICE_VERBS
    assert verbs[-1] in ENDING_VERBS, f"the caller would fall off the end after {verbs}"
    for say in root.iter("Say"):
        assert say.get("language") == "pt-BR" and (say.text or "").strip()
    states = []
    for url in action_urls(root):
        path, _, query = url.partition("?")
        assert path == STEP_PATH
        state = CODEC.parse(query)
        assert state.step == step_number + 1
        states.append(state)
    return states


@settings(max_examples=60, deadline=None)
@given(text=valid_menu_texts(), is_open=st.booleans(), data=st.data())
def test_any_input_through_any_valid_menu_renders_valid_twiml(text, is_open, data) -> None:
    menu = load_menu(text)
    ctx = CallContext(now=NOW, caller="+5511987654321", hours=FixedHours(is_open))
    step = engine.start(menu, 1, ctx)
    for number in range(25):
        states = checked_twiml(RENDERER.render(step.actions), number)
        if not states:
            return  # hung up
        # every URL in one response resumes the same call at the next request
        state = states[-1]
        assert (
            CODEC.parse(
                f"s={state.version}.{state.node}.{state.attempt}."
                f"{state.line or ''}.{state.expect}&k={state.step}&t={state.told}"
            )
            == state
        )
        step = engine.advance(menu, state, data.draw(caller_events()), ctx)


KEYS = st.sampled_from([*"0123456789*#", "-", "s:faturamento parado", "s:não sei"])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(keys=st.lists(KEYS, max_size=8), agents=st.booleans())
def test_shipped_line_never_strands_a_caller(app, keys, agents) -> None:
    """Over the real webhooks: whatever the caller presses, the call ends properly."""
    from ivr.simulator import InProcess

    phone = Phone(InProcess(app), AUTH_TOKEN, agents_answer=agents)
    transcript = phone.call([Answer.parse(k) for k in keys])
    assert transcript.ended in ("transferred", "voicemail-recorded", "hangup"), transcript.ended
    assert not any("Desculpe, tivemos um problema" in text for text in transcript.heard)


def test_a_prompt_that_looks_like_the_renderers_placeholders_is_said_as_written() -> None:
    """The response cache marks where the request counter goes; no prompt text may move it."""
    menu = load_menu(
        """
start: aviso
nodes:
  aviso:
    kind: menu
    say: "Digite 1 para __STEP__ e k=__STEP__."
    options:
      "1": {next: atendente}
    after_retries: atendente
  atendente: {kind: transfer, queue: suporte}
"""
    )
    step = engine.start(menu, 1, CallContext(now=NOW))
    for _ in range(2):  # the second time from the cache
        xml = RENDERER.render(step.actions)
        said = [el.text for el in ET.fromstring(xml).iter("Say")]
        assert said[0] == "Digite 1 para __STEP__ e k=__STEP__."
        assert checked_twiml(xml, 0)
