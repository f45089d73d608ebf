"""The one place background work is scheduled: ``ivr worker``, or inside ``ivr serve``.

APScheduler 3's ``BackgroundScheduler`` is only the ticker. Our tables are
the truth: every tick, a job reads what is due from the database (the
tickets outbox, due callbacks) and claims it, so no job store is shared
between processes and a restart loses nothing. Nothing else starts
threads for background work, and ``create_app()`` never starts a worker:
gunicorn's processes would each run one by accident.

A job is a plain function called with no arguments every ``seconds``;
whatever it needs (the engine, the settings, the clock) it takes from the
worker when it is registered, in :func:`build_worker`::

    worker.add_job("tickets-outbox", lambda: deliver_due(worker.engine, worker.clock()), 5)

A job never runs twice at once (a slow run makes the next ticks coalesce),
and a job that raises is logged and tried again at its next tick.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from hours.clock import Clock, utc_now
from ivr.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class JobSpec:
    """A periodic job: its name (for logs), what to call, and how often."""

    name: str
    func: Callable[[], object]
    seconds: float


class Worker:
    """The background jobs of one process, ticked by APScheduler."""

    def __init__(self, engine: Engine, settings: Settings, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.jobs: list[JobSpec] = []
        self._scheduler: BackgroundScheduler | None = None

    def add_job(self, name: str, func: Callable[[], object], seconds: float) -> JobSpec:
        """Run ``func()`` every ``seconds``, the first time right after :meth:`start`."""
        if seconds <= 0:
            raise ValueError(f"job {name!r}: seconds must be positive")
        if any(job.name == name for job in self.jobs):
            raise ValueError(f"job {name!r} is already registered")
        job = JobSpec(name, func, seconds)
        self.jobs.append(job)
        if self._scheduler is not None:
            self._schedule(self._scheduler, job)
        return job

    @property
    def running(self) -> bool:
        return self._scheduler is not None and self._scheduler.running

    def start(self) -> None:
        """Start ticking (idempotent); returns at once, the jobs run on their own threads."""
        if self.running:
            return
        scheduler = BackgroundScheduler(timezone=UTC, daemon=True)
        for job in self.jobs:
            self._schedule(scheduler, job)
        scheduler.start()
        self._scheduler = scheduler
        log.info("worker started: %s", ", ".join(j.name for j in self.jobs) or "no jobs")

    def stop(self, wait: bool = True) -> None:
        """Stop ticking; with ``wait``, let the runs under way finish first."""
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=wait)
            log.info("worker stopped")

    def _schedule(self, scheduler: BackgroundScheduler, job: JobSpec) -> None:
        scheduler.add_job(
            _logged(job),
            IntervalTrigger(seconds=job.seconds, timezone=UTC),
            id=job.name,
            name=job.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            # APScheduler's own time, not ours: it only decides when to tick.
            next_run_time=utc_now() + timedelta(milliseconds=10),
        )


def _logged(job: JobSpec) -> Callable[[], None]:
    def run() -> None:
        try:
            job.func()
        except Exception:  # the next tick tries again; the worker keeps going
            log.exception("worker job %s failed", job.name)

    return run


def build_worker(settings: Settings, clock: Clock = utc_now) -> Worker:
    """The worker with every background job of the product registered.

    New periodic work (the tickets outbox, the callbacks dispatcher) is
    registered here, with ``worker.add_job(name, func, seconds)``.
    """
    from ivr.library_logs import keep_numbers_out
    from ivr.storage.db import make_engine
    from ivr.ticket_jobs import register_ticket_jobs

    keep_numbers_out()

    worker = Worker(make_engine(settings.database_url), settings, clock)
    _add_callback_dispatcher(worker)
    _add_callback_sms(worker)
    register_ticket_jobs(worker)
    _add_retention(worker)
    return worker


RETENTION_SECONDS = 24 * 60 * 60


def _add_retention(worker: Worker) -> None:
    """Once a day (and at start), delete what is past its keeping time (LGPD)."""
    from ivr.privacy.retention import RetentionPolicy, apply_retention

    settings = worker.settings
    policy = RetentionPolicy(
        recordings_days=settings.retain_recordings_days,
        calls_days=settings.retain_calls_days,
        tickets_days=settings.retain_tickets_days,
    )
    worker.add_job(
        "privacy-retention",
        lambda: apply_retention(worker.engine, policy, worker.clock()),
        RETENTION_SECONDS,
    )


CALLBACK_TICK_SECONDS = 2.0


def _add_callback_dispatcher(worker: Worker) -> None:
    """Dial due callbacks every 2 s, when Twilio is configured (account, number, public URL)."""
    from ivr.callback_setup import live_menus, make_dispatcher

    versions = live_menus(worker.engine, worker.clock)
    dispatcher = make_dispatcher(worker.settings, worker.engine, versions, worker.clock)
    if dispatcher is None:
        log.info(
            "callbacks will not be dialed: set TWILIO_ACCOUNT_SID, TWILIO_NUMBER and IVR_PUBLIC_URL"
        )
        return
    worker.add_job("callbacks-dispatcher", dispatcher.tick, CALLBACK_TICK_SECONDS)


SMS_TICK_SECONDS = 5.0


def _add_callback_sms(worker: Worker) -> None:
    """Send callbacks' SMS confirmations every 5 s, when IVR_CALLBACK_SMS is on."""
    from ivr.callback_setup import live_menus, make_sms_job

    settings = worker.settings
    versions = live_menus(worker.engine, worker.clock)
    job = make_sms_job(settings, worker.engine, versions, worker.clock)
    if job is None:
        if settings.callback_sms:
            log.info("callback SMS will not be sent: set TWILIO_ACCOUNT_SID and TWILIO_NUMBER")
        return
    worker.add_job("callbacks-sms", job, SMS_TICK_SECONDS)
