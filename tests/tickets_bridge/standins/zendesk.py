"""A Zendesk Support stand-in: the Ticketing API calls the adapter makes.

Follows developer.zendesk.com's reference for: Basic auth with
``{email}/token:{token}``; ``POST /api/v2/tickets`` (201, ``Location``,
``Idempotency-Key`` with ``x-idempotency-lookup: miss|hit``, 400
``IdempotentRequestError`` for a key reused with other parameters); ``GET
/api/v2/tickets?external_id=``; ``GET``/``PUT /api/v2/tickets/{id}`` (the
comment rides in the update); ``GET /api/v2/tickets/{id}/comments``; ``POST
/api/v2/users`` and ``/api/v2/users/create_or_update`` (matching on e-mail or
external_id only); ``DELETE /api/v2/users/{id}`` (soft) and ``DELETE
/api/v2/deleted_users/{id}`` (permanent, only after the soft one); ``GET
/api/v2/search.json`` for the few terms used. Search
here is never behind: the real index may lag by minutes.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shlex
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.tickets_bridge.standins.server import StandIn, json_response

TICKET = re.compile(r"^/api/v2/tickets/(\d+)(?:\.json)?$")
TICKET_COMMENTS = re.compile(r"^/api/v2/tickets/(\d+)/comments(?:\.json)?$")
USER = re.compile(r"^/api/v2/users/(\d+)$")
DELETED_USER = re.compile(r"^/api/v2/deleted_users/(\d+)$")
SOLVED_OR_LATER = {"solved", "closed"}
STATUS_ORDER = ["new", "open", "pending", "hold", "solved", "closed"]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ZendeskStandIn(StandIn):
    def __init__(self, email: str = "ivr@example.com", token: str = "zd-token") -> None:
        super().__init__()
        self.email = email
        self.token = token
        self.users: dict[int, dict[str, Any]] = {}
        self.tickets: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.keys: dict[str, tuple[str, int, dict[str, Any]]] = {}  # key -> (body hash, answer)
        self.soft_deleted: dict[int, dict[str, Any]] = {}
        self.purged: list[int] = []  # users permanently deleted, in order
        self._next_id = 1000

    # -- what a test may do as the help desk's agents ---------------------------

    def set_status(self, ticket_id: str, status: str) -> None:
        with self.lock:
            self.tickets[int(ticket_id)].update(status=status, updated_at=_now())

    def forget_idempotency_keys(self) -> None:
        """What Zendesk does to a key 2 hours after its first use."""
        with self.lock:
            self.keys.clear()

    def comment_bodies(self, ticket_id: str) -> list[str]:
        with self.lock:
            return [c["body"] for c in self.comments[int(ticket_id)]]

    def add_user(self, name: str, phone: str) -> int:
        with self.lock:
            return self._new_user({"name": name, "phone": phone})["id"]

    # -- the API ---------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if not self._authorized(request):
            return json_response({"error": "Couldn't authenticate you"}, 401)
        path = request.path.removesuffix(".json")
        if path == "/api/v2/tickets" and request.method == "POST":
            return self._create_ticket(request)
        if path == "/api/v2/tickets" and request.method == "GET":
            external_id = request.args.get("external_id")
            found = [t for t in self.tickets.values() if t["external_id"] == external_id]
            return json_response({"tickets": found, "next_page": None, "count": len(found)})
        if match := TICKET_COMMENTS.match(request.path):
            return self._comments(int(match.group(1)))
        if match := TICKET.match(request.path):
            ticket = self.tickets.get(int(match.group(1)))
            if ticket is None:
                return json_response({"error": "RecordNotFound", "description": "Not found"}, 404)
            if request.method == "GET":
                return json_response({"ticket": ticket})
            if request.method == "PUT":
                return self._update_ticket(ticket, request)
        if path == "/api/v2/users" and request.method == "POST":
            user = (request.get_json(silent=True) or {}).get("user") or {}
            if not user.get("name"):
                return self._invalid("name", "cannot be blank")
            return json_response({"user": self._new_user(user)}, 201)
        if (match := USER.match(path)) and request.method == "DELETE":
            return self._delete_user(int(match.group(1)))
        if (match := DELETED_USER.match(path)) and request.method == "DELETE":
            return self._purge_user(int(match.group(1)))
        if path == "/api/v2/users/create_or_update" and request.method == "POST":
            return self._create_or_update_user(request)
        if path == "/api/v2/search" and request.method == "GET":
            return self._search(request.args.get("query", ""))
        return json_response({"error": "InvalidEndpoint", "description": "Not found"}, 404)

    def _authorized(self, request: Request) -> bool:
        expected = base64.b64encode(f"{self.email}/token:{self.token}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    def _create_ticket(self, request: Request) -> Response:
        key = request.headers.get("Idempotency-Key")
        body_hash = hashlib.sha256(request.get_data()).hexdigest()
        if key and key in self.keys:
            first_hash, status, answer = self.keys[key]
            if first_hash != body_hash:
                return json_response(
                    {
                        "error": "IdempotentRequestError",
                        "description": "Request parameters don't match the given idempotency key",
                    },
                    400,
                )
            return json_response(answer, status, {"x-idempotency-lookup": "hit"})
        fields = (request.get_json(silent=True) or {}).get("ticket")
        if not isinstance(fields, dict) or not isinstance(fields.get("comment"), dict):
            return self._invalid("comment", "is required")
        if fields.get("priority") not in (None, "urgent", "high", "normal", "low"):
            return self._invalid("priority", "is not valid")
        requester_id = fields.get("requester_id")
        if requester_id is not None and requester_id not in self.users:
            return self._invalid("requester_id", "is not a user")
        if requester_id is None and isinstance(fields.get("requester"), dict):
            requester_id = self._user_by_email(fields["requester"])["id"]
        self._next_id += 1
        ticket = {
            "id": self._next_id,
            "url": f"{request.host_url}api/v2/tickets/{self._next_id}.json",
            "subject": fields.get("subject", ""),
            "status": fields.get("status", "new"),
            "priority": fields.get("priority"),
            "tags": sorted(set(fields.get("tags", []))),
            "external_id": fields.get("external_id"),
            "requester_id": requester_id,
            "via": {"channel": "api"},
            "created_at": _now(),
            "updated_at": _now(),
            "due_at": None,
        }
        self.tickets[ticket["id"]] = ticket
        self.comments[ticket["id"]] = [self._comment(fields["comment"], public_default=True)]
        answer = {"ticket": ticket}
        if key:
            self.keys[key] = (body_hash, 201, answer)
        headers = {"Location": ticket["url"], "x-idempotency-lookup": "miss"}
        return json_response(answer, 201, headers)

    def _update_ticket(self, ticket: dict[str, Any], request: Request) -> Response:
        fields = (request.get_json(silent=True) or {}).get("ticket") or {}
        if ticket["status"] == "closed":
            return self._invalid("status", "closed prevents ticket update")
        if isinstance(fields.get("comment"), dict):
            public_default = self.comments[ticket["id"]][0]["public"]
            self.comments[ticket["id"]].append(self._comment(fields["comment"], public_default))
        ticket["updated_at"] = _now()
        return json_response({"ticket": ticket, "audit": {"events": []}})

    def _comments(self, ticket_id: int) -> Response:
        if ticket_id not in self.tickets:
            return json_response({"error": "RecordNotFound", "description": "Not found"}, 404)
        found = self.comments[ticket_id]
        return json_response({"comments": found, "next_page": None, "count": len(found)})

    def _comment(self, fields: dict[str, Any], public_default: bool) -> dict[str, Any]:
        self._next_id += 1
        return {
            "id": self._next_id,
            "body": fields.get("body") or fields.get("html_body", ""),
            "public": fields.get("public", public_default),
            "created_at": _now(),
        }

    def _new_user(self, fields: dict[str, Any]) -> dict[str, Any]:
        self._next_id += 1
        user = {
            "id": self._next_id,
            "name": fields["name"],
            "email": fields.get("email"),
            "phone": fields.get("phone"),
            "external_id": fields.get("external_id"),
            "role": "end-user",
        }
        self.users[user["id"]] = user
        return user

    def _user_by_email(self, fields: dict[str, Any]) -> dict[str, Any]:
        for user in self.users.values():
            if user["email"] and user["email"] == fields.get("email"):
                return user
        return self._new_user({"name": fields.get("name") or fields.get("email"), **fields})

    def _create_or_update_user(self, request: Request) -> Response:
        fields = (request.get_json(silent=True) or {}).get("user") or {}
        for user in self.users.values():
            same_email = fields.get("email") and user["email"] == fields["email"]
            same_external = fields.get("external_id") and user["external_id"] == fields.get(
                "external_id"
            )
            if same_email or same_external:
                user.update({k: v for k, v in fields.items() if k in user})
                return json_response({"user": user}, 200)
        if not fields.get("name"):
            return self._invalid("name", "cannot be blank")
        return json_response({"user": self._new_user(fields)}, 201)

    def _search(self, query: str) -> Response:
        terms = shlex.split(query)
        kind = next((t.split(":", 1)[1] for t in terms if t.startswith("type:")), None)
        results: list[dict[str, Any]]
        if kind == "user":
            phones = [t.split(":", 1)[1] for t in terms if t.startswith("phone:")]
            results = [u for u in self.users.values() if not phones or u["phone"] in phones]
            results = [{**u, "result_type": "user"} for u in results]
        elif kind == "ticket":
            results = [
                {**t, "result_type": "ticket"}
                for t in self.tickets.values()
                if all(self._ticket_matches(t, term) for term in terms)
            ]
            results.sort(key=lambda t: t["id"], reverse=True)
        else:
            return json_response({"error": "unsupported query in the stand-in"}, 422)
        return json_response({"results": results, "count": len(results), "next_page": None})

    def _delete_user(self, user_id: int) -> Response:
        user = self.users.pop(user_id, None)
        if user is None:
            return json_response({"error": "RecordNotFound", "description": "Not found"}, 404)
        self.soft_deleted[user_id] = {**user, "active": False}
        return json_response({"user": self.soft_deleted[user_id]})

    def _purge_user(self, user_id: int) -> Response:
        # Zendesk erases only a user already soft-deleted.
        if self.soft_deleted.pop(user_id, None) is None:
            return json_response({"error": "RecordNotFound", "description": "Not found"}, 404)
        self.purged.append(user_id)
        for ticket in self.tickets.values():
            if ticket.get("requester_id") == user_id:
                ticket["requester_id"] = None
        return json_response({"deleted_user": {"id": user_id, "name": "Permanently Deleted User"}})

    @staticmethod
    def _ticket_matches(ticket: dict[str, Any], term: str) -> bool:
        if term.startswith("status<"):
            bound = STATUS_ORDER.index(term.removeprefix("status<"))
            return STATUS_ORDER.index(ticket["status"]) < bound
        if term.startswith("requester:"):
            return str(ticket["requester_id"]) == term.split(":", 1)[1]
        if term.startswith("tags:"):
            return term.split(":", 1)[1] in ticket["tags"]
        return term.startswith("type:")

    @staticmethod
    def _invalid(field: str, message: str) -> Response:
        return json_response(
            {
                "error": "RecordInvalid",
                "description": "Record validation errors",
                "details": {field: [{"description": f"{field} {message}"}]},
            },
            422,
        )
