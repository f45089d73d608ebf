"""Company closures, special openings and emergency closures."""

from __future__ import annotations

from datetime import datetime

import pytest

from hours.calendar import Calendar, Reason
from hours.schedule import EmergencyClosure
from hours.schedules_section import parse_schedules
from tests.hours.conftest import SP

CONFIG = {
    "padrao": {
        "week": {"seg-sex": ["09:00-11:45", "13:30-17:30"]},
        "holidays": {"country": "BR", "subdivision": "SP"},
        "closures": [
            {"date": "2027-01-25", "reason": "Aniversário de São Paulo"},
            {"start": "2027-01-04", "end": "2027-01-15", "reason": "Férias coletivas"},
            {"date": "2026-12-24", "hours": ["12:00-24:00"], "reason": "Véspera de Natal"},
            {"from": "2026-12-31T12:00", "to": "2027-01-01T00:00", "reason": "Réveillon"},
        ],
        "openings": [{"date": "2026-12-05", "hours": ["09:00-13:00"], "reason": "Mutirão"}],
    }
}


def sp(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SP)


@pytest.fixture(scope="module")
def cal() -> Calendar:
    return Calendar(parse_schedules(CONFIG)["padrao"])


def test_a_whole_day_closure_gives_its_reason(cal: Calendar):
    status = cal.status(sp(2027, 1, 25, 10, 0))
    assert (status.reason, status.detail) == (Reason.CLOSURE, "Aniversário de São Paulo")
    assert status.next_open == sp(2027, 1, 26, 9, 0)


def test_a_collective_vacation_spans_its_days_inclusive(cal: Calendar):
    assert cal.status(sp(2027, 1, 4, 9, 0)).detail == "Férias coletivas"
    assert cal.status(sp(2027, 1, 15, 17, 0)).detail == "Férias coletivas"
    assert cal.next_opening(sp(2027, 1, 4, 9, 0)) == sp(2027, 1, 18, 9, 0)


def test_partial_day_closure_from_noon(cal: Calendar):
    assert cal.is_open(sp(2026, 12, 24, 11, 0))
    assert cal.status(sp(2026, 12, 24, 11, 0)).closes_at == sp(2026, 12, 24, 11, 45)
    assert cal.status(sp(2026, 12, 24, 11, 50)).reason is Reason.AFTER_HOURS
    status = cal.status(sp(2026, 12, 24, 14, 0))
    assert (status.reason, status.detail) == (Reason.CLOSURE, "Véspera de Natal")
    assert status.next_open == sp(2026, 12, 28, 9, 0)  # 25/12 is Christmas, then a weekend
    assert cal.status(sp(2026, 12, 31, 14, 0)).detail == "Réveillon"


def test_a_special_saturday_opening(cal: Calendar):
    assert cal.is_open(sp(2026, 12, 5, 9, 0))
    status = cal.status(sp(2026, 12, 5, 12, 0))
    assert status.closes_at == sp(2026, 12, 5, 13, 0)
    assert cal.status(sp(2026, 12, 5, 13, 0)).reason is Reason.AFTER_HOURS
    assert cal.next_opening(sp(2026, 12, 4, 18, 0)) == sp(2026, 12, 5, 9, 0)


def test_emergency_closure_wins_and_is_read_on_every_query(cal: Calendar):
    active: list[EmergencyClosure] = []
    live = Calendar(cal.schedule, emergencies=lambda: active)
    at = sp(2026, 11, 19, 10, 0)
    assert live.is_open(at)
    active.append(
        EmergencyClosure(sp(2026, 11, 19, 9, 50), sp(2026, 11, 19, 15, 0), "Sistema fora do ar.")
    )
    status = live.status(at)
    assert (status.open, status.reason, status.detail) == (
        False,
        Reason.EMERGENCY,
        "Sistema fora do ar.",
    )
    assert status.next_open == sp(2026, 11, 19, 15, 0)
    active.clear()
    assert live.is_open(at)


def test_open_ended_emergency_has_no_next_opening(cal: Calendar):
    em = EmergencyClosure(sp(2026, 11, 19, 9, 50), None, "Fechado até segunda ordem.")
    live = Calendar(cal.schedule, emergencies=[em])
    status = live.status(sp(2026, 11, 19, 10, 0))
    assert status.reason is Reason.EMERGENCY and status.next_open is None
    assert live.status(sp(2026, 11, 19, 9, 0)).closes_at == sp(2026, 11, 19, 9, 50)


def test_emergency_for_another_schedule_is_ignored(cal: Calendar):
    em = EmergencyClosure(sp(2026, 11, 19, 0, 0), None, "x", schedules=frozenset({"outro"}))
    assert Calendar(cal.schedule, emergencies=[em]).is_open(sp(2026, 11, 19, 10, 0))


def test_year_entries_list_holidays_closures_and_openings(cal: Calendar):
    entries = cal.entries(2027)
    kinds = {(e.kind, e.name) for e in entries}
    assert ("closure", "Férias coletivas") in kinds
    assert ("holiday", "Tiradentes") in kinds
    vacation = next(e for e in entries if e.name == "Férias coletivas")
    assert vacation.all_day and vacation.end == sp(2027, 1, 16)
    assert ("opening", "Mutirão") in {(e.kind, e.name) for e in cal.entries(2026)}
    assert ("closure", "Réveillon") in {(e.kind, e.name) for e in cal.entries(2026)}
