"""Named weekly schedules: shifts per weekday, time zone, holidays, closures, openings.

A ``Schedule`` is plain, frozen data. ``parse_schedules`` builds them from the
``schedules:`` section of a menu document (``menus.yaml``); the pydantic models
below are that section's schema, and every problem is reported with the path
of the field (``schedules.padrao.week.seg[1]: ...``). The calendar that answers
"open now?" lives in ``hours.calendar``.

The ``schedules:`` section
==========================

.. code-block:: yaml

    schedules:
      padrao:                               # a schedule name (what lines refer to)
        timezone: America/Sao_Paulo         # IANA zone; this is the default
        week:                               # weekday -> shifts, half-open [start, end)
          seg-sex: ["09:00-11:45", "13:30-17:30"]
          # or one day at a time: seg, ter, qua, qui, sex, sab, dom
          # (English mon ... sun and "sáb" are accepted too); days left out are closed
        holidays:                           # default: {country: BR} (national, public)
          country: BR
          subdivision: São Paulo Capital    # the city (25/01, Corpus Christi); SP: the state
          categories: [public]              # add "optional" for pontos facultativos
                                            # (Carnaval, Corpus Christi, 24/12 ...)
        closures:                           # company closures; `reason` is spoken
          - {date: 2027-03-01, reason: Inventário anual}                  # a whole day
          - {start: 2027-01-04, end: 2027-01-08, reason: Férias coletivas} # whole days, inclusive
          - {date: 2026-12-24, hours: ["12:00-24:00"], reason: Véspera de Natal}  # part of a day
          - {from: 2026-12-31T12:00, to: 2027-01-01T00:00, reason: Véspera de Ano-Novo}
        openings:                           # special days: these hours replace the day's
          - {date: 2026-12-05, hours: ["09:00-13:00"], reason: Mutirão de fim de ano}
      corrido:
        week: {seg-sex: ["09:00-17:30"]}
        holidays: {country: BR, subdivision: São Paulo Capital}

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

import datetime as _dt
import itertools
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hours.clock import require_aware
from hours.validation import say

__all__ = [
    "DEFAULT_TIMEZONE",
    "WEEKDAY_NAMES",
    "Closure",
    "EmergencyClosure",
    "HolidayRule",
    "Opening",
    "Schedule",
    "ScheduleError",
    "Shift",
    "parse_schedules",
    "wall_to_utc",
]

DEFAULT_TIMEZONE = "America/Sao_Paulo"
DAY_SECONDS = 86_400

#: Weekday keys, Monday = 0. The pt-BR ones are canonical; English ones are accepted.
WEEKDAY_KEYS: dict[str, int] = {
    "seg": 0,
    "ter": 1,
    "qua": 2,
    "qui": 3,
    "sex": 4,
    "sab": 5,
    "sáb": 5,
    "dom": 6,
    "mon": 0,
    "tue": 1,
    "wed": 2,
    "thu": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
}
WEEKDAY_NAMES = ("seg", "ter", "qua", "qui", "sex", "sab", "dom")

Loc = tuple[str | int, ...]


class ScheduleError(ValueError):
    """The ``schedules:`` section is invalid. ``problems`` lists every ``(loc, message)``.

    ``loc`` is the path inside the document (``("schedules", "padrao", "week",
    "seg", 1)``), so a loader that kept YAML marks can print ``file:line:col``.
    """

    def __init__(self, problems: list[tuple[Loc, str]]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"{format_loc(loc)}: {msg}" for loc, msg in problems))


def format_loc(loc: Loc) -> str:
    """``("schedules", "padrao", "week", "seg", 1)`` -> ``schedules.padrao.week.seg[1]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


# --------------------------------------------------------------------------- domain data


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


def _check_shifts(shifts: Iterable[Shift]) -> Shifts:
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
        object.__setattr__(self, "week", tuple(_check_shifts(day) for day in self.week))
        days = [o.day for o in self.openings]
        if len(days) != len(set(days)):
            raise ValueError("two openings on the same date")
        self.tz  # noqa: B018 -- fail now on an unknown zone

    @property
    def tz(self) -> ZoneInfo:
        return _zone(self.timezone)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
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


# --------------------------------------------------------------------------- YAML schema


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class HolidaysConfig(_Model):
    country: str = "BR"
    subdivision: str | None = None
    categories: list[str] = Field(default_factory=lambda: ["public"], min_length=1)

    @model_validator(mode="after")
    def _known(self) -> HolidaysConfig:
        try:
            table = holidays_lib.country_holidays(self.country)
        except NotImplementedError:
            raise ValueError(f"país desconhecido {self.country!r} para os feriados") from None
        subdivisions = getattr(table, "subdivisions", ())
        if self.subdivision is not None and self.subdivision not in subdivisions:
            raise ValueError(
                f"subdivisão desconhecida {self.subdivision!r} de {self.country}; "
                f"conhecidas: {', '.join(subdivisions)}"
            )
        known = set(getattr(table, "supported_categories", ("public",)))
        unknown = [c for c in self.categories if c not in known]
        if unknown:
            raise ValueError(
                f"categorias de feriado desconhecidas {unknown} para {self.country}; "
                f"conhecidas: {sorted(known)}"
            )
        return self


class ClosureConfig(_Model):
    reason: str = Field(min_length=1)
    day: _dt.date | None = Field(default=None, alias="date")
    hours: list[str] | None = None
    start: _dt.date | None = None
    end: _dt.date | None = None
    from_: _dt.datetime | None = Field(default=None, alias="from")
    to: _dt.datetime | None = None

    @model_validator(mode="after")
    def _one_form(self) -> ClosureConfig:
        forms = [
            self.day is not None,
            self.start is not None or self.end is not None,
            self.from_ is not None or self.to is not None,
        ]
        if sum(forms) != 1:
            raise ValueError(
                "use exatamente uma destas formas: `date` (com `hours`, se quiser), "
                "`start` e `end` (datas), `from` e `to` (datas com hora)"
            )
        if self.hours is not None and self.day is None:
            raise ValueError("`hours` precisa de `date`")
        if forms[1] and (self.start is None or self.end is None or self.end < self.start):
            raise ValueError(
                "`start` e `end` são obrigatórios, com `end` no mesmo dia ou depois de `start`"
            )
        if forms[2] and (self.from_ is None or self.to is None):
            raise ValueError("`from` e `to` são obrigatórios")
        return self


class OpeningConfig(_Model):
    day: _dt.date = Field(alias="date")
    hours: list[str] = Field(min_length=1)
    reason: str | None = None


class ScheduleConfig(_Model):
    timezone: str = DEFAULT_TIMEZONE
    week: dict[str, list[str]]
    holidays: HolidaysConfig | None = Field(default_factory=HolidaysConfig)
    closures: list[ClosureConfig] = []
    openings: list[OpeningConfig] = []

    @field_validator("timezone")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        try:
            _zone(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"fuso horário desconhecido {value!r}") from None
        return value


def _weekdays(key: str) -> list[int]:
    """``"seg"`` -> [0]; ``"seg-sex"`` -> [0..4]; raises ValueError."""
    parts = [p.strip().lower() for p in str(key).split("-")]
    if len(parts) not in (1, 2) or any(p not in WEEKDAY_KEYS for p in parts):
        raise ValueError(
            f"dia da semana desconhecido {key!r}: use seg, ter, qua, qui, sex, sab, dom "
            "(ou mon ... sun), ou um intervalo como seg-sex"
        )
    first, last = WEEKDAY_KEYS[parts[0]], WEEKDAY_KEYS[parts[-1]]
    if last < first:
        raise ValueError(f"o intervalo de dias {key!r} está invertido")
    return list(range(first, last + 1))


def _shifts(texts: list[str], loc: Loc, problems: list[tuple[Loc, str]]) -> Shifts | None:
    out: list[Shift] = []
    for i, text in enumerate(texts):
        try:
            out.append(Shift.parse(text))
        except ValueError as exc:
            problems.append(((*loc, i), str(exc)))
    if len(out) != len(texts):
        return None
    try:
        return _check_shifts(out)
    except ValueError as exc:
        problems.append((loc, str(exc)))
        return None


def _local(value: datetime, tz: ZoneInfo) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


def _build(name: str, cfg: ScheduleConfig, problems: list[tuple[Loc, str]]) -> Schedule | None:
    here: Loc = ("schedules", name)
    tz = _zone(cfg.timezone)
    before = len(problems)
    week: list[Shifts | None] = [None] * 7
    for key, texts in cfg.week.items():
        try:
            days = _weekdays(key)
        except ValueError as exc:
            problems.append(((*here, "week", key), str(exc)))
            continue
        shifts = _shifts(texts, (*here, "week", key), problems)
        for d in days:
            if week[d] is not None:
                problems.append(((*here, "week", key), f"{WEEKDAY_NAMES[d]} aparece duas vezes"))
            week[d] = shifts or ()

    closures: list[Closure] = []
    for i, c in enumerate(cfg.closures):
        loc = (*here, "closures", i)
        if c.day is not None:
            if c.hours is None:
                spans = [(c.day, 0, c.day + timedelta(days=1), 0)]
            else:
                shifts = _shifts(c.hours, (*loc, "hours"), problems) or ()
                spans = [(c.day, s.start, c.day, s.end) for s in shifts]
            for d1, s1, d2, s2 in spans:
                closures.append(Closure(wall_to_utc(d1, s1, tz), wall_to_utc(d2, s2, tz), c.reason))
        elif c.start is not None and c.end is not None:
            end_day = c.end + timedelta(days=1)
            closures.append(
                Closure(wall_to_utc(c.start, 0, tz), wall_to_utc(end_day, 0, tz), c.reason)
            )
        elif c.from_ is not None and c.to is not None:
            start, end = _local(c.from_, tz), _local(c.to, tz)
            if end <= start:
                problems.append((loc, "`to` deve vir depois de `from`"))
                continue
            closures.append(Closure(start.astimezone(UTC), end.astimezone(UTC), c.reason))

    openings: list[Opening] = []
    seen: set[date] = set()
    for i, o in enumerate(cfg.openings):
        loc = (*here, "openings", i)
        if o.day in seen:
            problems.append(((*loc, "date"), f"já há outra abertura em {o.day}"))
            continue
        seen.add(o.day)
        shifts = _shifts(o.hours, (*loc, "hours"), problems)
        if shifts is not None:
            openings.append(Opening(o.day, shifts, o.reason))

    if len(problems) != before:
        return None
    rule = None
    if cfg.holidays is not None:
        rule = HolidayRule(
            cfg.holidays.country, cfg.holidays.subdivision, tuple(cfg.holidays.categories)
        )
    return Schedule(
        name=name,
        week=tuple(day or () for day in week),  # type: ignore[arg-type]
        timezone=cfg.timezone,
        holidays=rule,
        closures=tuple(sorted(closures, key=lambda c: (c.start, c.end))),
        openings=tuple(sorted(openings, key=lambda o: o.day)),
    )


def parse_schedules(data: Mapping[str, Any] | None) -> dict[str, Schedule]:
    """Validate the ``schedules:`` section (name -> config) into ``Schedule`` objects.

    Raises ``ScheduleError`` listing every problem with its path, e.g.
    ``schedules.padrao.week.seg[1]: expected "HH:MM-HH:MM" ...``.
    """
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ScheduleError([(("schedules",), "esperava um mapeamento de nome -> horário")])
    problems: list[tuple[Loc, str]] = []
    out: dict[str, Schedule] = {}
    for name, raw in data.items():
        here: Loc = ("schedules", str(name))
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
            problems.append(
                (here, "o nome de um horário tem de 1 a 64 letras, dígitos, '_' ou '-'")
            )
            continue
        try:
            cfg = ScheduleConfig.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
                problems.append(((*here, *loc), say(err)))
            continue
        schedule = _build(name, cfg, problems)
        if schedule is not None:
            out[name] = schedule
    if problems:
        raise ScheduleError(problems)
    return out


#: The ``holidays`` package's subdivision for the city of São Paulo: its
#: calendar adds 25 January and Corpus Christi to the state's.
CITY = "São Paulo Capital"

#: The shipped schedules (as in ``menus.yaml``), used when a menu file has no
#: ``schedules:`` section: split shift 9h-11h45 / 13h30-17h30, and straight 9h-17h30.
SHIPPED_SCHEDULES: dict[str, Any] = {
    "padrao": {
        "timezone": DEFAULT_TIMEZONE,
        "week": {"seg-sex": ["09:00-11:45", "13:30-17:30"]},
        "holidays": {"country": "BR", "subdivision": CITY, "categories": ["public"]},
    },
    "corrido": {
        "timezone": DEFAULT_TIMEZONE,
        "week": {"seg-sex": ["09:00-17:30"]},
        "holidays": {"country": "BR", "subdivision": CITY, "categories": ["public"]},
    },
}
