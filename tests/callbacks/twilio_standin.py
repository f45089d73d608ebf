"""A stand-in of Twilio's Calls and Messages APIs on 127.0.0.1, for the real twilio client.

``POST /2010-04-01/Accounts/{AccountSid}/Calls.json`` answers 201 with the
JSON body Twilio returns for a queued call, and remembers every call asked
for (its form and when it arrived), so tests can check what was dialed,
when, and how often. ``…/Messages.json`` does the same for SMS
(``messages``); ``refuse_messages`` makes the next ones fail with a status.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from werkzeug.wrappers import Request, Response

from tests.tickets_bridge.standins.server import StandIn, json_response

CALLS = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Calls\.json$")
MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Messages\.json$")


@dataclass
class PlacedCall:
    sid: str
    form: dict[str, str]
    arrived: float  # time.monotonic()


class TwilioCalls(StandIn):
    def __init__(self, delay: float = 0.0) -> None:
        super().__init__()
        self.calls: list[PlacedCall] = []
        self.delay = delay  # seconds each answer takes, like the real API's latency
        self.calls_lock = threading.Lock()
        self.messages: list[PlacedCall] = []
        self.refuse_messages: list[int] = []  # statuses for the next messages, in order

    def handle(self, request: Request) -> Response:
        message = MESSAGES.match(request.path)
        if request.method == "POST" and message is not None:
            return self._message(message.group(1), request)
        match = CALLS.match(request.path)
        if request.method != "POST" or match is None:
            return json_response({"code": 20404, "message": "not found", "status": 404}, 404)
        form = {k: v for k, v in request.form.items()}
        form["StatusCallbackEvent"] = " ".join(request.form.getlist("StatusCallbackEvent"))
        if not form.get("To") or not form.get("From") or not (form.get("Url") or form.get("Twiml")):
            body = {"code": 21201, "message": "No 'To' number is specified", "status": 400}
            return json_response(body, 400)
        if self.delay:
            time.sleep(self.delay)
        sid = "CA" + uuid.uuid4().hex
        with self.calls_lock:
            self.calls.append(PlacedCall(sid, form, time.monotonic()))
        account = match.group(1)
        now = format_datetime(datetime.now(UTC), usegmt=True)
        base = f"/2010-04-01/Accounts/{account}/Calls/{sid}"
        return json_response(
            {
                "account_sid": account,
                "annotation": None,
                "answered_by": None,
                "api_version": "2010-04-01",
                "caller_name": None,
                "date_created": now,
                "date_updated": now,
                "direction": "outbound-api",
                "duration": None,
                "end_time": None,
                "forwarded_from": None,
                "from": form["From"],
                "from_formatted": form["From"],
                "group_sid": None,
                "parent_call_sid": None,
                "phone_number_sid": "PN" + uuid.uuid4().hex,
                "price": None,
                "price_unit": "USD",
                "sid": sid,
                "start_time": None,
                "status": "queued",
                "subresource_uris": {
                    "notifications": f"{base}/Notifications.json",
                    "recordings": f"{base}/Recordings.json",
                },
                "to": form["To"],
                "to_formatted": form["To"],
                "trunk_sid": None,
                "uri": f"{base}.json",
                "queue_time": "0",
            },
            201,
        )

    def _message(self, account: str, request: Request) -> Response:
        form = {k: v for k, v in request.form.items()}
        with self.calls_lock:
            refused = self.refuse_messages.pop(0) if self.refuse_messages else None
            if refused is not None:
                body = {"code": 21614, "message": "not a mobile number", "status": refused}
                return json_response(body, refused)
            sid = "SM" + uuid.uuid4().hex
            self.messages.append(PlacedCall(sid, form, time.monotonic()))
        now = format_datetime(datetime.now(UTC), usegmt=True)
        return json_response(
            {
                "account_sid": account,
                "api_version": "2010-04-01",
                "body": form.get("Body", ""),
                "date_created": now,
                "date_sent": None,
                "date_updated": now,
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": form.get("From"),
                "messaging_service_sid": None,
                "num_media": "0",
                "num_segments": "1",
                "price": None,
                "price_unit": "USD",
                "sid": sid,
                "status": "queued",
                "subresource_uris": {},
                "to": form.get("To"),
                "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
            },
            201,
        )
