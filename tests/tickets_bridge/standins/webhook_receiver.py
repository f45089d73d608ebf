"""A receiver of the generic tickets webhook, built from the README's "Help desks".

It verifies the signature and the timestamp the way the README tells a
receiver to, stores tickets by idempotency key, and implements every event
(or, with ``create_only``, just ``ticket.create``, answering 501 to the rest).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.tickets_bridge.standins.server import StandIn, json_response

TOLERANCE = 300  # seconds a signed request stays acceptable


class WebhookReceiver(StandIn):
    def __init__(self, secret: str = "webhook-secret", *, create_only: bool = False) -> None:
        super().__init__()
        self.secret = secret
        self.create_only = create_only
        self.tickets: dict[str, dict[str, Any]] = {}  # by our protocol (the remote id)
        self.keys: dict[str, Any] = {}  # idempotency key -> the first answer
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self.rejected = 0
        self.now = time.time  # the receiver's clock, for the timestamp check
        self.answer_without_id = False  # a receiver that keeps no id of its own
        self.last: tuple[dict[str, str], bytes] | None = None  # headers and raw body

    def set_status(self, remote_id: str, status: str) -> None:
        with self.lock:
            self.tickets[remote_id].update(status=status, updated_at=_now())

    def verified(self, request: Request) -> bool:
        """The README's recipe, step by step."""
        timestamp = request.headers.get("X-Tickets-Timestamp", "")
        given = request.headers.get("X-Tickets-Signature", "")
        if not timestamp.isdigit() or abs(self.now() - int(timestamp)) > TOLERANCE:
            return False
        message = timestamp.encode() + b"." + request.get_data()
        expected = "sha256=" + hmac.new(self.secret.encode(), message, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, given)

    def handle(self, request: Request) -> Response:
        self.last = (dict(request.headers), request.get_data())
        if request.method != "POST" or not self.verified(request):
            self.rejected += 1
            return json_response({"error": "bad signature"}, 401)
        payload = json.loads(request.get_data())
        event = payload.get("event")
        key = payload.get("idempotency_key")
        if key is not None and request.headers.get("Idempotency-Key") != key:
            return json_response({"error": "key mismatch"}, 400)
        if key in self.keys:
            return json_response(self.keys[key])
        if event == "ticket.create":
            ticket = payload["ticket"]
            record = {
                "id": ticket["protocol"],
                "protocol": ticket["protocol"],
                "subject": ticket["subject"],
                "line": ticket["line"],
                "phone": ticket["phone"],
                "status": "Aberto",
                "updated_at": _now(),
                "payload": ticket,
            }
            self.tickets[record["id"]] = record
            self.comments[record["id"]] = []
            answer = {} if self.answer_without_id else {"id": record["id"]}
        elif self.create_only:
            return json_response({"error": "not implemented"}, 501)
        elif event == "ticket.status":
            if payload["id"] not in self.tickets:
                return json_response({"error": "not found"}, 404)
            return json_response({"ticket": _public(self.tickets[payload["id"]])})
        elif event == "tickets.open":
            found = [
                _public(t)
                for t in self.tickets.values()
                if t["phone"] == payload["phone"]
                and t["status"] != "Resolvido"
                and payload["line"] in (None, t["line"])
            ]
            return json_response({"tickets": found})
        elif event == "ticket.comment":
            if payload["id"] not in self.tickets:
                return json_response({"error": "not found"}, 404)
            if self.tickets[payload["id"]]["status"] == "Resolvido":
                return json_response({"error": "resolved"}, 409)
            self.comments[payload["id"]].append(payload["comment"])
            answer = {"ok": True}
        else:
            return json_response({"error": "unknown event"}, 400)
        self.keys[key] = answer
        return json_response(answer, 201 if event == "ticket.create" else 200)


def _public(ticket: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in ticket.items() if k not in ("payload", "phone")}


def _now() -> str:
    return datetime.now(UTC).isoformat()
