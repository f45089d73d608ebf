"""Named weekly schedules as plain, frozen data: shifts per weekday, time zone,
holidays, closures, openings.

The calendar that answers "open now?" lives in ``hours.calendar``; the
``schedules:`` section of a menu document is read into these types by
``hours.schedules_section.parse_schedules``.

Rules, in order of precedence for one day:

1. an emergency closure (data from outside, see ``EmergencyClosure``);
2. company ``closures`` (``from``/``to`` are instants: naive ones are read in
   the schedule's zone, ``to`` excluded; ``date``/``start``/``end`` are whole
   local days, ``end`` included);
3. an ``opening`` on that date: its hours replace the weekday's, even on a
   holiday (an explicit decision beats a rule);
4. a holiday of the chosen categories: closed all day;
5. the weekday's shifts.

Shifts are ``"HH:MM-HH:MM"`` (``"9h-11h45"`` also works), minutes precision,
``24:00`` allowed as an end; a day's shifts may not overlap. A local time that
does not exist (a DST jump) means the first instant after the jump; an
ambiguous one means its first occurrence.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib

from hours.clock import require_aware

__all__ = [
    "CITY",
    "DEFAULT_TIMEZONE",
    "WEEKDAY_NAMES",
    "Closure",
    "EmergencyClosure",
    "HolidayRule",
    "Opening",
    "Schedule",
    "Shift",
    "wall_to_utc",
]

DEFAULT_TIMEZONE = "America/Sao_Paulo"
DAY_SECONDS = 86_400
WEEKDAY_NAMES = ("seg", "ter", "qua", "qui", "sex", "sab", "dom")

#: The ``holidays`` package's subdivision for the city of São Paulo: its
#: calendar adds 25 January and Corpus Christi to the state's.
CITY = "São Paulo Capital"


@dataclass(frozen=True, slots=True, order=True)
class Shift:
    """A half-open stretch of a local day, ``[start, end)``, in seconds after midnight."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= DAY_SECONDS:
            raise ValueError(
                f"um turno deve ficar entre 00:00 e 24:00 e terminar depois de começar: {self}"
            )

    @classmethod
    def parse(cls, text: str) -> Shift:
        """``"09:00-11:45"`` or ``"9h-11h45"``; ``24:00`` only as an end."""
        m = _SHIFT_RE.fullmatch(text.strip()) if isinstance(text, str) else None
        if m is None:
            raise ValueError(f'esperava "HH:MM-HH:MM", como "09:00-11:45" (encontrado: {text!r})')
        start = _clock_seconds(m["h1"], m["m1"])
        end = _clock_seconds(m["h2"], m["m2"])
        if start >= DAY_SECONDS:
            raise ValueError(f"um turno não pode começar às 24:00: {text!r}")
        if end > DAY_SECONDS:
            raise ValueError(f"horário fora do dia em {text!r}")
        if start >= end:
            raise ValueError(f"um turno deve terminar depois de começar: {text!r}")
        return cls(start, end)

    def __str__(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"


_SHIFT_RE = re.compile(
    r"(?P<h1>\d{1,2})(?:[:h](?P<m1>\d{2})?)?\s*[-–]\s*(?P<h2>\d{1,2})(?:[:h](?P<m2>\d{2})?)?"
)


def _clock_seconds(hours: str, minutes: str | None) -> int:
    h, m = int(hours), int(minutes or 0)
    if m >= 60 or h > 24 or (h == 24 and m):
        raise ValueError(f"horário inexistente: {hours}:{minutes or '00'}")
    return h * 3600 + m * 60


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


Shifts = tuple[Shift, ...]


def ordered_shifts(shifts: Iterable[Shift]) -> Shifts:
    """``shifts`` in order; raises ValueError when two overlap."""
    ordered = tuple(sorted(shifts))
    for before, after in itertools.pairwise(ordered):
        if after.start < before.end:
            raise ValueError(f"os turnos {before} e {after} se sobrepõem")
    return ordered


@dataclass(frozen=True, slots=True)
class HolidayRule:
    """Which days of the ``holidays`` package close the line."""

    country: str = "BR"
    subdivision: str | None = None
    categories: tuple[str, ...] = ("public",)
    language: str = "pt_BR"

    def name_on(self, day: date) -> str | None:
        """The holiday's name on ``day`` (pt-BR; several joined by "; "), or None."""
        table = _holiday_table(self)
        with _HOLIDAY_LOCK:  # the table fills years in lazily: not thread-safe
            return table.get(day)

    def in_year(self, year: int) -> list[tuple[date, str]]:
        table = _holiday_table(self)
        with _HOLIDAY_LOCK:
            _ = date(year, 1, 1) in table  # a look-up fills in the whole year
            return sorted((d, n) for d, n in table.items() if d.year == year)

    def optional_in_year(self, year: int) -> list[tuple[date, str]]:
        """The year's optional days ("pontos facultativos"); none if the country has none."""
        supported = getattr(holidays_lib.country_holidays(self.country), "supported_categories", ())
        if "optional" not in supported:
            return []
        return replace(self, categories=("optional",)).in_year(year)


_HOLIDAY_LOCK = threading.Lock()


@lru_cache(maxsize=64)
def _holiday_table(rule: HolidayRule) -> holidays_lib.HolidayBase:
    """One table per rule per process; years are added as they are asked for."""
    language = rule.language
    supported = getattr(holidays_lib.country_holidays(rule.country), "supported_languages", ())
    if supported and language not in supported:
        language = None
    return holidays_lib.country_holidays(
        rule.country,
        subdiv=rule.subdivision,
        language=language,
        categories=rule.categories,
    )


@dataclass(frozen=True, slots=True)
class Closure:
    """The line is closed in ``[start, end)`` (aware instants); ``reason`` is spoken."""

    start: datetime
    end: datetime
    reason: str

    def __post_init__(self) -> None:
        require_aware(self.start, "Closure.start")
        require_aware(self.end, "Closure.end")
        if self.end <= self.start:
            raise ValueError("a closure must end after it starts")


@dataclass(frozen=True, slots=True)
class Opening:
    """A special day (a Saturday task force): ``shifts`` replace the weekday's."""

    day: date
    shifts: Shifts
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class EmergencyClosure:
    """ "Fechar agora": closed in ``[start, end)``; ``end`` None means until reopened.

    ``schedules`` names the schedules it closes; None closes all of them. These
    come from outside (the database, written by the supervisor console): the
    calendar takes an iterable of them or a callable returning one.
    """

    start: datetime
    end: datetime | None
    message: str
    schedules: frozenset[str] | None = None

    def __post_init__(self) -> None:
        require_aware(self.start, "EmergencyClosure.start")
        if self.end is not None:
            require_aware(self.end, "EmergencyClosure.end")
            if self.end <= self.start:
                raise ValueError("an emergency closure must end after it starts")

    def applies_to(self, schedule: str) -> bool:
        return self.schedules is None or schedule in self.schedules


@dataclass(frozen=True, slots=True)
class Schedule:
    """A named weekly schedule with its zone, holiday rule, closures and openings."""

    name: str
    week: tuple[Shifts, Shifts, Shifts, Shifts, Shifts, Shifts, Shifts]
    timezone: str = DEFAULT_TIMEZONE
    holidays: HolidayRule | None = field(default_factory=HolidayRule)
    closures: tuple[Closure, ...] = ()
    openings: tuple[Opening, ...] = ()

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError("week needs 7 days, Monday first")
        object.__setattr__(self, "week", tuple(ordered_shifts(day) for day in self.week))
        days = [o.day for o in self.openings]
        if len(days) != len(set(days)):
            raise ValueError("two openings on the same date")
        self.tz  # noqa: B018 -- fail now on an unknown zone

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def wall_to_utc(day: date, seconds: int, tz: ZoneInfo) -> datetime:
    """The UTC instant when ``tz``'s clock shows ``seconds`` after midnight of ``day``.

    Ambiguous wall times (clocks going back) give their first occurrence;
    times that do not exist (clocks jumping forward) give the first instant
    after the jump, i.e. the first instant whose wall time is not earlier.
    """
    naive = datetime(day.year, day.month, day.day) + timedelta(seconds=seconds)
    utc = naive.replace(tzinfo=tz).astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) == naive:
        return utc
    # In a gap: fold=1 lands before it, fold=0 after it. Bisect to the jump.
    lo = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = utc
    if lo > hi:
        lo, hi = hi, lo
    step = timedelta(seconds=1)
    while hi - lo > step:
        mid = lo + (hi - lo) // 2
        if mid.astimezone(tz).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return hi
