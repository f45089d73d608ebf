"""Every console page's time to answer, on a database holding a year of call log.

Builds a temporary SQLite file with the migrations, the shipped menu, a
year of calls ending at a Tuesday 10h (São Paulo) — by default 400 calls a
working day and 40 on other days, about 110 000 calls — plus a few hundred
callbacks and tickets, then logs a supervisor in through the Flask test
client and times each page (median and worst of ``--runs``). Exits 1 if any
page's median is over the 200 ms budget.

Usage: python bench/console_bench.py [--per-day N] [--runs R] [--url URL]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.clock import BUSINESS_HOURS  # noqa: E402
from hours.clock import SettableClock  # noqa: E402
from ivr.app import close_app, create_app  # noqa: E402
from ivr.menus.loader import load_menu  # noqa: E402
from ivr.settings import Settings  # noqa: E402
from ivr.storage.accounts import add_user  # noqa: E402
from ivr.storage.db import make_engine  # noqa: E402
from ivr.storage.menu_versions import migrate_and_publish_if_none  # noqa: E402
from ivr.storage.models import Call, Callback  # noqa: E402
from ivr.storage.ticket_tables import TicketRecord  # noqa: E402

BUDGET_MS = 200.0
PASSWORD = "bench password 123"
LINES = ("erp", "pdv", "fiscal", None)
OUTCOMES = ("transferred", "transferred", "voicemail", "hung_up", "timed_out")
NODES = ("principal", "expediente", "fila_erp", "fila_pdv", "recado")
PAGES = (
    "/admin/",
    "/admin/?dias=30",
    "/admin/menus",
    "/admin/menus/1",
    "/admin/menus/edit",
    "/admin/hours",
    "/admin/callbacks",
    "/admin/callbacks?q=4321",
    "/admin/tickets",
    "/admin/tickets?q=5511",
    "/admin/audit",
)


def fill(url: str, per_day: int, rng: random.Random) -> int:
    """A year of calls (fewer at weekends), and callbacks and tickets; the number of calls."""
    engine = make_engine(url)
    now = BUSINESS_HOURS.astimezone(UTC)
    rows, sid = [], 0
    for day in range(365):
        midnight = (BUSINESS_HOURS - timedelta(days=day)).replace(hour=0, minute=0)
        count = per_day if midnight.weekday() < 5 else per_day // 10
        for _ in range(count):
            started = midnight + timedelta(seconds=rng.randint(7 * 3600, 20 * 3600))
            if started > BUSINESS_HOURS:
                continue
            sid += 1
            rows.append(
                {
                    "call_sid": f"CA{sid:032d}",
                    "from_number": f"+55119{rng.randint(10**7, 10**8 - 1)}",
                    "started_at": started,
                    "updated_at": started,
                    "status": "completed",
                    "line": rng.choice(LINES),
                    "outcome": rng.choice(OUTCOMES),
                    "last_node": rng.choice(NODES),
                    "menu_version": 1,
                }
            )
    callbacks, tickets = [], []
    for index in range(300):
        at = now - timedelta(hours=index)
        callbacks.append(
            {
                "protocol": f"2026{index:08d}",
                "number": f"+5511987{index:06d}",
                "line": "erp",
                "status": rng.choice(("scheduled", "completed", "failed", "cancelled")),
                "slot_start": at + timedelta(days=1),
                "slot_end": at + timedelta(days=1, minutes=30),
                "scheduled_for": at + timedelta(days=1),
                "attempts": 0,
                "created_at": at,
                "updated_at": at,
            }
        )
        tickets.append(
            {
                "protocol": f"26{index:010d}",
                "idempotency_key": f"k{index}",
                "subject": "Recado de voz",
                "description": "O cliente deixou um recado.",
                "phone": f"+5511912{index:06d}",
                "priority": "normal",
                "status": "Novo",
                "status_since": at,
                "created_at": at,
                "updated_at": at,
                "store": "sql",
            }
        )
    with Session(engine) as session, session.begin():
        session.execute(insert(Call), rows)
        session.execute(insert(Callback), callbacks)
        session.execute(insert(TicketRecord), tickets)
        add_user(session, "bench", PASSWORD, "supervisor", now)
    engine.dispose()
    return len(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-day", type=int, default=400, help="calls on a working day")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--url", default=None, help="an empty database (default: temp SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{folder}/ivr.db"
        menu = (ROOT / "menus.yaml").read_text(encoding="utf-8")
        migrate_and_publish_if_none(
            url, lambda: menu, "bench", BUSINESS_HOURS, validate=lambda t: load_menu(t, "m.yaml")
        )
        calls = fill(url, args.per_day, random.Random(12))
        settings = Settings(
            database_url=url,
            twilio_auth_token="bench",
            secret_key="bench",
            var_dir=Path(folder) / "var",
        )
        app = create_app(settings, clock=SettableClock(BUSINESS_HOURS), start_background=False)
        try:
            client = app.test_client()
            page = client.get("/admin/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            client.post(
                "/admin/login", data={"name": "bench", "password": PASSWORD, "csrf_token": token}
            )
            print(f"{calls} calls over a year ({args.per_day} a working day), {args.runs} runs")
            print(f"{'page':<28} {'median ms':>10} {'worst ms':>10}")
            over = []
            for path in PAGES:
                times = []
                for _ in range(args.runs + 1):  # the first fills caches: not counted
                    started = time.perf_counter()
                    response = client.get(path)
                    times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, (path, response.status_code)
                median, worst = statistics.median(times[1:]), max(times[1:])
                print(f"{path:<28} {median:>10.1f} {worst:>10.1f}")
                if median > BUDGET_MS:
                    over.append(path)
        finally:
            close_app(app)
    if over:
        print(f"over the {BUDGET_MS:.0f} ms budget: {', '.join(over)}")
        return 1
    print(f"every page under {BUDGET_MS:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
