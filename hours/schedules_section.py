"""The ``schedules:`` section of a menu document, read into ``hours.schedule`` types.

``parse_schedules`` validates the section with the pydantic models below
(its schema) and builds frozen ``Schedule`` objects; every problem is
reported with the path of the field (``schedules.padrao.week.seg[1]: ...``).

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

The rules the calendar applies to these are described in ``hours.schedule``.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hours.schedule import (
    CITY,
    DEFAULT_TIMEZONE,
    WEEKDAY_NAMES,
    Closure,
    HolidayRule,
    Opening,
    Schedule,
    Shift,
    Shifts,
    ordered_shifts,
    wall_to_utc,
    zone,
)
from hours.validation import say

__all__ = ["SHIPPED_SCHEDULES", "WEEKDAY_KEYS", "ScheduleError", "parse_schedules"]

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
            zone(value)
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
        return ordered_shifts(out)
    except ValueError as exc:
        problems.append((loc, str(exc)))
        return None


def _local(value: datetime, tz: ZoneInfo) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


def _build(name: str, cfg: ScheduleConfig, problems: list[tuple[Loc, str]]) -> Schedule | None:
    here: Loc = ("schedules", name)
    tz = zone(cfg.timezone)
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
        raise ScheduleError([(("schedules",), "esperava um mapeamento de nome -> agenda")])
    problems: list[tuple[Loc, str]] = []
    out: dict[str, Schedule] = {}
    for name, raw in data.items():
        here: Loc = ("schedules", str(name))
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
            problems.append(
                (here, "o nome de uma agenda tem de 1 a 64 letras, dígitos, '_' ou '-'")
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
