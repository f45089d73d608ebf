"""The worker: the one scheduler of background jobs, never started by the web app."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ivr.app import close_app, create_app
from ivr.settings import Settings
from ivr.worker import Worker

ROOT = Path(__file__).resolve().parents[1]


def _scheduler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "APScheduler" and t.is_alive()]


def _eventually(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_a_worker_without_jobs_starts_and_stops_cleanly(engine: Engine) -> None:
    worker = Worker(engine, Settings())
    worker.start()
    assert worker.running
    worker.stop()
    assert not worker.running
    assert _eventually(lambda: not _scheduler_threads())


def test_a_job_runs_every_tick_and_a_failing_run_does_not_stop_it(engine: Engine) -> None:
    runs: list[int] = []

    def job() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("the help desk is down")

    worker = Worker(engine, Settings())
    worker.add_job("flaky", job, seconds=0.05)
    worker.start()
    try:
        assert _eventually(lambda: len(runs) >= 3)
    finally:
        worker.stop()
    done = len(runs)
    time.sleep(0.2)
    assert len(runs) == done  # nothing runs after stop()


def test_job_names_are_unique_and_intervals_positive(engine: Engine) -> None:
    worker = Worker(engine, Settings())
    worker.add_job("outbox", lambda: None, seconds=5)
    with pytest.raises(ValueError, match="already registered"):
        worker.add_job("outbox", lambda: None, seconds=5)
    with pytest.raises(ValueError, match="positive"):
        worker.add_job("dispatcher", lambda: None, seconds=0)


def test_the_web_app_never_starts_a_worker(database_url: str, tmp_path: Path) -> None:
    settings = Settings(database_url=database_url, twilio_auth_token="t", secret_key="k")
    app = create_app(settings.model_copy(update={"var_dir": tmp_path}))
    try:
        assert not _scheduler_threads()
    finally:
        close_app(app)


def test_ivr_worker_runs_until_sigterm(tmp_path: Path) -> None:
    env = os.environ | {
        "IVR_DATABASE_URL": f"sqlite:///{tmp_path}/ivr.db",
        "IVR_VAR_DIR": str(tmp_path),
    }
    command = [sys.executable, "-c", "from ivr.cli import main; main()", "worker"]
    at = ["--at", "2026-11-24T10:00-03:00"]
    with subprocess.Popen(
        [*command, *at], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stderr is not None
        try:
            assert process.stderr.readline().startswith("worker running")
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
            assert "worker stopped" in process.stderr.read()
        finally:
            process.kill()
