"""The shipped schedule at its edges, on holidays, and with instants given in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hours.calendar import Calendar, NaiveDatetime, Reason
from tests.hours.conftest import SP

THURSDAY = (2026, 11, 19)


def sp(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SP)


@pytest.mark.parametrize(
    ("hms", "is_open", "reason"),
    [
        ((8, 59, 59), False, Reason.BEFORE_HOURS),
        ((9, 0, 0), True, Reason.OPEN),
        ((11, 44, 59), True, Reason.OPEN),
        ((11, 45, 0), False, Reason.LUNCH),
        ((13, 29, 59), False, Reason.LUNCH),
        ((13, 30, 0), True, Reason.OPEN),
        ((17, 29, 59), True, Reason.OPEN),
        ((17, 30, 0), False, Reason.AFTER_HOURS),
    ],
)
def test_shift_edges_are_half_open(padrao: Calendar, hms, is_open, reason):
    at = sp(*THURSDAY, *hms)
    status = padrao.status(at)
    assert (status.open, status.reason) == (is_open, reason)
    assert padrao.is_open(at) is is_open
    # the same instant given in UTC (São Paulo is UTC-3) gets the same answer
    assert padrao.status(at.astimezone(UTC)).reason is reason


def test_instants_in_utc_are_read_in_sao_paulo(padrao: Calendar):
    """12:00Z is 9h in São Paulo: open; 20:30Z is 17h30: closed."""
    assert padrao.is_open(datetime(2026, 11, 19, 12, 0, tzinfo=UTC))
    assert not padrao.is_open(datetime(2026, 11, 19, 11, 59, 59, tzinfo=UTC))
    assert not padrao.is_open(datetime(2026, 11, 19, 20, 30, tzinfo=UTC))
    status = padrao.status(datetime(2026, 11, 19, 14, 50, tzinfo=UTC))
    assert status.reason is Reason.LUNCH
    assert status.next_open == sp(2026, 11, 19, 13, 30)
    assert status.at.tzinfo == SP


def test_open_status_says_when_it_closes_and_reopens(padrao: Calendar):
    status = padrao.status(sp(*THURSDAY, 10, 0))
    assert status.closes_at == sp(*THURSDAY, 11, 45)
    assert status.next_open == sp(*THURSDAY, 13, 30)
    status = padrao.status(sp(*THURSDAY, 17, 0))
    assert status.closes_at == sp(*THURSDAY, 17, 30)
    assert status.next_open == sp(2026, 11, 23, 9, 0)  # Friday 20/11 is a holiday


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 11, 27, 17, 30, tzinfo=SP),  # Friday, closing
        datetime(2026, 11, 27, 23, 59, 59, tzinfo=SP),
        datetime(2026, 11, 28, 12, 0, tzinfo=SP),  # Saturday
        datetime(2026, 11, 29, 23, 0, tzinfo=SP),  # Sunday night
        datetime(2026, 11, 30, 2, 0, tzinfo=UTC),  # Sunday 23h in São Paulo
        datetime(2026, 11, 30, 8, 59, 59, tzinfo=SP),  # Monday, just before
    ],
)
def test_friday_evening_to_monday_morning(padrao: Calendar, at: datetime):
    status = padrao.status(at)
    assert not status.open
    assert status.next_open == sp(2026, 11, 30, 9, 0)
    assert padrao.business_time_between(at, sp(2026, 11, 30, 9, 0)) == timedelta(0)


def test_weekend_reason(padrao: Calendar):
    assert padrao.status(sp(2026, 11, 28, 10, 0)).reason is Reason.WEEKEND
    assert padrao.status(sp(2026, 11, 27, 18, 0)).reason is Reason.AFTER_HOURS


HOLIDAYS = [
    # national, 2026
    ((2026, 1, 1), "Confraternização Universal"),
    ((2026, 4, 3), "Sexta-feira Santa"),
    ((2026, 4, 21), "Tiradentes"),
    ((2026, 5, 1), "Dia do Trabalhador"),
    ((2026, 9, 7), "Independência do Brasil"),
    ((2026, 10, 12), "Nossa Senhora Aparecida"),
    ((2026, 11, 2), "Finados"),
    ((2026, 11, 20), "Dia Nacional de Zumbi e da Consciência Negra"),
    ((2026, 12, 25), "Natal"),
    # national, 2027
    ((2027, 1, 1), "Confraternização Universal"),
    ((2027, 3, 26), "Sexta-feira Santa"),
    ((2027, 4, 21), "Tiradentes"),
    ((2027, 9, 7), "Independência do Brasil"),
    ((2027, 10, 12), "Nossa Senhora Aparecida"),
    ((2027, 11, 2), "Finados"),
    ((2027, 11, 15), "Proclamação da República"),
    ((2027, 11, 20), "Dia Nacional de Zumbi e da Consciência Negra"),
    ((2027, 12, 25), "Natal"),
    # São Paulo state
    ((2026, 7, 9), "Revolução Constitucionalista"),
    ((2027, 7, 9), "Revolução Constitucionalista"),
]


@pytest.mark.parametrize(("ymd", "name"), HOLIDAYS)
def test_holidays_close_the_whole_day_with_their_pt_br_name(padrao: Calendar, ymd, name):
    at = sp(*ymd, 10, 0)
    status = padrao.status(at)
    assert not status.open
    assert status.reason is Reason.HOLIDAY
    assert status.detail == name == status.holiday
    assert status.next_open is not None and status.next_open.date() > at.date()
    # given in UTC, at 10h São Paulo time
    assert padrao.status(at.astimezone(UTC)).reason is Reason.HOLIDAY


def test_holiday_edges_follow_sao_paulo_midnight(padrao: Calendar):
    """Good Friday 2026 starts at 03:00Z; Thursday 17h29 in São Paulo is 20:29Z, still open."""
    assert padrao.is_open(datetime(2026, 4, 2, 20, 29, tzinfo=UTC))
    assert padrao.status(datetime(2026, 4, 3, 3, 0, tzinfo=UTC)).reason is Reason.HOLIDAY
    assert padrao.status(datetime(2026, 4, 3, 2, 59, tzinfo=UTC)).reason is Reason.AFTER_HOURS


def test_carnaval_is_a_working_day_unless_optional_holidays_count(shipped):
    from hours.schedule import HolidayRule, Schedule

    base = shipped["padrao"]
    at = sp(2026, 2, 16, 10, 0)  # Carnaval Monday: ponto facultativo
    assert Calendar(base).is_open(at)
    optional = Schedule(
        name="facultativo",
        week=base.week,
        holidays=HolidayRule("BR", "SP", ("public", "optional")),
    )
    status = Calendar(optional).status(at)
    assert status.reason is Reason.HOLIDAY and status.detail == "Carnaval"


def test_naive_datetimes_raise(padrao: Calendar):
    naive = datetime(2026, 11, 19, 10, 0)
    for call in (
        padrao.is_open,
        padrao.status,
        padrao.next_opening,
        padrao.closing,
        lambda t: padrao.business_time_between(t, t),
        lambda t: padrao.add_business_hours(t, 1),
        lambda t: padrao.open_slots(t, t, timedelta(minutes=30)),
    ):
        with pytest.raises(NaiveDatetime):
            call(naive)
