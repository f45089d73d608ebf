"""One dispatcher in a process of its own, for the multi-worker test.

``python -m tests.callbacks.dispatch_process DATABASE_URL TWILIO_URL ISO_INSTANT``
dials every due callback (no calls-per-second limit) and exits.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from callbacks.dispatcher import Dispatcher, LineSetup
from callbacks.policy import CallbackPolicy
from hours.clock import SettableClock
from hours.oracle import Hours
from ivr.callback_setup import line_setup
from ivr.menus.loader import load_menu
from ivr.storage.db import make_engine
from ivr.telephony.dialer import TwilioDialer

ROOT = Path(__file__).resolve().parents[2]
POLICY = CallbackPolicy(per_slot=10_000, max_simultaneous=10_000)


def main(url: str, twilio_url: str, at: str) -> None:
    menu = load_menu((ROOT / "menus.yaml").read_text(encoding="utf-8"), "menus.yaml")
    calendar = line_setup(menu, Hours.or_shipped(menu.schedules), "erp").calendar
    engine = make_engine(url)
    dispatcher = Dispatcher(
        engine,
        lambda _line: LineSetup(calendar, POLICY),
        TwilioDialer("AC" + "b" * 32, "token", "+551140040000", base_url=twilio_url),
        "https://ivr.example.com.br",
        SettableClock(datetime.fromisoformat(at)),
        cps=None,
        batch=10,
    )
    print("dialing", flush=True)
    dispatcher.run_until_idle(max_ticks=100_000)
    engine.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:4])
