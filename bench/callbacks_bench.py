"""Callbacks: booking with 100,000 callbacks already booked, and the dispatcher's own cost.

Builds a fresh database with the migrations (a temporary SQLite file unless
``--url`` names an empty one, e.g. a throwaway PostgreSQL database), then:

- **booking**: fills the table with 100,000 callbacks of the shipped ``erp``
  line (30-minute slots of 4): the past year's, completed, and the next five
  business days' slots full, as on a flooded Monday. Then books N new
  numbers one at a time, each in its own transaction (``book`` + commit, what
  a webhook or ``ivr callbacks request`` does), and prints the median and
  p99. Each booking must skip the full days to find a free slot. Bar: median
  under 5 ms.
- **dispatcher**: N due callbacks dialed by one dispatcher with no
  calls-per-second limit, through the real twilio client, against the Calls
  API stand-in on 127.0.0.1. Prints the wall time per callback and the
  dispatcher's own share (the wall time minus the time spent inside the
  HTTP request to the stand-in). Bar: own share under 5 ms.

Usage: python bench/callbacks_bench.py [--existing N] [--bookings N] [--calls N] [--url URL]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from callbacks.booking import book  # noqa: E402
from callbacks.dispatcher import Dispatcher  # noqa: E402
from callbacks.outbound import OutboundCall  # noqa: E402
from hours.oracle import Hours  # noqa: E402
from ivr.callback_setup import line_setup  # noqa: E402
from ivr.menus.loader import load_menu  # noqa: E402
from ivr.storage.db import BEGIN_IMMEDIATE, make_engine, upgrade  # noqa: E402
from ivr.storage.models import Callback, CallbackSlot  # noqa: E402
from ivr.telephony.dialer import TwilioDialer  # noqa: E402
from tests.callbacks.twilio_standin import TwilioCalls  # noqa: E402
from tests.tickets_bridge.standins.server import serving  # noqa: E402

# Monday 30 November 2026, 8h in São Paulo: before the line opens.
NOW = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
LINE = "erp"


def _setup():
    menu = load_menu((ROOT / "menus.yaml").read_text(encoding="utf-8"), "menus.yaml")
    return line_setup(menu, Hours.or_shipped(menu.schedules), LINE)


def fill(engine, existing: int) -> None:
    """``existing`` callbacks: the next five business days full, the rest in the past year."""
    setup = _setup()
    size, per_slot = setup.policy.slot_length, setup.policy.per_slot
    future = setup.calendar.open_slots(NOW, NOW + timedelta(days=7), size)
    past = setup.calendar.open_slots(NOW - timedelta(days=700), NOW, size)
    # the past two years' slots, each with its share of the history (capacity was raised)
    past_each = -(-(existing - len(future) * per_slot) // len(past))
    rows, slots = [], []
    n = 0
    plan = [(s, "scheduled", per_slot) for s in future] + [
        (s, "completed", past_each) for s in past
    ]
    for slot, status, count in plan:
        if n >= existing:
            break
        slots.append({"line": LINE, "start": slot.start, "end": slot.end, "booked": count})
        for _ in range(count):
            rows.append(
                {
                    "protocol": f"B{n:011d}",
                    "number": f"+5511{900000000 + n}",
                    "line": LINE,
                    "status": status,
                    "active_key": f"{LINE} +5511{900000000 + n}" if status == "scheduled" else None,
                    "slot_start": slot.start,
                    "slot_end": slot.end,
                    "scheduled_for": slot.start,
                    "attempts": 0 if status == "scheduled" else 1,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
            n += 1
    with Session(engine) as session:
        for i in range(0, len(rows), 5000):
            session.execute(insert(Callback), rows[i : i + 5000])
        session.execute(insert(CallbackSlot), slots)
        session.commit()
    print(f"  {n} callbacks in the table ({len(future) * per_slot} of them the next days')")


def bench_booking(engine, bookings: int) -> float:
    setup = _setup()
    writer = engine.execution_options(**{BEGIN_IMMEDIATE: True})
    times = []
    first = last = None
    for i in range(bookings):
        started = time.perf_counter()
        with Session(writer) as session:
            callback = book(
                session,
                setup.calendar,
                setup.policy,
                line=LINE,
                number=f"+5521{900000000 + i}",
                protocol=f"N{i:011d}",
                now=NOW,
            )
            first = first or callback.slot_start
            last = callback.slot_start
            session.commit()
        times.append(time.perf_counter() - started)
    median = statistics.median(times) * 1000
    p99 = statistics.quantiles(times, n=100)[98] * 1000
    print(f"  booked {bookings}: first slot {first}, last {last}")
    print(f"  booking: median {median:.2f} ms, p99 {p99:.2f} ms (bar: median < 5 ms)")
    return median


class TimedDialer(TwilioDialer):
    """The real dialer, timing the HTTP request it makes."""

    spent = 0.0

    def dial(self, call: OutboundCall) -> str:
        started = time.perf_counter()
        try:
            return super().dial(call)
        finally:
            self.spent += time.perf_counter() - started


def bench_dispatcher(engine, calls: int) -> float:
    setup = _setup()
    due = NOW + timedelta(hours=3)  # 11h in São Paulo: open
    with Session(engine) as session:
        session.execute(
            insert(Callback),
            [
                {
                    "protocol": f"D{i:011d}",
                    "number": f"+5531{900000000 + i}",
                    "line": "dispatch",
                    "status": "scheduled",
                    "active_key": f"dispatch {i}",
                    "slot_start": due,
                    "slot_end": due + timedelta(minutes=30),
                    "scheduled_for": due,
                    "attempts": 0,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for i in range(calls)
            ],
        )
        session.commit()
    policy = type(setup.policy)(max_simultaneous=calls, per_slot=calls)
    from callbacks.dispatcher import LineSetup

    standin = TwilioCalls()
    with serving(standin) as url:
        dialer = TimedDialer("AC" + "0" * 32, "token", "+551140040000", base_url=url)
        dispatcher = Dispatcher(
            engine,
            lambda _line: LineSetup(setup.calendar, policy),
            dialer,
            "https://ivr.example.com.br",
            lambda: due,
            cps=None,
            batch=50,
        )
        started = time.perf_counter()
        placed = dispatcher.run_until_idle()
        wall = time.perf_counter() - started
    assert placed == calls == len(standin.calls), (placed, len(standin.calls))
    per_call = wall / calls * 1000
    own = (wall - dialer.spent) / calls * 1000
    print(
        f"  dispatcher: {calls} calls in {wall:.2f} s: {per_call:.2f} ms per callback, "
        f"of which the HTTP request {dialer.spent / calls * 1000:.2f} ms, "
        f"the dispatcher's own {own:.2f} ms (bar: < 5 ms)"
    )
    return own


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--existing", type=int, default=100_000)
    parser.add_argument("--bookings", type=int, default=300)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--url", default=None, help="an empty database (default: a SQLite file)")
    parser.add_argument(
        "--dispatch-url", default=None, help="another empty one, for the dispatcher"
    )
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the stand-in's request log
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        engine = make_engine(url)
        print(f"callbacks bench on {engine.dialect.name}")
        fill(engine, args.existing)
        median = bench_booking(engine, args.bookings)
        engine.dispose()
        # the dispatcher on a database of its own: only its callbacks are due
        url = args.dispatch_url or f"sqlite:///{tmp}/dispatch.db"
        upgrade(url)
        engine = make_engine(url)
        own = bench_dispatcher(engine, args.calls)
        engine.dispose()
    return 0 if median < 5 and own < 5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
