"""The webhook's form parser reads exactly what the standard library reads."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from hypothesis import given
from hypothesis import strategies as st

from ivr.telephony.forms import parse_form


@given(st.dictionaries(st.text(min_size=1), st.text()))
def test_parse_form_matches_parse_qsl(params: dict[str, str]) -> None:
    body = urlencode(params)
    assert parse_form(body) == dict(parse_qsl(body, keep_blank_values=True))


def test_twilio_like_form() -> None:
    body = "CallSid=CA123&From=%2B5511987654321&SpeechResult=faturamento+parado&Digits="
    assert parse_form(body) == {
        "CallSid": "CA123",
        "From": "+5511987654321",
        "SpeechResult": "faturamento parado",
        "Digits": "",
    }
