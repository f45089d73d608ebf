"""The business calendar: open or closed, why, until when, and business-time arithmetic.

``Calendar(schedule, emergencies)`` answers for one ``Schedule``. Every
instant passed in must be timezone-aware (naive ones raise ``NaiveDatetime``);
every instant returned is aware, in the schedule's zone.

Speed: the open intervals of a local day are computed once, as UTC instants,
and kept in a per-calendar dict keyed by the day's ordinal; the holiday table
is built once per holiday rule per process. A status query is then a zone
conversion, a dict look-up and a bisect. Emergency closures are *not* cached:
they are asked for on every query (from an iterable, or a callable such as a
store that polls the database), and subtracted from the cached days.

Definitions (what the property tests check):

- ``is_open(t)``: ``t`` lies in an open interval ``[start, end)``.
- ``next_opening(t)``: the first open instant ``>= t`` (``t`` itself when open).
- ``closing(t)``: the first closed instant ``>= t`` (``t`` itself when closed).
- ``status(t).closes_at``: when open, ``closing(t)``; else None.
  ``status(t).next_open``: the start of the first open period beginning after
  ``t`` (when closed, ``next_opening(t)``; when open, the reopening after
  ``closes_at``). Either is None when nothing is found within ``HORIZON_DAYS``.
- ``business_time_between(a, b)``: the open time in ``[a, b)`` (negative when b < a).
- ``add_business_time(a, d)``: the earliest ``t >= a`` with ``d`` open time in ``[a, t)``.
  So ``add_business_time(a, business_time_between(a, b)) == b`` exactly when
  ``b == a`` or the instant just before ``b`` is open (``b`` is inside an open
  period or is its end); otherwise it is the end of the last open period
  before ``b``.
- ``open_slots(a, b, size)``: slots ``[s, s + size)`` inside ``[a, b)``, each
  entirely open, starting at the beginning of an open period and every
  ``step`` (default ``size``) after it.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from hours.clock import NaiveDatetime, require_aware
from hours.schedule import EmergencyClosure, Schedule, wall_to_utc

__all__ = [
    "HORIZON_DAYS",
    "Calendar",
    "CalendarEntry",
    "EmergencySource",
    "NaiveDatetime",
    "NoOpening",
    "Reason",
    "Slot",
    "Status",
]

#: How far ahead the calendar looks for an opening or a closing.
HORIZON_DAYS = 2 * 366
_CACHE_LIMIT = 4096  # days kept per calendar (about 11 years)
_FOREVER = datetime.max.replace(tzinfo=UTC)

EmergencySource = Iterable[EmergencyClosure] | Callable[[], Iterable[EmergencyClosure]]


class NoOpening(LookupError):
    """No open time within the calendar's horizon (business-time arithmetic)."""


class Reason(StrEnum):
    """Why the line is open or closed at an instant (stable names: JSON, logs)."""

    OPEN = "open"
    BEFORE_HOURS = "before_hours"
    LUNCH = "lunch"  # between two shifts of the same day
    AFTER_HOURS = "after_hours"
    WEEKEND = "weekend"  # Saturday or Sunday without shifts
    DAY_OFF = "day_off"  # a weekday without shifts
    HOLIDAY = "holiday"
    CLOSURE = "closure"  # a company closure from the schedule
    EMERGENCY = "emergency"  # "fechar agora"


@dataclass(frozen=True, slots=True)
class Status:
    """The answer for one instant. Instants are in the schedule's zone."""

    at: datetime
    schedule: str
    open: bool
    reason: Reason
    detail: str | None  # the holiday's name, the closure's reason or the emergency's message
    holiday: str | None  # today's holiday (counted by the schedule), open or not
    closes_at: datetime | None
    next_open: datetime | None
    # Today's open periods in UTC (closures and emergencies taken out; left in
    # UTC so that a status query pays nothing for them), and the reason
    # of the schedule closure that took away the end of today's hours, if one
    # did: what "Hoje, véspera de Natal, nosso atendimento foi só até o
    # meio-dia." needs.
    today: tuple[tuple[datetime, datetime], ...] = ()
    day_closure: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; instants as ISO-8601 with offset."""
        return {
            "at": self.at.isoformat(),
            "schedule": self.schedule,
            "open": self.open,
            "reason": self.reason.value,
            "detail": self.detail,
            "holiday": self.holiday,
            "closes_at": self.closes_at.isoformat() if self.closes_at else None,
            "next_open": self.next_open.isoformat() if self.next_open else None,
        }


class Slot(NamedTuple):
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """One line of a year's calendar: a holiday, a closure or a special opening."""

    kind: str  # "holiday" | "closure" | "opening"
    name: str
    start: datetime  # in the schedule's zone
    end: datetime  # excluded
    all_day: bool  # whole local days: start and end are local midnights


Span = tuple[datetime, datetime]
_Emergency = tuple[datetime, datetime, str]  # UTC start, UTC end (or _FOREVER), message


@dataclass(frozen=True, slots=True)
class _Day:
    ordinal: int
    start: datetime  # UTC, the local midnight
    end: datetime  # UTC, the next local midnight
    open: tuple[Span, ...]  # schedule's open intervals, UTC, sorted, merged
    ends: tuple[datetime, ...]  # their ends, for bisect
    closures: tuple[tuple[datetime, datetime, str], ...]  # closure spans clipped to the day
    holiday: str | None
    cut_by: str | None  # the closure that took away the end of the day's shifts
    special: bool  # an opening replaced the weekday's shifts
    weekday: int
    no_shifts: bool  # nothing would open this day before closures


def _utc(value: datetime) -> datetime:
    return require_aware(value).astimezone(UTC)


def _merge(spans: Iterable[Span]) -> list[Span]:
    out: list[Span] = []
    for s, e in sorted(spans):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _subtract(spans: Iterable[Span], cuts: Iterable[Span]) -> list[Span]:
    out = list(spans)
    for cs, ce in cuts:
        nxt: list[Span] = []
        for s, e in out:
            if ce <= s or cs >= e:
                nxt.append((s, e))
                continue
            if s < cs:
                nxt.append((s, cs))
            if ce < e:
                nxt.append((ce, e))
        out = nxt
    return out


class Calendar:
    """Business hours of one schedule; see the module docstring for the definitions."""

    def __init__(self, schedule: Schedule, emergencies: EmergencySource = ()) -> None:
        self.schedule = schedule
        self.tz = schedule.tz
        self._emergency_source = emergencies
        self._days: dict[int, _Day] = {}
        self._lock = threading.Lock()
        self._openings = {o.day: o for o in schedule.openings}
        self._closures = tuple(
            (c.start.astimezone(UTC), c.end.astimezone(UTC), c.reason) for c in schedule.closures
        )

    # ------------------------------------------------------------------ days

    def _day(self, ordinal: int) -> _Day:
        day = self._days.get(ordinal)
        if day is None:
            with self._lock:
                day = self._days.get(ordinal)
                if day is None:
                    if len(self._days) >= _CACHE_LIMIT:
                        self._days.clear()
                    day = self._days[ordinal] = self._build_day(ordinal)
        return day

    def _build_day(self, ordinal: int) -> _Day:
        sched, tz = self.schedule, self.tz
        d = date.fromordinal(ordinal)
        start = wall_to_utc(d, 0, tz)
        end = wall_to_utc(date.fromordinal(ordinal + 1), 0, tz)
        holiday = sched.holidays.name_on(d) if sched.holidays is not None else None
        opening = self._openings.get(d)
        if opening is not None:
            shifts = opening.shifts
        elif holiday is not None:
            shifts = ()
        else:
            shifts = sched.week[d.weekday()]
        spans = [(wall_to_utc(d, s.start, tz), wall_to_utc(d, s.end, tz)) for s in shifts]
        spans = [(max(s, start), min(e, end)) for s, e in spans]
        closures = tuple(
            (max(cs, start), min(ce, end), reason)
            for cs, ce, reason in self._closures
            if cs < end and ce > start
        )
        regular = _merge(spans)
        opened = tuple(_merge(_subtract(regular, [(s, e) for s, e, _ in closures])))
        # A closure that took away the end of the day's hours (24 December from
        # noon, or the whole day): it says why the day ends early.
        cut_by = None
        if regular and (not opened or opened[-1][1] < regular[-1][1]):
            after = opened[-1][1] if opened else start
            cut_by = next(
                (
                    reason
                    for cs, ce, reason in closures
                    if ce > after and any(cs < e and ce > max(s, after) for s, e in regular)
                ),
                None,
            )
        return _Day(
            ordinal=ordinal,
            start=start,
            end=end,
            open=opened,
            ends=tuple(e for _, e in opened),
            closures=closures,
            holiday=holiday,
            cut_by=cut_by,
            special=opening is not None,
            weekday=d.weekday(),
            no_shifts=not shifts,
        )

    def _day_of(self, u: datetime) -> _Day:
        day = self._day(u.astimezone(self.tz).toordinal())
        while u < day.start:  # only around odd zone transitions
            day = self._day(day.ordinal - 1)
        while u >= day.end:
            day = self._day(day.ordinal + 1)
        return day

    def _emergencies(self, after: datetime) -> tuple[_Emergency, ...]:
        source = self._emergency_source
        items = source() if callable(source) else source
        name = self.schedule.name
        out = []
        for em in items:
            if not em.applies_to(name):
                continue
            end = _FOREVER if em.end is None else em.end.astimezone(UTC)
            if end > after:
                out.append((em.start.astimezone(UTC), end, em.message))
        return tuple(out)

    @staticmethod
    def _open_in(day: _Day, em: tuple[_Emergency, ...]) -> tuple[Span, ...]:
        if not em:
            return day.open
        cuts = [(s, e) for s, e, _ in em if s < day.end and e > day.start]
        return tuple(_subtract(day.open, cuts)) if cuts else day.open

    def _periods(
        self, u: datetime, em: tuple[_Emergency, ...]
    ) -> Iterator[tuple[datetime, datetime | None]]:
        """Maximal open periods ending after ``u``, in order (end None: past the horizon)."""
        limit_ordinal = None
        forever = [s for s, e, _ in em if e is _FOREVER]
        day = self._day_of(u)
        last = day.ordinal + HORIZON_DAYS
        if forever:
            limit_ordinal = self._day_of(max(min(forever), u)).ordinal
            last = min(last, limit_ordinal)
        ps: datetime | None = None
        pe: datetime | None = None
        while True:
            for s, e in self._open_in(day, em):
                if e <= u:
                    continue
                if pe is not None and s <= pe:
                    pe = max(pe, e)
                    continue
                if ps is not None:
                    yield ps, pe
                ps, pe = s, e
            if day.ordinal >= last:
                break
            day = self._day(day.ordinal + 1)
        if ps is not None:
            # Still open at the end of the last day looked at: the end is unknown,
            # unless an open-ended emergency starts there.
            yield ps, (pe if pe < day.end or forever else None)  # type: ignore[operator]

    # ------------------------------------------------------------------ queries

    def is_open(self, at: datetime) -> bool:
        """Whether the line is open at ``at``."""
        u = _utc(at)
        day = self._day_of(u)
        i = bisect_right(day.ends, u)
        if i == len(day.open) or day.open[i][0] > u:
            return False
        return not any(s <= u < e for s, e, _ in self._emergencies(u))

    def status(self, at: datetime) -> Status:
        """Open or closed at ``at``, why, when it closes and when it next opens."""
        u = _utc(at)
        em = self._emergencies(u)
        day = self._day_of(u)
        intervals = self._open_in(day, em)
        ends = day.ends if intervals is day.open else tuple(e for _, e in intervals)
        i = bisect_right(ends, u)
        is_open = i < len(intervals) and intervals[i][0] <= u
        closes_at = next_open = None
        periods = self._periods(u, em)
        first = next(periods, None)
        if is_open:
            reason, detail = Reason.OPEN, None
            if first is not None:
                closes_at = first[1]
                if closes_at is not None:
                    second = next(periods, None)
                    next_open = second[0] if second is not None else None
        else:
            reason, detail = self._why_closed(u, day, intervals, i, em)
            next_open = first[0] if first is not None else None
            if reason is Reason.EMERGENCY:
                detail = self._emergency_until(u, next_open, em)
        tz = self.tz
        return Status(
            at=u.astimezone(tz),
            schedule=self.schedule.name,
            open=is_open,
            reason=reason,
            detail=detail,
            holiday=day.holiday,
            closes_at=closes_at.astimezone(tz) if closes_at is not None else None,
            next_open=next_open.astimezone(tz) if next_open is not None else None,
            today=intervals,
            day_closure=day.cut_by,
        )

    @staticmethod
    def _emergency_until(u: datetime, reopens: datetime | None, em: tuple[_Emergency, ...]) -> str:
        """The message of the emergency closure that keeps the line closed longest
        before it reopens: said with the reopening time, it never borrows another
        closure's end (two overlapping closures: the later end and its message)."""
        stretch_end = _FOREVER if reopens is None else reopens
        lasting = [(e, s, m) for s, e, m in em if s < stretch_end and e > u]
        return max(lasting)[2]

    @staticmethod
    def _why_closed(
        u: datetime,
        day: _Day,
        intervals: tuple[Span, ...],
        i: int,
        em: tuple[_Emergency, ...],
    ) -> tuple[Reason, str | None]:
        for s, e, message in em:
            if s <= u < e:
                return Reason.EMERGENCY, message
        for s, e, reason in day.closures:
            if s <= u < e:
                return Reason.CLOSURE, reason
        if day.holiday is not None and not day.special:
            return Reason.HOLIDAY, day.holiday
        if day.no_shifts:
            return (Reason.WEEKEND if day.weekday >= 5 else Reason.DAY_OFF), None
        if i == 0 and intervals:
            return Reason.BEFORE_HOURS, None
        if i < len(intervals):
            return Reason.LUNCH, None
        return Reason.AFTER_HOURS, None

    def next_opening(self, at: datetime) -> datetime | None:
        """The first open instant at or after ``at`` (``at`` itself when open)."""
        u = _utc(at)
        first = next(self._periods(u, self._emergencies(u)), None)
        if first is None:
            return None
        return max(first[0], u).astimezone(self.tz)

    def closing(self, at: datetime) -> datetime | None:
        """The first closed instant at or after ``at`` (``at`` itself when closed)."""
        u = _utc(at)
        first = next(self._periods(u, self._emergencies(u)), None)
        if first is None or first[0] > u:
            return u.astimezone(self.tz)
        return first[1].astimezone(self.tz) if first[1] is not None else None

    # ------------------------------------------------------------------ arithmetic

    def _intervals_between(
        self, a: datetime, b: datetime, em: tuple[_Emergency, ...]
    ) -> Iterator[Span]:
        """Open intervals clipped to ``[a, b)`` (UTC), in order."""
        day = self._day_of(a)
        while day.start < b:
            for s, e in self._open_in(day, em):
                s, e = max(s, a), min(e, b)
                if s < e:
                    yield s, e
            day = self._day(day.ordinal + 1)

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Open time in ``[start, end)``; negative when ``end`` is before ``start``."""
        a, b = _utc(start), _utc(end)
        if b < a:
            return -self.business_time_between(end, start)
        em = self._emergencies(a)
        total = timedelta(0)
        for s, e in self._intervals_between(a, b, em):
            total += e - s
        return total

    def add_business_time(self, start: datetime, amount: timedelta) -> datetime:
        """The earliest instant ``t >= start`` with ``amount`` of open time in ``[start, t)``.

        Raises ``NoOpening`` when the line stays closed for ``HORIZON_DAYS`` days.
        """
        if amount < timedelta(0):
            raise ValueError("amount must not be negative")
        u = _utc(start)
        if not amount:
            return u.astimezone(self.tz)
        em = self._emergencies(u)
        left = amount
        day = self._day_of(u)
        idle = 0
        while idle <= HORIZON_DAYS:
            found = False
            for s, e in self._open_in(day, em):
                if e <= u:
                    continue
                s = max(s, u)
                found = True
                if e - s >= left:
                    return (s + left).astimezone(self.tz)
                left -= e - s
            idle = 0 if found else idle + 1
            day = self._day(day.ordinal + 1)
        raise NoOpening(f"schedule {self.schedule.name!r} stays closed for {HORIZON_DAYS} days")

    def add_business_hours(self, start: datetime, hours: float) -> datetime:
        """``add_business_time`` with hours ("48 horas úteis")."""
        return self.add_business_time(start, timedelta(hours=hours))

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """The close of the ``days``-th business day after the local date of ``start``.

        A business day is a local date on which the line opens at all; the
        day of ``start`` does not count. "6 dias úteis" from Monday 10h with
        Monday to Friday hours is the close of the following Tuesday.
        """
        if days < 1:
            raise ValueError("days must be at least 1")
        u = _utc(start)
        em = self._emergencies(u)
        day = self._day_of(u)
        idle = 0
        while idle <= HORIZON_DAYS:
            day = self._day(day.ordinal + 1)
            intervals = self._open_in(day, em)
            if intervals:
                idle = 0
                days -= 1
                if days == 0:
                    return intervals[-1][1].astimezone(self.tz)
            else:
                idle += 1
        raise NoOpening(f"schedule {self.schedule.name!r} stays closed for {HORIZON_DAYS} days")

    def open_slots(
        self,
        start: datetime,
        end: datetime,
        size: timedelta,
        step: timedelta | None = None,
    ) -> list[Slot]:
        """Slots of ``size`` entirely open and inside ``[start, end)`` (callback booking).

        Within each open period, slots start at the period's beginning and
        every ``step`` (default: ``size``) after it.
        """
        if size <= timedelta(0) or (step is not None and step <= timedelta(0)):
            raise ValueError("size and step must be positive")
        step = step or size
        a, b = _utc(start), _utc(end)
        out: list[Slot] = []
        if b <= a:
            return out
        tz = self.tz
        em = self._emergencies(a)
        for ps, pe in self._periods(a, em):
            if ps >= b:
                break
            stop = b if pe is None else min(pe, b)
            s = ps
            if s < a:
                s += -(-(a - s) // step) * step  # round up to the step grid
            while s + size <= stop:
                out.append(Slot(s.astimezone(tz), (s + size).astimezone(tz)))
                s += step
            if pe is None:
                break
        return out

    # ------------------------------------------------------------------ listing

    def hours_on(self, day: date) -> tuple[Slot, ...]:
        """The schedule's open periods on a local date (emergency closures aside)."""
        tz = self.tz
        return tuple(
            Slot(s.astimezone(tz), e.astimezone(tz)) for s, e in self._day(day.toordinal()).open
        )

    def optional_days(self, year: int) -> list[tuple[date, str]]:
        """The year's optional days ("pontos facultativos": Carnaval, 24 December …)
        of the schedule's holiday rule, whether the schedule closes on them or not."""
        rule = self.schedule.holidays
        return rule.optional_in_year(year) if rule is not None else []

    def entries(self, year: int) -> list[CalendarEntry]:
        """The year's holidays (counted by the schedule), closures and special openings."""
        tz = self.tz
        out: list[CalendarEntry] = []
        jan1 = wall_to_utc(date(year, 1, 1), 0, tz)
        next_jan1 = wall_to_utc(date(year + 1, 1, 1), 0, tz)
        if self.schedule.holidays is not None:
            for d, name in self.schedule.holidays.in_year(year):
                if d in self._openings:
                    continue
                out.append(
                    CalendarEntry(
                        "holiday",
                        name,
                        wall_to_utc(d, 0, tz).astimezone(tz),
                        wall_to_utc(d + timedelta(days=1), 0, tz).astimezone(tz),
                        all_day=True,
                    )
                )
        for c in self.schedule.closures:
            if c.start < next_jan1 and c.end > jan1:
                s, e = c.start.astimezone(tz), c.end.astimezone(tz)
                whole = s.time() == e.time() == datetime.min.time()
                out.append(CalendarEntry("closure", c.reason, s, e, all_day=whole))
        for o in self.schedule.openings:
            if o.day.year == year:
                for shift in o.shifts:
                    out.append(
                        CalendarEntry(
                            "opening",
                            o.reason or "Atendimento especial",
                            wall_to_utc(o.day, shift.start, tz).astimezone(tz),
                            wall_to_utc(o.day, shift.end, tz).astimezone(tz),
                            all_day=False,
                        )
                    )
        out.sort(key=lambda x: (x.start, x.end, x.kind))
        return out
