"""``ivr worker``: the background jobs alone, without the web server (production)."""

from __future__ import annotations

import signal
import threading
from datetime import datetime

import click

from hours.clock import RunningClock, utc_now
from ivr.cli.params import Instant
from ivr.settings import Settings


@click.command()
@click.option(
    "--at",
    type=Instant(),
    default=None,
    help="Start the clock at this instant and let it run (staging, tests).",
)
def worker(at: datetime | None) -> None:
    """Run the background jobs until stopped (Ctrl-C or SIGTERM).

    The database must be migrated (`ivr db upgrade`). Run one, beside the
    web servers: every job claims its work in the database.
    """
    from ivr.worker import build_worker

    settings = Settings.from_env()
    jobs = build_worker(settings, RunningClock(at) if at else utc_now)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda _signum, _frame: stopping.set())
    jobs.start()
    names = ", ".join(job.name for job in jobs.jobs) or "no jobs yet"
    click.echo(f"worker running ({names}); Ctrl-C stops it", err=True)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        jobs.stop()
        jobs.engine.dispose()
    click.echo("worker stopped", err=True)
