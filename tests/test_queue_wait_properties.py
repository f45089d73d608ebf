"""The queue announcement: natural pt-BR, and never a promise shorter than what is known."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ivr.telephony.queue_wait import (
    WaitSettings,
    estimate_seconds,
    ordinal,
    parse_wait_query,
    spoken_minutes,
    wait_phrase,
    wait_url,
)

seconds = st.integers(min_value=0, max_value=6 * 3600)
positions = st.integers(min_value=1, max_value=200)


@given(positions, seconds, st.integers(min_value=1, max_value=6 * 3600), st.integers(0, 200))
def test_the_estimate_never_promises_less_than_is_known(position, waited, average, size):
    estimate = estimate_seconds(position, waited, average, size)
    assert estimate is not None
    spoken = spoken_minutes(estimate) * 60
    # Callers wait `average` on average: what is left of it is ahead of this one too.
    assert spoken >= average - waited
    # And each place ahead takes its share of the average.
    assert spoken >= estimate >= position * average / max(size, position) - 1e-9


@given(seconds)
def test_spoken_minutes_round_up_to_what_people_say(value):
    minutes = spoken_minutes(value)
    assert minutes * 60 >= value and minutes >= 1
    assert minutes <= 5 or minutes % 5 == 0
    assert minutes <= 60 or minutes % 15 == 0


@given(positions, seconds, seconds, st.integers(0, 200))
def test_a_later_place_never_sounds_shorter(position, waited, average, size):
    here = estimate_seconds(position, waited, average, size)
    behind = estimate_seconds(position + 1, waited, average, size)
    if here is not None:
        assert spoken_minutes(behind) >= spoken_minutes(here)


def test_phrases_read_as_a_native_says_them():
    assert wait_phrase(3, 290) == (
        "Você é o terceiro da fila. A espera estimada é de cerca de 5 minutos."
    )
    assert (
        wait_phrase(1, 30) == "Você é o próximo da fila. A espera estimada é de cerca de 1 minuto."
    )
    assert wait_phrase(21, 1700).endswith("cerca de meia hora.")
    assert wait_phrase(40, 5000).startswith("Há 39 pessoas na sua frente na fila.")
    assert wait_phrase(40, 5000).endswith("cerca de 1 hora e 30 minutos.") is False
    assert wait_phrase(40, 5000).endswith("cerca de 1 hora e meia.")
    assert (
        ordinal(7) == "sétimo" and ordinal(20) == "vigésimo" and ordinal(23) == "vigésimo terceiro"
    )


@given(st.integers(0, 600), st.one_of(st.none(), st.just("https://example.com/a b&c.mp3")))
def test_the_wait_url_carries_its_settings(every, music):
    settings = WaitSettings(every, music)
    assert parse_wait_query(wait_url(settings).partition("?")[2]) == settings
