"""The voicemail step with its ticket: the one webhook that writes synchronously.

Builds the real app in-process on a fresh migrated database (a temporary
SQLite file unless ``--url`` names an empty one), publishes the shipped menu,
and places N after-hours calls from distinct numbers, each leaving a
message. Only the request that carries the recording is timed: it makes the
protocol number, the ticket, its attachment and (with ``--store webhook``)
its outbox item in one transaction, then answers with the protocol read back.
Prints the median, p90 and p99 of that step in milliseconds.

Usage: python bench/voicemail_bench.py [--calls N] [--store sql|webhook] [--url URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from hours.clock import SettableClock  # noqa: E402
from ivr.app import close_app, create_app  # noqa: E402
from ivr.menus.loader import load_menu  # noqa: E402
from ivr.settings import Settings  # noqa: E402
from ivr.simulator import InProcess, Phone  # noqa: E402
from ivr.simulator.transport import Reply  # noqa: E402
from ivr.storage import menu_versions  # noqa: E402
from ivr.storage.db import open_session  # noqa: E402
from ivr.storage.ticket_tables import OutboxItem, TicketRecord  # noqa: E402

TOKEN = "bench-auth-token"
NIGHT = datetime(2026, 12, 1, 20, 0, tzinfo=ZoneInfo("America/Sao_Paulo"))


class TimedVoicemail(InProcess):
    """Times the requests that carry a recording (the voicemail step)."""

    def __init__(self, app) -> None:
        super().__init__(app)
        self.seconds: list[float] = []

    def post(self, path: str, params: dict[str, str], headers: dict[str, str]) -> Reply:
        if "RecordingUrl" not in params:
            return super().post(path, params, headers)
        started = time.perf_counter()
        reply = super().post(path, params, headers)
        self.seconds.append(time.perf_counter() - started)
        return reply


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--store", choices=("sql", "webhook"), default="sql")
    parser.add_argument("--url", help="an empty database (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{folder}/ivr.db"
        menu = (ROOT / "menus.yaml").read_text(encoding="utf-8")
        menu_versions.migrate_and_publish_if_none(
            url, lambda: menu, "bench", NIGHT, validate=lambda t: load_menu(t, "menus.yaml")
        )
        settings = Settings(
            database_url=url,
            twilio_auth_token=TOKEN,
            secret_key="bench",
            var_dir=Path(folder),
            ticket_store=args.store,
        )
        app = create_app(settings, clock=SettableClock(NIGHT))
        try:
            transport = TimedVoicemail(app)
            for n in range(args.calls):
                caller = f"+55119{n % 100000000:08d}"
                transcript = Phone(transport, TOKEN, caller=caller).call([])
                assert transcript.ended == "voicemail-recorded", transcript.ended
            with open_session(url) as session:
                tickets = session.scalar(select(func.count()).select_from(TicketRecord))
                items = session.scalar(select(func.count()).select_from(OutboxItem))
        finally:
            close_app(app)
    ms = sorted(s * 1000 for s in transport.seconds)
    p = statistics.quantiles(ms, n=100)
    backend = url.split(":", 1)[0]
    print(
        f"voicemail step with its ticket ({backend}, store {args.store}, {len(ms)} calls): "
        f"median {statistics.median(ms):.2f} ms, p90 {p[89]:.2f} ms, p99 {p[98]:.2f} ms; "
        f"{tickets} tickets, {items} outbox items"
    )


if __name__ == "__main__":
    main()
