"""Calendar speed: ``hours`` against ``businesstimedelta`` on the same questions.

Run: ``.venv/bin/python bench/hours_bench.py`` (``make bench`` calls it).

Schedule: the shipped one (9h-11h45 and 13h30-17h30, Monday to Friday,
BR + SP holidays, America/Sao_Paulo), plus a ten-day closure for the
next-open case. Every figure is the median over many single calls, timed
one by one with ``perf_counter_ns``; the calendar's per-day cache is warm
(the state a long-running web worker is in). The yardstick is
``businesstimedelta`` (``WorkDayRule`` x2 for the split shift + ``HolidayRule``
with the same ``holidays`` table) answering the nearest equivalent question:
``rules.next(t)`` gives the current or next open period, i.e. open-or-not
and the next opening.

Targets: status median <= 20 µs; next-open across a ten-day closure
<= 100 µs (a webhook's whole budget is a few milliseconds).
"""

from __future__ import annotations

import random
import statistics
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter_ns
from zoneinfo import ZoneInfo

import businesstimedelta
import holidays
import pytz

from hours.calendar import Calendar
from hours.schedule import CITY
from hours.schedules_section import SHIPPED_SCHEDULES, parse_schedules

SP = ZoneInfo("America/Sao_Paulo")
N = 20_000
TARGETS = {"status": 20.0, "next-open across a 10-day closure": 100.0}


def median_us(fn: Callable[[datetime], object], instants: list[datetime]) -> float:
    timer = perf_counter_ns
    samples = []
    for t in instants:
        t0 = timer()
        fn(t)
        samples.append(timer() - t0)
    return statistics.median(samples) / 1000


def random_instants(n: int, seed: int = 4) -> list[datetime]:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    span = 2 * 365 * 86_400
    return [datetime.fromtimestamp(start + rng.random() * span, UTC) for _ in range(n)]


def yardstick(closed_days: list[date] = ()) -> businesstimedelta.Rules:
    """The shipped schedule in businesstimedelta; closure days join the holiday table
    (its list-of-dates HolidayRule fails once past its last date)."""
    tz = pytz.timezone("America/Sao_Paulo")
    table = holidays.country_holidays("BR", subdiv=CITY, years=range(2025, 2030))
    table.update({d: "Férias" for d in closed_days})
    days = [0, 1, 2, 3, 4]
    return businesstimedelta.Rules(
        [
            businesstimedelta.WorkDayRule(
                start_time=time(9, 0), end_time=time(11, 45), working_days=days, tz=tz
            ),
            businesstimedelta.WorkDayRule(
                start_time=time(13, 30), end_time=time(17, 30), working_days=days, tz=tz
            ),
            businesstimedelta.HolidayRule(table, tz=tz),
        ]
    )


def main() -> None:
    schedules = dict(SHIPPED_SCHEDULES)
    padrao = parse_schedules(schedules)["padrao"]
    closure_first = datetime(2027, 1, 4, tzinfo=SP)  # Monday; closed to Wednesday 13th
    with_closure = dict(SHIPPED_SCHEDULES["padrao"])
    with_closure["closures"] = [{"start": "2027-01-04", "end": "2027-01-13", "reason": "Férias"}]
    closed = parse_schedules({"ferias": with_closure})["ferias"]

    cal = Calendar(padrao)
    cal_closed = Calendar(closed)
    instants = random_instants(N)
    in_closure = [
        closure_first + timedelta(seconds=random.Random(i).random() * 2 * 86_400) for i in range(N)
    ]
    for t in instants[:2000] + in_closure[:200]:  # warm the per-day caches
        cal.status(t)
        cal_closed.status(t)

    rules = yardstick()
    rules_closed = yardstick([closure_first.date() + timedelta(days=i) for i in range(10)])
    expect = cal_closed.next_opening(in_closure[0])
    got = rules_closed.next(in_closure[0])[0]
    assert expect == got, (expect, got)  # both calendars agree before we time them
    for t in instants[:500]:
        start, _ = rules.next(t)
        assert (start <= t) is cal.is_open(t), t
        assert start == (t if start <= t else cal.next_opening(t)), t

    rows = [
        ("status", "hours Calendar.status", median_us(cal.status, instants)),
        ("status", "hours Calendar.is_open", median_us(cal.is_open, instants)),
        ("status", "businesstimedelta Rules.next", median_us(rules.next, instants[:5000])),
        (
            "next-open across a 10-day closure",
            "hours Calendar.next_opening",
            median_us(cal_closed.next_opening, in_closure),
        ),
        (
            "next-open across a 10-day closure",
            "hours Calendar.status",
            median_us(cal_closed.status, in_closure),
        ),
        (
            "next-open across a 10-day closure",
            "businesstimedelta Rules.next",
            median_us(rules_closed.next, in_closure[:2000]),
        ),
    ]
    print(f"{'query':<36} {'implementation':<32} {'median µs':>10} {'target':>8}")
    failed = False
    for query, impl, value in rows:
        target = TARGETS[query] if impl.startswith("hours") else None
        mark = ""
        if target is not None:
            ok = value <= target
            failed |= not ok
            mark = f"{'≤' if ok else '>'}{target:g}"
        print(f"{query:<36} {impl:<32} {value:>10.2f} {mark:>8}")
    if failed:
        print("a calendar figure misses its target", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
