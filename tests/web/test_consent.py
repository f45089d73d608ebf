"""The caller hears that the call may be recorded before anything is (LGPD consent notice)."""

from __future__ import annotations

from ivr.simulator import Answer, InProcess, Phone
from tests.web.conftest import AUTH_TOKEN, SHIPPED_MENU, publish_text

NOTICE = "Esta ligação poderá ser gravada."


def heard_before_the_beep(app) -> list[str]:
    phone = Phone(InProcess(app), AUTH_TOKEN, agents_answer=False)
    transcript = phone.call([Answer.parse("0")])
    assert transcript.ended == "voicemail-recorded"
    recording = next(i for i, t in enumerate(transcript.turns) if "RecordingUrl" in t.params)
    return [text for turn in transcript.turns[:recording] for text in turn.heard]


def test_the_voicemail_says_the_call_may_be_recorded_before_the_beep(app):
    heard = heard_before_the_beep(app)
    notice = next(i for i, text in enumerate(heard) if NOTICE in text)
    instructions = next(i for i, text in enumerate(heard) if "Depois do sinal" in text)
    assert notice < instructions


def test_a_menu_may_drop_the_notice(make_app, settings):
    text = SHIPPED_MENU.read_text(encoding="utf-8").replace(
        "    max_length: 120\n", "    max_length: 120\n    recording_notice: null\n"
    )
    publish_text(settings.database_url, text)
    assert not any(NOTICE in text for text in heard_before_the_beep(make_app()))
