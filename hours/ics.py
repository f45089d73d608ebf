"""A year's holidays, closures and special openings as an iCalendar file (RFC 5545).

Written by hand: the file has only VEVENTs with all-day dates or UTC times,
so it needs no VTIMEZONE and no library (``icalendar`` is not a dependency).
What RFC 5545 asks of us here: CRLF line ends, lines folded at 75 octets,
TEXT values escaped (backslash, ``;``, ``,``, newline), and a UID and a
DTSTAMP on every event. ``stamp`` is a parameter (no clock read here); UIDs
are derived from the content, so exporting twice gives the same events.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime

from hours.calendar import CalendarEntry

__all__ = ["to_ics"]

_KIND_PREFIX = {"holiday": "Feriado", "closure": "Fechado", "opening": "Atendimento especial"}


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> list[str]:
    """Split a content line into pieces of at most 75 octets, never inside a UTF-8 character."""
    out: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        n = len(char.encode("utf-8"))
        if size + n > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += n
    out.append(current)
    return out


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def to_ics(entries: Iterable[CalendarEntry], stamp: datetime, name: str) -> str:
    """The VCALENDAR text (CRLF line ends) for ``entries``; ``stamp`` is aware (DTSTAMP)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//ivr//hours//PT-BR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    dtstamp = _utc(stamp)
    for entry in entries:
        summary = f"{_KIND_PREFIX.get(entry.kind, entry.kind)}: {entry.name}"
        key = f"{entry.kind}|{entry.name}|{entry.start.isoformat()}|{entry.end.isoformat()}"
        uid = hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
        lines += ["BEGIN:VEVENT", f"UID:{uid}@hours.ivr", f"DTSTAMP:{dtstamp}"]
        if entry.all_day:
            lines += [
                f"DTSTART;VALUE=DATE:{entry.start.strftime('%Y%m%d')}",
                f"DTEND;VALUE=DATE:{entry.end.strftime('%Y%m%d')}",
                "TRANSP:TRANSPARENT",
            ]
        else:
            lines += [f"DTSTART:{_utc(entry.start)}", f"DTEND:{_utc(entry.end)}"]
        lines += [f"SUMMARY:{_escape(summary)}", f"CATEGORIES:{entry.kind.upper()}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(piece + "\r\n" for line in lines for piece in _fold(line))
