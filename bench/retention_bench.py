"""The retention job on three years of calls, with webhooks answering while it deletes.

For each database (a temporary SQLite file, and a throwaway PostgreSQL
cluster when its server binaries are on the machine, started as the tests
start theirs):

1. migrates it, publishes the shipped menu and seeds N calls spread evenly
   over the three years before the clock, in bulk (tests/privacy/history.py:
   steps, recordings, tickets, callbacks);
2. serves the app under gunicorn (``bench.ivr_app:app``, clock in business
   hours) and starts a thread that places calls to it without pause, over
   real sockets, every request signed as Twilio signs it; one call in four
   leaves a voicemail, whose ticket is written inside the webhook;
3. after a few seconds of calls alone, runs the retention job (recordings
   past 90 days, calls past 2 years, tickets 2 years after Resolvido, their
   callbacks) in batches, in this process, as the worker would;
4. checks that exactly what was due is gone, and prints the job's duration
   and the webhooks' latency before and during the job (median, p99, longest).

Usage: python bench/retention_bench.py [--calls N] [--batch-size B]
                                       [--backend sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, event, func, select, text  # noqa: E402

from bench.clock import BUSINESS_HOURS  # noqa: E402
from bench.webhooks_bench import free_port, serve  # noqa: E402
from ivr.cli.serve import prepare  # noqa: E402
from ivr.privacy.retention import (  # noqa: E402
    BATCH_SIZE,
    PAUSE_SECONDS,
    RetentionPolicy,
    apply_retention,
)
from ivr.settings import Settings  # noqa: E402
from ivr.simulator import Answer, Phone  # noqa: E402
from ivr.simulator.transport import Remote, Reply  # noqa: E402
from ivr.storage.db import make_engine  # noqa: E402
from ivr.storage.models import (  # noqa: E402
    Call,
    Callback,
    CallStep,
    TicketAttachment,
    TicketRecord,
)
from tests.privacy.history import seed_history  # noqa: E402

TOKEN = "bench-auth-token"
NOW = BUSINESS_HOURS
# What the calling thread's callers press, and whether an agent answers: nobody
# answers the fourth, who leaves a voicemail (its ticket is written in the webhook).
PATHS = ((["2", "1", "1"], True), (["0"], True), (["2", "2", "2"], True), (["0"], False))


class TimedRemote(Remote):
    """Posts to the server and keeps (start, seconds, is-voicemail) for every request."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self.timings: list[tuple[float, float, bool]] = []

    def post(self, path: str, params: dict[str, str], headers: dict[str, str]) -> Reply:
        started = time.perf_counter()
        reply = super().post(path, params, headers)
        self.timings.append((started, time.perf_counter() - started, "RecordingUrl" in params))
        if reply.status >= 400:
            raise RuntimeError(f"{path}: HTTP {reply.status}")
        return reply


def keep_calling(transport: TimedRemote, stop: threading.Event, errors: list[str]) -> int:
    """Place calls one after another until ``stop``; how many."""
    placed = 0
    for n, (keys, answered) in zip(itertools.count(), itertools.cycle(PATHS)):
        if stop.is_set():
            return placed
        caller = f"+55219{n % 100000000:08d}"
        try:
            Phone(transport, TOKEN, caller=caller, agents_answer=answered).call(
                [Answer.parse(k) for k in keys], call_sid="CA" + uuid.uuid4().hex
            )
        except Exception as exc:  # reported by the main thread, never swallowed
            errors.append(repr(exc))
            return placed
        placed += 1
    return placed


@dataclass
class Latency:
    count: int
    median_ms: float
    p99_ms: float
    max_ms: float

    @classmethod
    def of(cls, seconds: list[float]) -> Latency:
        ms = sorted(s * 1000 for s in seconds)
        if len(ms) < 2:
            return cls(len(ms), ms[0] if ms else 0.0, ms[-1] if ms else 0.0, max(ms, default=0))
        return cls(
            len(ms),
            statistics.median(ms),
            statistics.quantiles(ms, n=100, method="inclusive")[98],
            ms[-1],
        )

    def __str__(self) -> str:
        return (
            f"{self.count:>6} requests  median {self.median_ms:7.2f} ms  "
            f"p99 {self.p99_ms:7.2f} ms  longest {self.max_ms:8.2f} ms"
        )


class HeldLocks:
    """How long each of the job's transactions lasted: what a webhook may wait behind."""

    def __init__(self, engine: Engine) -> None:
        self.seconds: list[float] = []
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "commit", self._end)

    def _begin(self, connection) -> None:
        connection.info["began"] = time.perf_counter()

    def _end(self, connection) -> None:
        self.seconds.append(time.perf_counter() - connection.info.pop("began"))


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            model.__tablename__: connection.scalar(select(func.count()).select_from(model)) or 0
            for model in (Call, CallStep, TicketRecord, TicketAttachment, Callback)
        }


def run(url: str, folder: str, args: argparse.Namespace) -> None:
    backend = url.split(":", 1)[0]
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = os.environ | {
        "IVR_DATABASE_URL": url,
        "IVR_MENUS": str(ROOT / "menus.yaml"),
        "IVR_PUBLIC_URL": base_url,
        "IVR_VAR_DIR": folder,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "IVR_SECRET_KEY": "bench",
    }
    prepare(Settings.from_env(env))
    engine = make_engine(url)
    policy = RetentionPolicy()
    started = time.perf_counter()
    expected = seed_history(engine, args.calls, NOW, policy).due
    seeded = counts(engine)
    print(
        f"\n{backend}: seeded {seeded['calls']} calls, {seeded['call_steps']} steps, "
        f"{seeded['tickets']} tickets, {seeded['callbacks']} callbacks "
        f"in {time.perf_counter() - started:.1f} s"
    )

    server = serve("bench.ivr_app:app", port, env, args.workers)
    transport = TimedRemote(base_url)
    stop, errors = threading.Event(), []
    caller = threading.Thread(target=keep_calling, args=(transport, stop, errors), daemon=True)
    try:
        caller.start()
        time.sleep(args.idle)
        held = HeldLocks(engine)
        job_start = time.perf_counter()
        report = apply_retention(engine, policy, NOW, batch_size=args.batch_size, pause=args.pause)
        job_end = time.perf_counter()
        time.sleep(0.5)
    finally:
        stop.set()
        caller.join(30)
        transport.close()
        server.terminate()
        server.wait(10)
    if errors:
        raise SystemExit(f"a webhook failed during the run: {errors[0]}")
    after = counts(engine)
    engine.dispose()

    if report != expected:
        raise SystemExit(f"retention removed {report}, but {expected} was due")
    gone_calls = seeded["calls"] - after["calls"]
    if gone_calls > expected.calls:  # the calling thread only adds calls
        raise SystemExit(f"{gone_calls} calls gone, only {expected.calls} were due")
    warm = [(t, s, v) for t, s, v in transport.timings if t >= job_start - args.idle + 1]
    before = [s for t, s, _ in warm if t < job_start]
    during = [s for t, s, _ in warm if job_start <= t < job_end]
    voicemail_before = [s for t, s, v in warm if v and t < job_start]
    voicemail = [s for t, s, v in warm if v and job_start <= t < job_end]
    batches = Latency.of(held.seconds)
    print(
        f"retention job ({args.batch_size} rows a batch, {args.pause:g} s pause): "
        f"{job_end - job_start:.1f} s, removed {report.recordings} recording links, "
        f"{report.calls} calls, {report.tickets} tickets, {report.callbacks} callbacks, "
        f"links in {report.ticket_texts} ticket texts (exactly what was due); "
        f"{batches.count} transactions, median "
        f"{batches.median_ms:.1f} ms, longest {batches.max_ms:.1f} ms"
    )
    print(f"  all webhooks, before the job:    {Latency.of(before)}")
    print(f"  all webhooks, during the job:    {Latency.of(during)}")
    print(f"  voicemail step, before the job:  {Latency.of(voicemail_before)}")
    print(f"  voicemail step, during the job:  {Latency.of(voicemail)}")


@contextmanager
def postgresql_database() -> Iterator[str | None]:
    """An empty database on a throwaway cluster, as the tests start one; None without one."""
    from tests.conftest import PostgresCluster, find_postgresql_bindir

    bindir = find_postgresql_bindir()
    if bindir is None:
        yield None
        return
    cluster = PostgresCluster(bindir)
    try:
        cluster.start()
        admin = make_engine(cluster.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text('CREATE DATABASE "retention_bench"'))
        admin.dispose()
        yield cluster.url("retention_bench")
    finally:
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--pause", type=float, default=PAUSE_SECONDS, help="between batches")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds of calls before the job")
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{folder}/ivr.db", folder, args)
    if args.backend in ("postgresql", "both"):
        with postgresql_database() as url, tempfile.TemporaryDirectory() as folder:
            if url is None:
                print("\npostgresql: skipped, no server binaries (install the postgresql package)")
            else:
                run(url, folder, args)


if __name__ == "__main__":
    main()
