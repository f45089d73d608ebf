"""The call log writer's CPU cost per event.

Builds a fresh database with the migrations (a temporary SQLite file unless
``--url`` names an empty one, e.g. a throwaway PostgreSQL database), then:

- by default, queues the events of N realistic calls on a :class:`CallLog`
  that is not started (so queueing touches no database), times ``flush()``,
  which writes them in this thread in full batches, and prints the wall and
  CPU time per event: the writer's amortised cost with a deep queue;
- with ``--rate R``, starts the writer thread and queues the same events at
  R per second from this thread, as a busy web process would, then prints
  the writer thread's own CPU time per event, its transactions, the deepest
  the queue got and how many events were dropped.

Each call has ~5 step events (the first with step 0, the last with an
outcome) and then a "completed" status callback; calls overlap, so their
events arrive interleaved, as they do under load.

Usage: python bench/call_log_bench.py [--calls N] [--url URL] [--batch-size B] [--profile]
       python bench/call_log_bench.py --rate 2000 [--calls N] [--linger S]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from ivr.menus.actions import Outcome  # noqa: E402
from ivr.storage.call_log import CallLog  # noqa: E402
from ivr.storage.db import make_engine, upgrade  # noqa: E402
from ivr.storage.models import Call, CallStep  # noqa: E402

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
OUTCOMES = [
    Outcome("transferred", "queue:pdv"),
    Outcome("transferred", "queue:erp"),
    Outcome("voicemail", "recado"),
    Outcome("timed_out", "menu_principal"),
]
MENUS = ["menu_principal", "menu_erp", "menu_pdv", "menu_fiscal", "menu_wms"]


def call_events(rng: random.Random, index: int) -> list[tuple[str, tuple]]:
    """The events of one call, in order: its steps, then the status callback."""
    sid = f"CA{index:032x}"
    start = T0 + timedelta(seconds=index)
    steps = rng.choice((4, 5, 5, 5, 6))
    caller = f"+55119{index % 100000000:08d}"
    events: list[tuple[str, tuple]] = []
    for step in range(steps):
        last = step == steps - 1
        node = "inicio" if step == 0 else MENUS[(index + step) % len(MENUS)]
        path = ("boas_vindas", "menu_principal") if step == 0 else (MENUS[(index + step + 1) % 5],)
        events.append(
            (
                "step",
                (
                    sid,
                    step,
                    node,
                    None if step == 0 else str(rng.randrange(10)),
                    None,
                    path,
                    rng.choice(OUTCOMES) if last else None,
                    "pdv" if step >= 1 else None,
                    start + timedelta(seconds=step * 7),
                    {
                        "account_sid": "AC" + "0" * 32,
                        "from_number": caller,
                        "to_number": "+551140040000",
                        "version": 3,
                    },
                ),
            )
        )
    events.append(("status", (sid, "completed", 3, steps * 7, start + timedelta(seconds=60))))
    return events


def interleave(rng: random.Random, calls: list[list[tuple[str, tuple]]], overlap: int):
    """Each call's events in order, ``overlap`` calls in progress at a time."""
    active: list[list[tuple[str, tuple]]] = []
    waiting = iter(calls)
    out = []
    while True:
        while len(active) < overlap:
            nxt = next(waiting, None)
            if nxt is None:
                break
            active.append(list(nxt))
        if not active:
            return out
        pick = rng.randrange(len(active))
        out.append(active[pick].pop(0))
        if not active[pick]:
            active.pop(pick)


class MeasuredLog(CallLog):
    """A call log that counts its transactions and its writer thread's CPU time."""

    transactions = 0
    writer_cpu = 0.0

    def _transaction(self, events):
        self.transactions += 1
        super()._transaction(events)

    def _run(self) -> None:
        start = time.thread_time()
        try:
            super()._run()
        finally:
            self.writer_cpu = time.thread_time() - start


def queue_event(log: CallLog, kind: str, params: tuple) -> None:
    if kind == "step":
        *positional, named = params
        log.step(*positional, **named)
    else:
        log.status(*params)


def paced(log: MeasuredLog, events: list, rate: float) -> tuple[float, int]:
    """Queue ``events`` at ``rate`` per second; the seconds taken and the deepest queue."""
    deepest = 0
    started = time.perf_counter()
    for n, (kind, params) in enumerate(events):
        due = started + n / rate
        if n % 20 == 0:
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            deepest = max(deepest, log.pending)
        queue_event(log, kind, params)
    return time.perf_counter() - started, deepest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--overlap", type=int, default=100, help="calls in progress at once")
    parser.add_argument("--url", help="an empty database to migrate and use (default: temp SQLite)")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--linger", type=float, default=None)
    parser.add_argument("--max-queue", type=int, default=None)
    parser.add_argument("--rate", type=float, help="queue events at this rate to a running writer")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the flush")
    args = parser.parse_args()

    rng = random.Random(1)
    events = interleave(rng, [call_events(rng, i) for i in range(args.calls)], args.overlap)

    with tempfile.TemporaryDirectory(prefix="ivr-bench-") as tmp:
        url = args.url or f"sqlite:///{tmp}/calls.db"
        upgrade(url)
        engine = make_engine(url)
        kwargs = {"max_queue": args.max_queue or (len(events) + 1)}
        if args.batch_size:
            kwargs["batch_size"] = args.batch_size
        if args.linger is not None:
            kwargs["linger"] = args.linger
        log = MeasuredLog(engine, **kwargs)
        profiler = cProfile.Profile() if args.profile else None
        if args.rate:
            log.start()
            seconds, deepest = paced(log, events, args.rate)
            assert log.flush(600)
            log.stop()
        else:
            for kind, params in events:
                queue_event(log, kind, params)
            assert log.dropped == 0
            wall, cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            ok = log.flush(600)
            if profiler:
                profiler.disable()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            assert ok and log.pending == 0

        with engine.connect() as connection:
            n_calls = connection.scalar(select(func.count()).select_from(Call))
            n_steps = connection.scalar(select(func.count()).select_from(CallStep))
            open_calls = connection.scalar(
                select(func.count()).select_from(Call).where(Call.status != "completed")
            )
        engine.dispose()

    n = len(events)
    steps = sum(1 for kind, _ in events if kind == "step")
    print(f"backend:  {url.split(':', 1)[0]}")
    print(f"events:   {n} ({steps} steps, {args.calls} status callbacks, {args.calls} calls)")
    if args.rate:
        written = n - log.dropped
        print(f"queued:   {n / seconds:.0f} events/s for {seconds:.1f} s, queue depth <= {deepest}")
        print(f"dropped:  {log.dropped}")
        print(f"writer:   {log.writer_cpu:.3f} s CPU in {log.transactions} transactions")
        print(
            f"per event: {log.writer_cpu / written * 1e6:.1f} µs writer CPU "
            f"({log.writer_cpu / seconds * 100:.0f}% of a core)"
        )
    else:
        print(f"flush:    {wall:.3f} s wall, {cpu:.3f} s CPU in {log.transactions} transactions")
        print(f"per event: {wall / n * 1e6:.1f} µs wall, {cpu / n * 1e6:.1f} µs CPU")
    if not log.dropped:
        expected = (args.calls, steps, 0)
        assert (n_calls, n_steps, open_calls) == expected, (n_calls, n_steps, open_calls)
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
