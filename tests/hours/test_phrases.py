"""What the caller hears: natural pt-BR, times as people say them."""

from __future__ import annotations

from datetime import datetime

import holidays as holidays_lib
import pytest

from hours.calendar import Calendar
from hours.phrases import (
    HOLIDAY_NAMES,
    closed_phrase,
    holiday_sentence,
    schedule_sentence,
    spoken_time,
    spoken_when,
)
from hours.schedule import CITY, EmergencyClosure, Schedule, Shift
from hours.schedules_section import parse_schedules
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
        "Hoje é feriado da Consciência Negra. "
        "Nosso atendimento volta na segunda-feira, 23 de novembro, às 9h."
    )


@pytest.mark.parametrize(
    ("names", "sentence"),
    [
        ("Natal", "Hoje é feriado de Natal."),
        ("Sexta-feira Santa", "Hoje é feriado da Sexta-feira Santa."),
        ("Sexta-feira Santa; Tiradentes", "Hoje é feriado da Sexta-feira Santa e de Tiradentes."),
        ("Dia do Trabalhador", "Hoje é feriado do Dia do Trabalhador."),
        ("Dia Nacional de Zumbi e da Consciência Negra", "Hoje é feriado da Consciência Negra."),
        ("Aniversário da Cidade de São Paulo", "Hoje é feriado do aniversário de São Paulo."),
        ("Confraternização Universal", "Hoje é feriado de Ano-Novo."),
        ("Quarta-feira de Cinzas", "Hoje, Quarta-feira de Cinzas, não temos atendimento."),
    ],
)
def test_holidays_are_said_as_people_say_them(names: str, sentence: str):
    assert holiday_sentence(names) == sentence


def test_every_holiday_of_sao_paulo_has_a_natural_sentence():
    """A name the ``holidays`` package gives (now or after an upgrade) is never read raw."""
    names: set[str] = set()
    for subdivision in (None, "SP", CITY):
        table = holidays_lib.country_holidays(
            "BR",
            subdiv=subdivision,
            years=range(1990, 2041),
            language="pt_BR",
            categories=("public", "optional"),
        )
        for joined in table.values():
            names.update(name.strip() for name in joined.split(";"))
    missing = sorted(names - HOLIDAY_NAMES)
    assert not missing, f"no pt-BR sentence for {missing}"


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


def test_christmas_eve_afternoon_says_until_when_we_answered_today(shipped) -> None:
    padrao, corrido = Calendar(shipped["padrao"]), Calendar(shipped["corrido"])
    back = "Voltamos na segunda-feira, 28 de dezembro, às 9h."
    assert closed_phrase(corrido.status(sp(2026, 12, 24, 14, 0))) == (
        f"Hoje, véspera de Natal, nosso atendimento foi só até o meio-dia. {back}"
    )
    # the split shift stopped for lunch at 11h45 and did not come back
    assert closed_phrase(padrao.status(sp(2026, 12, 24, 11, 50))) == (
        f"Hoje, véspera de Natal, nosso atendimento foi só até as 11h45. {back}"
    )
    assert closed_phrase(corrido.status(sp(2026, 12, 24, 20, 0))).startswith(
        "Hoje, véspera de Natal, nosso atendimento foi só até o meio-dia."
    )


def test_christmas_eve_morning_says_the_day_ends_early(shipped) -> None:
    corrido = Calendar(shipped["corrido"])
    assert closed_phrase(corrido.status(sp(2026, 12, 24, 7, 0))) == (
        "Nosso atendimento começa às 9h. Hoje, véspera de Natal, vamos atender só até o meio-dia."
    )
    assert closed_phrase(corrido.status(sp(2026, 12, 24, 10, 0))) == ""


def _calendar(*closures: dict) -> Calendar:
    schedules = parse_schedules(
        {
            "s": {
                "week": {"seg-sex": ["09:00-11:45", "13:30-17:30"]},
                "holidays": {"country": "BR", "subdivision": "SP"},
                "closures": list(closures),
            }
        }
    )
    return Calendar(schedules["s"])


def test_a_whole_day_closure_says_why_as_a_cause():
    cal = _calendar({"date": "2027-01-25", "reason": "Aniversário de São Paulo"})
    assert closed_phrase(cal.status(sp(2027, 1, 25, 10, 0))) == (
        "Hoje não temos atendimento por causa do aniversário de São Paulo. Voltamos amanhã, às 9h."
    )
    cal = _calendar({"start": "2027-01-04", "end": "2027-01-08", "reason": "Férias coletivas"})
    assert closed_phrase(cal.status(sp(2027, 1, 6, 15, 0))) == (
        "Hoje não temos atendimento por causa das férias coletivas. "
        "Voltamos na segunda-feira, 11 de janeiro, às 9h."
    )
    cal = _calendar({"date": "2027-03-01", "reason": "o inventário anual"})
    assert "por causa do inventário anual." in closed_phrase(cal.status(sp(2027, 3, 1, 10, 0)))


def test_a_closure_in_the_middle_or_the_start_of_the_day_says_when_we_are_back():
    meeting = _calendar({"date": "2027-03-02", "hours": ["10:00-11:00"], "reason": "Reunião geral"})
    assert closed_phrase(meeting.status(sp(2027, 3, 2, 10, 30))) == (
        "Hoje, por causa da reunião geral, estamos sem atendimento agora. Voltamos às 11h."
    )
    # the end of that day is the usual one: nothing said about the meeting
    assert closed_phrase(meeting.status(sp(2027, 3, 2, 18, 0))).startswith(
        "Nosso atendimento de hoje já foi encerrado."
    )
    assert closed_phrase(meeting.status(sp(2027, 3, 2, 8, 0))) == "Nosso atendimento começa às 9h."
    morning = _calendar({"date": "2027-03-03", "hours": ["00:00-14:00"], "reason": "Mudança"})
    assert closed_phrase(morning.status(sp(2027, 3, 3, 9, 30))) == (
        "Hoje, por causa da mudança, nosso atendimento começa só às 14h."
    )


def test_overlapping_emergencies_never_mix_one_message_with_another_reopening(padrao: Calendar):
    """Maintenance until 12h and a power cut until 15h: the caller hears why it is 15h."""
    maintenance = EmergencyClosure(
        sp(2026, 11, 19, 10, 0), sp(2026, 11, 19, 12, 0), "Estamos em manutenção"
    )
    power_cut = EmergencyClosure(
        sp(2026, 11, 19, 11, 0), sp(2026, 11, 19, 15, 0), "Estamos sem energia"
    )
    for order in ([maintenance, power_cut], [power_cut, maintenance]):
        live = Calendar(padrao.schedule, order)
        for hour, minute in ((10, 30), (11, 30)):
            assert closed_phrase(live.status(sp(2026, 11, 19, hour, minute))) == (
                "Estamos sem energia. Nosso atendimento volta às 15h."
            )
    until_reopened = EmergencyClosure(
        sp(2026, 11, 19, 11, 0), None, "Fechado por tempo indeterminado"
    )
    live = Calendar(padrao.schedule, [maintenance, until_reopened])
    assert closed_phrase(live.status(sp(2026, 11, 19, 10, 30))) == (
        "Fechado por tempo indeterminado. No momento, não temos previsão de retorno."
    )
