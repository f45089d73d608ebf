"""What the caller hears: natural pt-BR, times as people say them."""

from __future__ import annotations

from datetime import datetime

import pytest

from hours.calendar import Calendar
from hours.phrases import closed_phrase, schedule_sentence, spoken_time, spoken_when
from hours.schedule import EmergencyClosure, Schedule, Shift
from tests.hours.conftest import SP


def sp(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SP)


@pytest.mark.parametrize(
    ("hm", "text"),
    [((9, 0), "9h"), ((13, 30), "13h30"), ((12, 0), "12h"), ((17, 5), "17h05"), ((0, 0), "0h")],
)
def test_times_are_said_as_people_say_them(hm, text):
    assert spoken_time(sp(2026, 11, 19, *hm)) == text


def test_seconds_round_up_so_we_never_promise_too_early():
    assert spoken_time(sp(2026, 11, 19, 14, 37, 20)) == "14h38"


def test_holiday_phrase(padrao: Calendar):
    assert closed_phrase(padrao.status(sp(2026, 11, 20, 10, 0))) == (
        "Hoje é feriado: Dia Nacional de Zumbi e da Consciência Negra. "
        "Nosso atendimento volta na segunda-feira, 23 de novembro, às 9h."
    )


def test_lunch_phrase(padrao: Calendar):
    assert closed_phrase(padrao.status(sp(2026, 11, 19, 12, 0))).endswith("Voltamos às 13h30.")


def test_friday_evening_phrase(padrao: Calendar):
    phrase = closed_phrase(padrao.status(sp(2026, 11, 27, 18, 0)))
    assert phrase.endswith("Voltamos na segunda-feira, 30 de novembro, às 9h.")
    assert "09:00" not in phrase


def test_tomorrow_is_said_amanha(padrao: Calendar):
    assert closed_phrase(padrao.status(sp(2026, 11, 18, 18, 0))).endswith("Voltamos amanhã, às 9h.")
    assert closed_phrase(padrao.status(sp(2026, 11, 19, 7, 0))) == "Nosso atendimento começa às 9h."


def test_year_is_said_only_when_it_changes(padrao: Calendar):
    assert "4 de janeiro de 2027" in closed_phrase(padrao.status(sp(2026, 12, 31, 18, 0)))


def test_emergency_phrase_reads_the_supervisors_message(padrao: Calendar):
    em = EmergencyClosure(
        sp(2026, 11, 19, 9, 0), sp(2026, 11, 19, 14, 0), "Estamos com uma instabilidade"
    )
    live = Calendar(padrao.schedule, [em])
    assert closed_phrase(live.status(sp(2026, 11, 19, 10, 0))) == (
        "Estamos com uma instabilidade. Nosso atendimento volta às 14h."
    )
    forever = Calendar(padrao.schedule, [EmergencyClosure(em.start, None, "Fechado.")])
    assert "não temos previsão" in closed_phrase(forever.status(sp(2026, 11, 19, 10, 0)))


def test_open_line_has_no_closed_phrase(padrao: Calendar):
    assert closed_phrase(padrao.status(sp(2026, 11, 19, 10, 0))) == ""


def test_spoken_when_on_sunday_says_no():
    assert spoken_when(sp(2026, 11, 29, 9, 0), sp(2026, 11, 26, 9, 0)).startswith(
        "no domingo, 29 de novembro"
    )
    assert (
        spoken_when(sp(2026, 12, 1, 13, 0), sp(2026, 11, 26, 9, 0))
        == "na terça-feira, 1º de dezembro, às 13h"
    )
    assert spoken_when(sp(2026, 12, 1, 1, 0), sp(2026, 12, 1, 0, 0)) == "à 1h"


def test_schedule_sentence(padrao: Calendar):
    assert schedule_sentence(padrao.schedule) == (
        "Nosso atendimento funciona de segunda a sexta-feira, das 9h às 11h45 e das 13h30 às 17h30."
    )
    h = 3600
    mixed = Schedule(
        name="m",
        week=((Shift(9 * h, 18 * h),),) * 5 + ((Shift(9 * h, 13 * h),), ()),
    )
    assert schedule_sentence(mixed) == (
        "Nosso atendimento funciona de segunda a sexta-feira, das 9h às 18h, "
        "e aos sábados, das 9h às 13h."
    )


def test_christmas_eve_afternoon_names_the_closure_and_the_next_working_day(shipped) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from hours.calendar import Calendar
    from hours.phrases import closed_phrase

    at = datetime(2026, 12, 24, 13, 0, tzinfo=ZoneInfo("America/Sao_Paulo"))
    phrase = closed_phrase(Calendar(shipped["padrao"]).status(at))
    assert phrase == (
        "Não há atendimento neste horário: Véspera de Natal. "
        "Voltamos na segunda-feira, 28 de dezembro, às 9h."
    )
