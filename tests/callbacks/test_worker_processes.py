"""Three worker processes on one PostgreSQL database: each callback is dialed exactly once,
and a worker killed with SIGKILL in the middle of its batch loses none."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from ivr.storage.models import Callback
from tests.callbacks.conftest import sp
from tests.callbacks.dispatch_process import POLICY, main
from tests.callbacks.twilio_standin import TwilioCalls
from tests.tickets_bridge.standins.server import serving

ROOT = Path(__file__).resolve().parents[2]
DUE = sp(2026, 11, 30, 10)
# 600 keeps `make test` quick; IVR_TEST_WORKER_CALLBACKS=2000 runs the full-size check.
COUNT = int(os.environ.get("IVR_TEST_WORKER_CALLBACKS", "600"))


def _due_callbacks(engine: Engine) -> set[str]:
    numbers = [f"+55119{i:08d}" for i in range(COUNT)]
    with Session(engine) as session:
        session.execute(
            insert(Callback),
            [
                {
                    "protocol": f"W{i:011d}",
                    "number": number,
                    "line": "erp",
                    "status": "scheduled",
                    "active_key": f"erp {number}",
                    "slot_start": DUE,
                    "slot_end": DUE + timedelta(minutes=30),
                    "scheduled_for": DUE,
                    "attempts": 0,
                    "created_at": DUE,
                    "updated_at": DUE,
                }
                for i, number in enumerate(numbers)
            ],
        )
        session.commit()
    return set(numbers)


def test_three_processes_dial_each_callback_once_and_a_killed_one_loses_none(
    database_url: str, engine: Engine
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the multi-process claim is checked on PostgreSQL, the production database")
    numbers = _due_callbacks(engine)
    standin = TwilioCalls()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with serving(standin) as url:
        command = [sys.executable, "-m", "tests.callbacks.dispatch_process", database_url, url]
        workers = [
            subprocess.Popen(
                [*command, DUE.isoformat()], cwd=ROOT, env=env, stdout=subprocess.DEVNULL
            )
            for _ in range(3)
        ]
        victim = workers[0]
        deadline = time.monotonic() + 60
        while len(standin.calls) < COUNT // 4 and time.monotonic() < deadline:
            time.sleep(0.005)
        victim.send_signal(signal.SIGKILL)  # in the middle of its batch
        for worker in workers[1:]:
            assert worker.wait(timeout=120) == 0
        victim.wait(timeout=10)
        # The victim's claims come back when their lease runs out; the one it
        # may have been dialing counts as a failed attempt, retried 30 min later.
        main(database_url, url, (DUE + timedelta(minutes=3)).isoformat())
        main(database_url, url, (DUE + timedelta(minutes=40)).isoformat())
    dialed = Counter(call.form["To"] for call in standin.calls)
    assert set(dialed) == numbers  # none lost
    twice = [n for n, times in dialed.items() if times > 1]
    # the only window for a second dial: the victim's one call between Twilio's
    # answer and its commit
    assert len(twice) <= 1, twice
    assert POLICY.max_simultaneous >= COUNT
