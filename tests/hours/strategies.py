"""Hypothesis strategies for the calendar (to be merged into tests/strategies.py).

Every boundary they produce falls on a whole UTC minute (shifts on a
15-minute local grid, closures and emergencies on whole minutes, zones with
whole-minute offsets), so the open/closed state is constant within each
minute: checking each minute's first instant checks every instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from hours.schedule import Closure, EmergencyClosure, HolidayRule, Opening, Schedule, Shift

ZONES = (
    "America/Sao_Paulo",
    "America/Manaus",
    "America/Noronha",
    "UTC",
    "Asia/Kolkata",  # +05:30
    "America/New_York",  # DST
    "Europe/Lisbon",  # DST
)
HOLIDAY_RULES = (
    None,
    HolidayRule("BR"),
    HolidayRule("BR", "SP"),
    HolidayRule("BR", "SP", ("public", "optional")),
)
FIRST = datetime(2025, 12, 1, tzinfo=UTC)
LAST = datetime(2028, 1, 31, tzinfo=UTC)


@st.composite
def day_shifts(draw: st.DrawFn, max_shifts: int = 3) -> tuple[Shift, ...]:
    """0 to ``max_shifts`` non-overlapping shifts on a 15-minute grid (24:00 included)."""
    points = sorted(draw(st.lists(st.integers(0, 96), unique=True, max_size=2 * max_shifts)))
    pairs = zip(points[::2], points[1::2], strict=False)
    return tuple(Shift(a * 900, b * 900) for a, b in pairs)


weeks = st.tuples(*[day_shifts() for _ in range(7)])

instants = st.datetimes(
    min_value=FIRST.replace(tzinfo=None),
    max_value=LAST.replace(tzinfo=None),
    timezones=st.sampled_from([UTC, *(ZoneInfo(z) for z in ZONES)]),
)


def minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


@dataclass(frozen=True)
class Scenario:
    schedule: Schedule
    emergencies: tuple[EmergencyClosure, ...]
    at: datetime  # an instant near which the closures and emergencies fall


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """A random schedule, with closures, openings and emergencies around a random instant."""
    at = draw(instants)
    # An instant, not a wall time: a time in a DST gap compares unequal to everything
    # in other zones (PEP 495), so round-trip it into a real local time of its zone.
    at = at.astimezone(UTC).astimezone(at.tzinfo)
    tz = ZoneInfo(draw(st.sampled_from(ZONES)))
    base = minute(at.astimezone(UTC))
    offsets = st.integers(-3 * 1440, 12 * 1440).map(lambda m: base + timedelta(minutes=m))
    lengths = st.integers(1, 10 * 1440).map(lambda m: timedelta(minutes=m))

    closures = []
    for _ in range(draw(st.integers(0, 3))):
        if draw(st.booleans()):  # whole local days
            first = (base.astimezone(tz) + timedelta(days=draw(st.integers(-3, 12)))).date()
            days = draw(st.integers(1, 10))
            start = datetime.combine(first, datetime.min.time(), tz)
            end = datetime.combine(first + timedelta(days=days), datetime.min.time(), tz)
            closures.append(Closure(start, end, f"Fechado {len(closures)}"))
        else:
            start = draw(offsets)
            closures.append(Closure(start, start + draw(lengths), f"Parcial {len(closures)}"))

    opening_days = draw(
        st.lists(st.integers(-3, 12), unique=True, max_size=2).map(
            lambda ds: [(base.astimezone(tz) + timedelta(days=d)).date() for d in ds]
        )
    )
    openings = tuple(Opening(d, draw(day_shifts(2)), "Especial") for d in opening_days)

    emergencies = []
    for _ in range(draw(st.integers(0, 2))):
        start = draw(offsets)
        end = None if draw(st.integers(0, 5)) == 0 else start + draw(lengths)
        emergencies.append(EmergencyClosure(start, end, "Emergência"))

    schedule = Schedule(
        name="aleatorio",
        week=draw(weeks),
        timezone=tz.key,
        holidays=draw(st.sampled_from(HOLIDAY_RULES)),
        closures=tuple(closures),
        openings=openings,
    )
    return Scenario(schedule, tuple(emergencies), at)
