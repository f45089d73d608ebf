"""Webhook throughput and latency: the IVR against a bare Flask route.

1. Records realistic calls (every step of several call paths, thousands of
   distinct CallSids, some waiting in the queue so the wait URL is asked
   again after each announcement) through the real app in-process, keeping
   each signed request exactly as Twilio would send it, and prints each
   route's in-process median and p99.
2. Serves the IVR (``ivr.wsgi:app``'s app with its clock fixed in business
   hours, see bench/clock.py, on a fresh SQLite database with the
   shipped menu published) and a bare Flask route returning a constant
   TwiML string, each under the same gunicorn settings, side by side.
3. Replays the recorded requests against each with wrk, in alternating
   slices (IVR, bare, then bare, IVR, …) so that both meet the same moments
   of a shared machine, each slice going on where the server's previous one
   stopped (a request already answered would be a cheap replay for the IVR).
   Prints throughput and p50/p99 latency over all slices, and the ratio.

Usage: python bench/webhooks_bench.py [--calls N] [--seconds S] [--rounds R]
       [--connections C]
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.clock import at_business_hours  # noqa: E402
from ivr.app import close_app, create_app  # noqa: E402
from ivr.cli.serve import prepare  # noqa: E402
from ivr.settings import Settings  # noqa: E402
from ivr.simulator import Answer, InProcess, Phone  # noqa: E402

TOKEN = "bench-auth-token"
# Call paths a support line sees, as keys pressed at each menu.
PATHS = [
    ["1"],  # urgent: stopped invoicing
    ["2", "1", "1"],  # ERP, stock
    ["2", "2", "2"],  # PDV, TEF
    ["2", "3", "1"],  # fiscal, rejected invoice
    ["2", "4", "3"],  # WMS, integration
    ["0"],  # an agent straight away
    ["3"],  # complaint
    ["7", "8", "9"],  # three invalid keys, then an agent
    ["-", "2", "0"],  # silence once, then a product, then an agent
    ["s:faturamento parado"],  # speech
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder(InProcess):
    """The in-process transport, keeping every signed request it sends and its time."""

    def __init__(self, app, base_url: str) -> None:
        super().__init__(app, base_url)
        self.lines: list[str] = []
        self.seconds: dict[str, list[float]] = {}

    def post(self, path, params, headers):
        self.lines.append(f"{path}\t{headers['X-Twilio-Signature']}\t{urlencode(params)}")
        started = time.perf_counter()
        reply = super().post(path, params, headers)
        route = path.partition("?")[0]
        self.seconds.setdefault(route, []).append(time.perf_counter() - started)
        return reply

    def report(self) -> None:
        """Each route's in-process median and p99 while recording (first requests of calls)."""
        print("in-process, while recording:")
        for route, seconds in sorted(self.seconds.items()):
            seconds.sort()
            median = seconds[len(seconds) // 2] * 1000
            p99 = seconds[min(len(seconds) - 1, int(len(seconds) * 0.99))] * 1000
            count = f"{len(seconds):>7} requests"
            print(f"  {route:16}{count}  median {median:.2f} ms  p99 {p99:.2f} ms")


def record_calls(settings: Settings, base_url: str, calls: int, out: Path) -> int:
    app = create_app(settings, clock=at_business_hours)
    recorder = Recorder(app, base_url)
    for index, keys in zip(range(calls), itertools.cycle(PATHS), strict=False):
        phone = Phone(
            recorder,
            TOKEN,
            caller=f"+55119{index % 100000000:08d}",
            agents_answer=index % 5 != 0,
            # Some callers wait in the queue first: the wait URL is asked again
            # after each announcement, so it is among the busiest webhooks.
            queue_position=1 + index % 4,
            agent_after=index % 3,
        )
        phone.call([Answer.parse(k) for k in keys])
    close_app(app)
    recorder.report()
    out.write_text("\n".join(recorder.lines) + "\n")
    return len(recorder.lines)


def serve(app_spec: str, port: int, env: dict[str, str], workers: int) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        app_spec,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--log-level",
        "warning",
        "--chdir",
        str(ROOT),
    ]
    process = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code in (200, 404):
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{app_spec} did not start")


def load(port: int, replay: Path, seconds: int, connections: int, threads: int, start: str) -> dict:
    """One wrk run from ``start`` (each thread's position in the replay, or "")."""
    env = os.environ | {
        "REPLAY_FILE": str(replay),
        "REPLAY_THREADS": str(threads),
        "REPLAY_START": start,
    }
    result = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "-s",
            str(ROOT / "bench" / "replay.lua"),
            f"http://127.0.0.1:{port}",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    requests, errors, _p50, _p99, worst, duration_us = rows["RESULT"].split()
    return {
        "requests": int(requests),
        "seconds": float(duration_us) / 1e6,
        "errors": int(errors),
        "max_ms": int(worst) / 1000,
        "positions": rows["COUNTERS"].strip(),
        "permilles": [int(us) for us in rows["PERMILLES"].split(",")],
    }


def merged_percentile(slices: list[dict], percent: float) -> float:
    """The latency (ms) under which ``percent`` of all the slices' requests fell.

    Each slice gives its latency at every tenth of a percentile; a value
    counts the requests of each slice known to be at or under it, so the
    answer errs on the high side by at most a tenth of a percentile.
    """
    total = sum(row["requests"] for row in slices)
    for value in sorted({us for row in slices for us in row["permilles"]}):
        under = sum(
            row["requests"] * bisect.bisect_right(row["permilles"], value) / 1000 for row in slices
        )
        if under >= percent / 100 * total:
            return value / 1000
    return max(row["max_ms"] for row in slices)


@dataclass
class Target:
    """A server under load and the wrk slices run against it."""

    name: str
    port: int
    process: subprocess.Popen
    positions: str = ""  # where each wrk thread stopped in the replay
    slices: list[dict] = field(default_factory=list)

    def run(self, replay: Path, seconds: int, args: argparse.Namespace) -> dict:
        row = load(self.port, replay, seconds, args.connections, args.threads, self.positions)
        self.positions = row["positions"]
        return row

    def summary(self) -> dict:
        slices = self.slices
        return {
            "rps": sum(row["requests"] for row in slices) / sum(row["seconds"] for row in slices),
            "p50_ms": merged_percentile(slices, 50),
            "p99_ms": merged_percentile(slices, 99),
            "max_ms": max(row["max_ms"] for row in slices),
            "errors": sum(row["errors"] for row in slices),
            "slices": " ".join(f"{row['requests'] / row['seconds']:.0f}" for row in slices),
        }


def replays(positions: str, count: int, threads: int) -> int:
    """Requests sent past the end of a wrk thread's share of the replay (sent twice)."""
    share = count // threads
    return sum(
        max(0, int(position) - index * share - share)
        for index, position in enumerate(positions.split(","))
    )


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"], check=False, stdout=subprocess.DEVNULL
        )
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed for the benchmark: apt-get install wrk")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=6000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    slice_seconds = args.seconds // args.rounds  # wrk takes whole seconds
    if slice_seconds < 1 or slice_seconds * args.rounds != args.seconds:
        parser.error("--seconds must be a multiple of --rounds")
    ensure_wrk()

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = os.environ | {
            "IVR_DATABASE_URL": f"sqlite:///{tmp}/bench.db",
            "IVR_MENUS": str(ROOT / "menus.yaml"),
            "IVR_PUBLIC_URL": base_url,
            "IVR_VAR_DIR": tmp,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "IVR_SECRET_KEY": "bench",
        }
        server_settings = Settings.from_env(env)
        prepare(server_settings)
        record_settings = Settings.from_env(env | {"IVR_DATABASE_URL": f"sqlite:///{tmp}/rec.db"})
        prepare(record_settings)
        replay = Path(tmp) / "requests.tsv"
        count = record_calls(record_settings, base_url, args.calls, replay)
        print(f"recorded {count} signed requests from {args.calls} calls")

        targets = [
            Target(name, port_, serve(spec, port_, env, args.workers))
            for name, spec, port_ in (
                ("ivr", "bench.ivr_app:app", port),
                ("bare flask", "bench.bare_app:app", free_port()),
            )
        ]
        try:
            for target in targets:
                target.run(replay, 2, args)  # warm-up
            for round_ in range(args.rounds):
                for target in targets if round_ % 2 == 0 else targets[::-1]:
                    time.sleep(0.5)  # the other server's deferred writes are done
                    target.slices.append(target.run(replay, slice_seconds, args))
        finally:
            for target in targets:
                target.process.terminate()
                target.process.wait(10)
        results = {target.name: target.summary() for target in targets}
        replayed = replays(targets[0].positions, count, args.threads)
        if replayed:
            print(f"note: {replayed} requests reached the IVR a second time; use more --calls")

    print(
        f"\n{args.connections} concurrent callers, gunicorn {args.workers} sync workers, "
        f"{args.seconds} s each in {args.rounds} alternating slices, wrk {args.threads} threads"
    )
    print(f"{'':12}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}{'errors':>8}")
    for name, row in results.items():
        print(
            f"{name:12}{row['rps']:>10.0f}{row['p50_ms']:>10.2f}{row['p99_ms']:>10.2f}"
            f"{row['max_ms']:>10.2f}{row['errors']:>8}"
        )
    for name, row in results.items():
        print(f"{name:12}req/s by slice: {row['slices']}")
    ratio = results["ivr"]["rps"] / results["bare flask"]["rps"]
    print(f"\nIVR throughput / bare route: {ratio:.0%}  (bar: ≥ 60%, p99 < 25 ms)")


if __name__ == "__main__":
    main()
