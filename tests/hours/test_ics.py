"""The iCalendar export, read back the way a calendar application reads it."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar

from hours.calendar import CalendarEntry
from hours.ics import to_ics

STAMP = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)


def test_text_with_separators_and_long_accented_names_comes_back_whole() -> None:
    name = "Férias coletivas, inventário; manutenção\\elétrica — " + "çãõ" * 40
    entries = [
        CalendarEntry(
            "closure",
            name,
            datetime(2027, 1, 4, tzinfo=UTC),
            datetime(2027, 1, 9, tzinfo=UTC),
            True,
        ),
        CalendarEntry(
            "closure",
            "Véspera de Natal\nmeio período",
            datetime(2026, 12, 24, 15, 0, tzinfo=UTC),
            datetime(2026, 12, 25, 3, 0, tzinfo=UTC),
            False,
        ),
    ]
    text = to_ics(entries, STAMP, "Atendimento padrao 2027")
    calendar = icalendar.Calendar.from_ical(text)
    assert str(calendar["X-WR-CALNAME"]) == "Atendimento padrao 2027"
    first, second = calendar.walk("VEVENT")
    assert str(first["SUMMARY"]) == f"Fechado: {name}"
    assert str(second["SUMMARY"]) == "Fechado: Véspera de Natal\nmeio período"
    assert second.decoded("DTSTART") == datetime(2026, 12, 24, 15, 0, tzinfo=UTC)
    assert second.decoded("DTEND") == datetime(2026, 12, 25, 3, 0, tzinfo=UTC)
    assert first.decoded("DTSTAMP") == STAMP


def test_exporting_twice_gives_the_same_events() -> None:
    entry = CalendarEntry(
        "holiday",
        "Tiradentes",
        datetime(2027, 4, 21, tzinfo=UTC),
        datetime(2027, 4, 22, tzinfo=UTC),
        True,
    )
    uids = [
        str(icalendar.Calendar.from_ical(to_ics([entry], STAMP, "x")).walk("VEVENT")[0]["UID"])
        for _ in range(2)
    ]
    assert uids[0] == uids[1]
