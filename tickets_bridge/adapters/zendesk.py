"""Zendesk Support's Ticketing API as a :class:`TicketStore`.

Calls used (https://developer.zendesk.com/api-reference/ticketing/):

- ``GET  /api/v2/search.json?query=type:user phone:"+55…"`` finds a caller's user;
- ``POST /api/v2/users/create_or_update`` makes one for a phone-only caller
  (name, E.164 phone, and an ``external_id`` derived from the phone, the one
  key besides e-mail that create_or_update matches on: a retry never makes a
  second user, even before the search index has caught up);
- ``POST /api/v2/tickets`` with an ``Idempotency-Key`` header and
  ``external_id`` = our protocol; ``GET /api/v2/tickets?external_id=…`` first
  when an earlier attempt may be older than the key's 2-hour window;
- ``GET /api/v2/tickets/{id}``; ``GET /api/v2/search.json?query=type:ticket
  status<solved requester:{id}`` for open tickets; ``PUT /api/v2/tickets/{id}``
  with a ``comment`` to add one, after ``GET /api/v2/tickets/{id}/comments``
  shows it is not there yet (updates take no idempotency key);
- ``DELETE /api/v2/users/{id}`` then ``DELETE /api/v2/deleted_users/{id}``
  (Zendesk's "permanently delete user", its answer to erasure requests) to
  redact a caller who asked to be forgotten.

Auth is an API token (``{email}/token:{token}``, Basic). The search index lags
"up to a few minutes" behind writes, so a ticket made moments ago may be
missing from :meth:`ZendeskStore.open_tickets`; nothing that must be exact
(idempotency, the user) depends on search.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx
import phonenumbers

from hours.clock import Clock, require_aware, utc_now
from tickets_bridge.adapters.environment import required
from tickets_bridge.adapters.remote_calls import instant, json_body, rejected, send
from tickets_bridge.adapters.ticket_text import ticket_text
from tickets_bridge.store import (
    Comment,
    NewTicket,
    Status,
    StoreInfo,
    StoreUnavailable,
    TicketClosed,
    TicketNotFound,
    TicketSummary,
)

# Zendesk keeps idempotency keys for 2 hours (documented by independent
# sources, not on the API reference page itself); we stop trusting a key a
# quarter of an hour earlier, for clock skew and a slow first attempt.
IDEMPOTENCY_WINDOW = timedelta(hours=2)
WINDOW_MARGIN = timedelta(minutes=15)

STATUSES = {
    "new": Status.OPEN,
    "open": Status.OPEN,
    "hold": Status.OPEN,
    "pending": Status.AWAITING_REPLY,
    "solved": Status.RESOLVED,
    "closed": Status.RESOLVED,
}
SUBJECT_MAX = 150  # the schema's maxLength
LINE_TAG = "linha_"
TOPIC_TAG = "assunto_"
SOURCE_TAG = "ivr"
COMMENT_PAGES = 10  # 100 comments a page: far more than any phone ticket gathers
USER_EXTERNAL_ID = "ivr-phone:"  # + E.164: our key for the users we create
# A number shared by more users than this is someone's switchboard, not a caller.
MAX_REDACTED_USERS = 10


class ZendeskStore:
    """Tickets in a Zendesk account, over an injected ``httpx.Client``."""

    info = StoreInfo(
        name="zendesk",
        remote=True,
        notes=("open tickets come from search, which lags new tickets by up to a few minutes",),
    )

    def __init__(
        self,
        base_url: str,
        email: str,
        api_token: str,
        client: httpx.Client,
        *,
        clock: Clock = utc_now,
        public_description: bool = False,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._auth = httpx.BasicAuth(f"{email}/token", api_token)
        self._client = client
        self._clock = clock
        self._public_description = public_description

    @classmethod
    def from_env(cls, environ: Mapping[str, str], client: httpx.Client) -> ZendeskStore:
        """From ``ZENDESK_URL``, ``ZENDESK_EMAIL`` and ``ZENDESK_API_TOKEN``."""
        url, email, token = required(
            environ, "Zendesk", "ZENDESK_URL", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN"
        )
        return cls(url, email, token, client)

    # -- TicketStore ---------------------------------------------------------

    def create(self, ticket: NewTicket, idempotency_key: str) -> str:
        if self._key_may_have_expired(ticket):
            # An earlier attempt may have created the ticket under a key Zendesk
            # has since forgotten: only our external_id can tell.
            found = self._ticket_id_by_external_id(ticket.protocol)
            if found is not None:
                return found
        body = {"ticket": self._ticket_fields(ticket)}
        response = self._request(
            "POST", "/api/v2/tickets", json=body, headers={"Idempotency-Key": idempotency_key}
        )
        if response.status_code in (200, 201):
            return _ticket_id(response)
        if _is_idempotency_conflict(response):
            # The key was used before with other parameters (the requester's id
            # changed between tries, say): that attempt made the ticket.
            found = self._ticket_id_by_external_id(ticket.protocol)
            if found is not None:
                return found
            raise rejected("Zendesk refused the idempotency key", response)
        if response.status_code == 409:
            # Same key while the first request is still running: Zendesk's
            # behaviour is undocumented; a later retry will read the outcome.
            raise StoreUnavailable("Zendesk: 409 while creating the ticket", retry_after=None)
        raise rejected("Zendesk refused the ticket", response)

    def status(self, remote_id: str) -> TicketSummary:
        response = self._request("GET", f"/api/v2/tickets/{_ticket_path_id(remote_id)}")
        if response.status_code == 404:
            raise TicketNotFound(f"no Zendesk ticket {remote_id}")
        if response.status_code != 200:
            raise rejected(f"Zendesk refused to show ticket {remote_id}", response)
        ticket = _dict(json_body(response), "ticket")
        if ticket is None:
            raise StoreUnavailable(f"Zendesk answered ticket {remote_id} without a ticket")
        return _summary(ticket)

    def open_tickets(self, phone: str, line: str | None = None) -> list[TicketSummary]:
        user_id = self._user_id_by_phone(phone)
        if user_id is None:
            return []
        # type:ticket and status<solved are in Zendesk's search reference; naming
        # the requester by user id is [unconfirmed] in our sources (the documented
        # example uses an e-mail, which a phone-only caller lacks), so every result
        # is checked again below.
        query = f"type:ticket status<solved requester:{user_id}"
        if line:
            query += f" tags:{_tag(LINE_TAG, line)}"
        response = self._request(
            "GET",
            "/api/v2/search.json",
            params={"query": query, "sort_by": "created_at", "sort_order": "desc"},
        )
        if response.status_code != 200:
            raise rejected("Zendesk refused the ticket search", response)
        results = _dict(json_body(response), "results")
        tickets = [
            _summary(item)
            for item in (results if isinstance(results, list) else [])
            if isinstance(item, dict)
            and item.get("result_type", "ticket") == "ticket"
            and item.get("requester_id") == user_id
        ]
        return [
            t
            for t in tickets
            if t.status is not Status.RESOLVED and (line is None or t.line == _tag("", line))
        ]

    def add_comment(self, remote_id: str, comment: Comment, idempotency_key: str) -> None:
        # Zendesk would take it and reopen a solved ticket; the vendors' rule is
        # a follow-up ticket instead, so a Resolvido one is refused here.
        if self.status(remote_id).status is Status.RESOLVED:
            raise TicketClosed(remote_id)
        text = f"{comment.text}\n\n— {comment.author}"
        # Updates take no idempotency key (Zendesk's keys cover ticket creation
        # only, so ``idempotency_key`` goes unused): a retry after a lost
        # answer looks for the comment before adding it again.
        if self._has_comment(remote_id, text):
            return
        body = {"ticket": {"comment": {"body": text, "public": comment.public}}}
        response = self._request("PUT", f"/api/v2/tickets/{_ticket_path_id(remote_id)}", json=body)
        if response.status_code == 404:
            raise TicketNotFound(f"no Zendesk ticket {remote_id}")
        if response.status_code != 200:
            raise rejected(f"Zendesk refused the comment on ticket {remote_id}", response)

    # -- erasure on request (LGPD) ---------------------------------------------

    def redact_requester(self, phone: str) -> int:
        """Permanently delete the caller's Zendesk user; how many users went.

        A user is soft-deleted first (``DELETE /users/{id}``), the step Zendesk
        requires before ``DELETE /deleted_users/{id}`` erases it for good. A
        404 on either means it is already gone, so a repeated request is safe.
        """
        redacted = 0
        while (user_id := self._user_id_by_phone(phone)) is not None:
            for path in (f"/api/v2/users/{user_id}", f"/api/v2/deleted_users/{user_id}"):
                response = self._request("DELETE", path)
                if response.status_code not in (200, 204, 404):
                    raise rejected("Zendesk refused to delete the caller's user", response)
            redacted += 1
            if redacted >= MAX_REDACTED_USERS:
                break
        return redacted

    # -- the pieces ------------------------------------------------------------

    def _has_comment(self, remote_id: str, text: str) -> bool:
        """Whether the ticket already shows this text (Zendesk may re-space it)."""
        wanted = " ".join(text.split())
        url = f"{self._base}/api/v2/tickets/{_ticket_path_id(remote_id)}/comments"
        for _ in range(COMMENT_PAGES):
            response = send(
                self._client, "GET", url, auth=self._auth, headers={"Accept": "application/json"}
            )
            if response.status_code == 404:
                raise TicketNotFound(f"no Zendesk ticket {remote_id}")
            if response.status_code != 200:
                raise rejected(f"Zendesk refused the comments of ticket {remote_id}", response)
            page = json_body(response)
            comments = _dict(page, "comments")
            for item in comments if isinstance(comments, list) else []:
                body = item.get("body") if isinstance(item, dict) else None
                if isinstance(body, str) and " ".join(body.split()) == wanted:
                    return True
            next_page = _dict(page, "next_page")
            if not isinstance(next_page, str) or not next_page.startswith(self._base):
                return False
            url = next_page
        return False

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        return send(
            self._client, method, self._base + path, auth=self._auth, headers=headers, **kwargs
        )

    def _key_may_have_expired(self, ticket: NewTicket) -> bool:
        """Whether any earlier attempt could be older than Zendesk's key window.

        No attempt precedes the ticket's own creation, so while the ticket is
        younger than the window (less a margin) the key alone is enough.
        """
        age = self._clock() - require_aware(ticket.created_at, "NewTicket.created_at")
        return age >= IDEMPOTENCY_WINDOW - WINDOW_MARGIN

    def _ticket_fields(self, ticket: NewTicket) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "subject": ticket.subject[:SUBJECT_MAX],
            "comment": {"body": ticket_text(ticket), "public": self._public_description},
            "priority": ticket.priority,
            "external_id": ticket.protocol,
            "tags": _tags(ticket),
        }
        if ticket.phone:
            fields["requester_id"] = self._user_id_for(ticket.phone)
        elif ticket.email:
            # Zendesk makes the user on the fly when the e-mail is unknown.
            fields["requester"] = {"name": ticket.email, "email": ticket.email}
        # With neither, the requester is the API user: an anonymous call.
        return fields

    def _user_id_for(self, phone: str) -> int:
        """The caller's user: found by phone, else made (or found) by our external id."""
        found = self._user_id_by_phone(phone)
        if found is not None:
            return found
        user = {"name": _user_name(phone), "phone": phone, "external_id": USER_EXTERNAL_ID + phone}
        response = self._request("POST", "/api/v2/users/create_or_update", json={"user": user})
        if response.status_code not in (200, 201):
            raise rejected("Zendesk refused the caller's user", response)
        made = _dict(json_body(response), "user")
        if made is None or not isinstance(made.get("id"), int):
            raise StoreUnavailable("Zendesk answered the caller's user without an id")
        return made["id"]

    def _user_id_by_phone(self, phone: str) -> int | None:
        # The search syntax documents type:user; matching on the phone property is
        # [unconfirmed] in our sources, so every hit is checked against the number.
        response = self._request(
            "GET", "/api/v2/search.json", params={"query": f'type:user phone:"{phone}"'}
        )
        if response.status_code != 200:
            raise rejected("Zendesk refused the user search", response)
        results = _dict(json_body(response), "results")
        for item in results if isinstance(results, list) else []:
            if (
                isinstance(item, dict)
                and item.get("result_type", "user") == "user"
                and isinstance(item.get("id"), int)
                and _same_number(item.get("phone"), phone)
            ):
                return item["id"]
        return None

    def _ticket_id_by_external_id(self, protocol: str) -> str | None:
        response = self._request("GET", "/api/v2/tickets", params={"external_id": protocol})
        if response.status_code != 200:
            raise rejected("Zendesk refused the lookup by external id", response)
        tickets = _dict(json_body(response), "tickets")
        ids = [
            t["id"]
            for t in (tickets if isinstance(tickets, list) else [])
            if isinstance(t, dict)
            and t.get("external_id") == protocol
            and isinstance(t.get("id"), int)
        ]
        # external_id is not unique in Zendesk: the first one made is ours.
        return str(min(ids)) if ids else None


def _is_idempotency_conflict(response: httpx.Response) -> bool:
    body = json_body(response)
    return (
        response.status_code == 400
        and isinstance(body, dict)
        and (body.get("error") == "IdempotentRequestError")
    )


def _ticket_id(response: httpx.Response) -> str:
    ticket = _dict(json_body(response), "ticket")
    if ticket is None or not isinstance(ticket.get("id"), int):
        # Created, but we cannot say which: the retry's key (or external id) finds it.
        raise StoreUnavailable("Zendesk answered the new ticket without an id")
    return str(ticket["id"])


def _ticket_path_id(remote_id: str) -> str:
    """Zendesk ticket ids are integers; anything else names no ticket (and no other path)."""
    if not remote_id.isdigit():
        raise TicketNotFound(f"{remote_id!r} is not a Zendesk ticket id")
    return remote_id


def _summary(ticket: Mapping[str, Any]) -> TicketSummary:
    tags = ticket.get("tags") if isinstance(ticket.get("tags"), list) else []
    line = next(
        (t[len(LINE_TAG) :] for t in tags if isinstance(t, str) and t.startswith(LINE_TAG)), None
    )
    updated_at = instant(ticket.get("updated_at")) or instant(ticket.get("created_at"))
    if updated_at is None:
        raise StoreUnavailable(f"Zendesk answered ticket {ticket.get('id')} without its times")
    return TicketSummary(
        remote_id=str(ticket.get("id")),
        # Accounts with custom statuses still report one of the six base values.
        status=STATUSES.get(str(ticket.get("status")), Status.OPEN),
        updated_at=updated_at,
        protocol=ticket.get("external_id") if isinstance(ticket.get("external_id"), str) else None,
        subject=str(ticket.get("subject") or ""),
        line=line,
        due_at=instant(ticket.get("due_at")),
    )


def _dict(body: Any, key: str) -> Any:
    return body.get(key) if isinstance(body, dict) else None


def _tag(prefix: str, value: str) -> str:
    """A Zendesk tag: lower case, no spaces (a space would split it in two)."""
    return prefix + re.sub(r"[^a-z0-9_-]+", "_", value.lower()).strip("_")


def _tags(ticket: NewTicket) -> list[str]:
    tags = [SOURCE_TAG]
    if ticket.line:
        tags.append(_tag(LINE_TAG, ticket.line))
    if ticket.topic:
        tags.append(_tag(TOPIC_TAG, ticket.topic))
    return tags


def _user_name(phone: str) -> str:
    try:
        parsed = phonenumbers.parse(phone, None)
        shown = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        shown = phone
    return f"Cliente {shown}"


def _same_number(candidate: Any, phone: str) -> bool:
    """Whether a user's phone, as Zendesk stored it, is the caller's E.164 number."""
    if not isinstance(candidate, str):
        return False
    try:
        return (
            phonenumbers.format_number(
                phonenumbers.parse(candidate, "BR"), phonenumbers.PhoneNumberFormat.E164
            )
            == phone
        )
    except phonenumbers.NumberParseException:
        return False
