"""No caller's number in any log line, exception text or metric (LGPD minimisation).

Representative flows run with every logger at DEBUG, the libraries' included:
voicemails at night that become tickets and a follow-up, a protocol lookup,
a daytime call through a spoken menu, callbacks booked at night (on the
caller's own number, and on one typed on the keypad) confirmed by SMS (one
send failing first) and dialed through the Twilio stand-in in the morning
and answered, the worker's jobs (tickets delivered to the Zendesk
stand-in, once while it is down; status rules; retention), webhooks that
fail (a bad signature, a state that cannot be read, a form without a
caller), and /metrics. Every record, formatted with its traceback, and the
metrics page are then searched for the callers' numbers in any format:
E.164, national with or without punctuation, URL-encoded.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from hours.clock import SettableClock
from ivr.app import close_app, create_app
from ivr.menus.loader import load_menu
from ivr.settings import Settings
from ivr.simulator import Answer, InProcess, Phone
from ivr.storage.menu_versions import migrate_and_publish_if_none
from ivr.storage.models import Callback
from ivr.worker import build_worker
from tests.callbacks.conftest import sp
from tests.callbacks.twilio_standin import TwilioCalls
from tests.tickets_bridge.standins.server import serving
from tests.tickets_bridge.standins.zendesk import ZendeskStandIn

TOKEN = "leak-test-token-0123456789abcdef"
ACCOUNT = "AC" + "b" * 32
SUPPORT = "+551140040000"
PUBLIC = "https://ivr.example.com.br"
SHIPPED_MENU = Path(__file__).resolve().parents[2] / "menus.yaml"
# The callers: their last eight digits appear nowhere else in these flows.
VOICEMAIL_CALLER = "+5511976451238"
DAY_CALLER = "+5521998123467"
CALLBACK_CALLER = "+5531987346152"
TYPED_NUMBER = "+5541991827364"  # typed on the keypad for a callback
CALLERS = (VOICEMAIL_CALLER, DAY_CALLER, CALLBACK_CALLER, TYPED_NUMBER)
TUESDAY_NIGHT = sp(2026, 12, 1, 20)
WEDNESDAY_9H = sp(2026, 12, 2, 9)
WEDNESDAY_10H = sp(2026, 12, 2, 10)
# Runs of digits, with what people and libraries put between them.
CANDIDATE = re.compile(r"\d[\d\s().\-/]{6,}\d")


def leaks(text: str) -> set[str]:
    """The callers whose number appears in ``text``, in any format."""
    found = set()
    for match in CANDIDATE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        found |= {n for n in CALLERS if n[-8:] in digits}
    return found


def test_the_scanner_finds_a_number_in_any_format() -> None:
    for text in (
        "+5511976451238",
        "5511976451238",
        "(11) 97645-1238",
        "11 97645 1238",
        "97645-1238",
        "query=phone%3A%22%2B5511976451238%22",
        "'To': '+55 11 97645-1238'",
    ):
        assert leaks(text) == {VOICEMAIL_CALLER}, text
    assert leaks("CA12ab 2026-12-01 20:00:00 +55 •• ••••-1238") == set()


class Everything(logging.Handler):
    """Keeps every record as it would be written, traceback included."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "werkzeug":
            return  # the stand-ins' access log: the remote systems' logs, not the line's
        self.lines.append(self.format(record))


@pytest.fixture
def every_log_line() -> Iterator[Everything]:
    handler = Everything()
    root = logging.getLogger()
    saved = {
        name: (logger.level, logger.disabled)
        for name in logging.root.manager.loggerDict
        if isinstance(logger := logging.getLogger(name), logging.Logger)
    }
    root_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(root_level)
    # Every logger back as it was, and those made meanwhile to their default:
    # the rest of the suite must not pay for DEBUG records.
    for name in list(logging.root.manager.loggerDict):
        logger = logging.getLogger(name)
        logger.setLevel(saved.get(name, (logging.NOTSET, False))[0])
        logger.disabled = saved.get(name, (logging.NOTSET, False))[1]


def debug_everywhere() -> None:
    """Every logger at DEBUG (create_app sets its own level: called after it)."""
    for name in list(logging.root.manager.loggerDict):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.disabled = False


def signed(app, url: str, form: dict[str, str]):
    """Post ``form`` to the app as Twilio posts to ``url`` (absolute, or a path of PUBLIC)."""
    url = url if url.startswith("http") else f"{PUBLIC}{url}"
    signature = RequestValidator(TOKEN).compute_signature(url, form)
    parts = urlsplit(url)
    return app.test_client().post(
        f"{parts.path}?{parts.query}",
        data=form,
        headers={"X-Twilio-Signature": signature},
        base_url=PUBLIC,
    )


def test_no_callers_number_in_logs_exceptions_or_metrics(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, every_log_line
) -> None:
    zendesk, twilio = ZendeskStandIn(), TwilioCalls()
    with serving(zendesk) as zendesk_url, serving(twilio) as twilio_url:
        monkeypatch.setenv("ZENDESK_URL", zendesk_url)
        monkeypatch.setenv("ZENDESK_EMAIL", zendesk.email)
        monkeypatch.setenv("ZENDESK_API_TOKEN", zendesk.token)
        settings = Settings(
            database_url=database_url,
            menus_path=str(SHIPPED_MENU),
            public_url=PUBLIC,
            secret_key="leak-test",
            twilio_account_sid=ACCOUNT,
            twilio_auth_token=TOKEN,
            twilio_number=SUPPORT,
            twilio_api_base_url=twilio_url,
            ticket_store="zendesk",
            callback_sms=True,
            var_dir=tmp_path / "var",
        )
        migrate_and_publish_if_none(
            database_url,
            lambda: SHIPPED_MENU.read_text(encoding="utf-8"),
            "tests",
            TUESDAY_NIGHT,
            validate=lambda text: load_menu(text, "menus.yaml"),
        )
        clock = SettableClock(TUESDAY_NIGHT)
        app = create_app(settings, clock=clock)
        worker = build_worker(settings, clock)
        debug_everywhere()
        metrics = ""
        try:
            metrics = run_the_flows(app, worker, clock, zendesk, twilio)
        finally:
            close_app(app)
            worker.engine.dispose()

    lines = every_log_line.lines
    # The flows did log, at every level, errors with their tracebacks included.
    assert any("store unavailable" in line for line in lines)
    assert any("callback SMS" in line and "not sent" in line for line in lines)
    assert any("voice webhook failed" in line and "Traceback" in line for line in lines)
    assert any(line.startswith("httpx INFO HTTP Request: GET") for line in lines)
    assert any(line.startswith("sqlalchemy.engine.Engine DEBUG Row") for line in lines)
    assert [line for line in lines if leaks(line)] == []
    assert leaks(metrics) == set()


def run_the_flows(
    app, worker, clock: SettableClock, zendesk: ZendeskStandIn, twilio: TwilioCalls
) -> str:
    transport = InProcess(app, PUBLIC)
    jobs = {job.name: job.func for job in worker.jobs}

    # At night: a voicemail becomes a ticket; a second one is added to it.
    night = Phone(transport, TOKEN, caller=VOICEMAIL_CALLER)
    first = night.call([])
    assert first.ended == "voicemail-recorded"
    assert night.call([Answer("1")]).ended == "voicemail-recorded"

    # The worker delivers the ticket and its comment, once after Zendesk was down.
    zendesk.faults.arm("503", times=1)
    jobs["tickets-outbox"]()
    jobs["tickets-outbox"]()
    jobs["tickets-status-rules"]()

    # Callbacks booked at night, on the caller's own number and on a typed one,
    # dialed in the morning and answered.
    own = Phone(transport, TOKEN, caller=CALLBACK_CALLER)
    assert own.call([Answer("1"), Answer("1"), Answer("2")]).ended == "hangup"
    typed = Phone(transport, TOKEN, caller=DAY_CALLER)
    keys = ["1", "2", TYPED_NUMBER.removeprefix("+55"), "1", "1"]
    assert typed.call([Answer(k) for k in keys]).ended == "hangup"
    twilio.refuse_messages = [503]  # the first confirmation fails, and is tried again
    jobs["callbacks-sms"]()
    clock.at = WEDNESDAY_9H
    jobs["callbacks-sms"]()
    assert sorted(m.form["To"] for m in twilio.messages) == [CALLBACK_CALLER, TYPED_NUMBER]
    jobs["callbacks-dispatcher"]()
    assert sorted(call.form["To"] for call in twilio.calls) == [CALLBACK_CALLER, TYPED_NUMBER]
    for placed in twilio.calls:
        answered = {"CallSid": placed.sid, "AnsweredBy": "human", "CallStatus": "in-progress"}
        assert signed(app, placed.form["Url"], answered).status_code == 200
        status = {
            "AccountSid": ACCOUNT,
            "CallSid": placed.sid,
            "CallStatus": "completed",
            "SequenceNumber": "3",
            "To": placed.form["To"],
            "From": SUPPORT,
            "Direction": "outbound-api",
        }
        assert signed(app, placed.form["StatusCallback"], status).status_code == 204
    with Session(worker.engine) as session:
        assert set(session.scalars(select(Callback.status))) == {"completed"}

    # By day: a spoken menu, a protocol lookup, nobody free, another voicemail.
    clock.at = WEDNESDAY_10H
    day = Phone(transport, TOKEN, caller=DAY_CALLER, agents_answer=False)
    assert day.call([Answer(speech="meu faturamento está parado")]).ended
    lookup = Phone(transport, TOKEN, caller=VOICEMAIL_CALLER)
    assert lookup.call([Answer("4"), Answer("261201000010"), Answer("0")]).ended

    # Webhooks that fail: a bad signature, a state nobody wrote, no caller at all.
    base = night.base_params("CA" + "f" * 32, "in-progress")
    forged = transport.post("/voice/incoming", base, {"X-Twilio-Signature": "forged"})
    assert forged.status == 403
    broken = signed(app, "/voice/step?s=1.nowhere.0..input&k=2", base | {"Digits": "5"})
    assert broken.status_code == 200
    anonymous = {k: v for k, v in base.items() if k not in ("From", "Caller")}
    assert signed(app, "/voice/incoming", anonymous).status_code == 200

    jobs["tickets-outbox"]()
    jobs["privacy-retention"]()
    return app.test_client().get("/metrics").get_data(as_text=True)
