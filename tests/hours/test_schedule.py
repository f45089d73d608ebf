"""The ``schedules:`` section: what is accepted, and errors that name the bad field."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from hours.schedule import Shift
from hours.schedules_section import ScheduleError, parse_schedules

EXAMPLE = """
schedules:
  padrao:
    timezone: America/Sao_Paulo
    week:
      seg-sex: ["09:00-11:45", "13:30-17:30"]
    holidays: {country: BR, subdivision: SP, categories: [public]}
    closures:
      - {date: 2027-01-25, reason: Aniversário de São Paulo}
      - {start: 2027-01-04, end: 2027-01-08, reason: Férias coletivas}
      - {date: 2026-12-24, hours: ["12:00-24:00"], reason: Véspera de Natal}
      - {from: 2026-12-31T12:00, to: 2027-01-01T00:00, reason: Véspera de Ano-Novo}
    openings:
      - {date: 2026-12-05, hours: ["09:00-13:00"], reason: Mutirão}
  corrido:
    week:
      {mon: ["9h-17h30"], ter: ["9h-17h30"], qua: ["9h-17h30"], thu: ["9h-17h30"], fri: [9h-17h30]}
"""


def errors(section: dict) -> list[str]:
    with pytest.raises(ScheduleError) as info:
        parse_schedules(section)
    return str(info.value).splitlines()


def test_the_documented_example_parses():
    schedules = parse_schedules(yaml.safe_load(EXAMPLE)["schedules"])
    padrao, corrido = schedules["padrao"], schedules["corrido"]
    assert padrao.week[0] == (
        Shift(9 * 3600, 11 * 3600 + 2700),
        Shift(13 * 3600 + 1800, 17 * 3600 + 1800),
    )
    assert padrao.week[5] == padrao.week[6] == ()
    assert len(padrao.closures) == 4
    assert padrao.openings[0].day == date(2026, 12, 5)
    assert corrido.week[:5] == ((Shift(9 * 3600, 17 * 3600 + 1800),),) * 5
    assert corrido.holidays is not None and corrido.holidays.country == "BR"  # the default


def test_holidays_can_be_switched_off():
    schedules = parse_schedules({"x": {"week": {"seg": ["09:00-10:00"]}, "holidays": None}})
    assert schedules["x"].holidays is None


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"p": {"week": {"seg": ["9-25"]}}}, "schedules.p.week.seg[0]: horário inexistente: 25:00"),
        ({"p": {"week": {"seg": ["nove"]}}}, 'schedules.p.week.seg[0]: esperava "HH:MM-HH:MM"'),
        (
            {"p": {"week": {"seg": ["10:00-09:00"]}}},
            "schedules.p.week.seg[0]: um turno deve terminar depois",
        ),
        (
            {"p": {"week": {"seg": ["09:00-12:00", "11:00-13:00"]}}},
            "schedules.p.week.seg: os turnos",
        ),
        ({"p": {"week": {"segunda": []}}}, "schedules.p.week.segunda: dia da semana desconhecido"),
        (
            {"p": {"week": {"seg-sex": [], "ter": []}}},
            "schedules.p.week.ter: ter aparece duas vezes",
        ),
        (
            {"p": {"week": {}, "timezone": "Brasil/Lua"}},
            "schedules.p.timezone: fuso horário desconhecido",
        ),
        ({"p": {"week": {}, "colour": 1}}, "schedules.p.colour: campo desconhecido 'colour'"),
        ({"p": {}}, "schedules.p.week: falta o campo obrigatório 'week'"),
        (
            {"p": {"week": {}, "holidays": {"subdivision": "XX"}}},
            "schedules.p.holidays: subdivisão desconhecida",
        ),
        (
            {"p": {"week": {}, "holidays": {"categories": ["bank"]}}},
            "schedules.p.holidays: categorias de feriado desconhecidas",
        ),
        (
            {"p": {"week": {}, "closures": [{"reason": "x"}]}},
            "schedules.p.closures[0]: use exatamente uma destas formas",
        ),
        (
            {"p": {"week": {}, "closures": [{"date": "2026-13-01", "reason": "x"}]}},
            "schedules.p.closures[0].date:",
        ),
        (
            {"p": {"week": {}, "closures": [{"date": "2026-12-01"}]}},
            "schedules.p.closures[0].reason: falta o campo obrigatório 'reason'",
        ),
        (
            {
                "p": {
                    "week": {},
                    "closures": [
                        {"from": "2026-12-02T10:00", "to": "2026-12-01T10:00", "reason": "x"}
                    ],
                }
            },
            "schedules.p.closures[0]: `to` deve vir depois de `from`",
        ),
        (
            {
                "p": {
                    "week": {},
                    "openings": [
                        {"date": "2026-12-05", "hours": ["9h-10h"]},
                        {"date": "2026-12-05", "hours": ["9h-10h"]},
                    ],
                }
            },
            "schedules.p.openings[1].date: já há outra abertura em 2026-12-05",
        ),
        ({"p p": {"week": {}}}, "schedules.p p: o nome de uma agenda"),
    ],
)
def test_errors_name_the_field(section, expected):
    assert any(line.startswith(expected) for line in errors(section)), errors(section)


def test_every_problem_is_listed_at_once():
    lines = errors({"a": {"week": {"seg": ["x"]}}, "b": {"week": {"dom": ["y"]}}})
    assert [line.split(":")[0] for line in lines] == [
        "schedules.a.week.seg[0]",
        "schedules.b.week.dom[0]",
    ]


def test_problems_carry_their_location_for_a_located_loader():
    with pytest.raises(ScheduleError) as info:
        parse_schedules({"a": {"week": {"seg": ["x"]}}})
    assert info.value.problems[0][0] == ("schedules", "a", "week", "seg", 0)


def test_built_in_schedules_match_the_shipped_menu(shipped) -> None:
    """A menu without `schedules:` gets the shipped line's hours (minus its closures)."""
    from hours.schedules_section import SHIPPED_SCHEDULES, parse_schedules

    built_in = parse_schedules(SHIPPED_SCHEDULES)
    assert set(built_in) == set(shipped)
    for name, schedule in built_in.items():
        assert schedule.week == shipped[name].week
        assert schedule.holidays == shipped[name].holidays
        assert schedule.timezone == shipped[name].timezone
