"""TomTicket's API v2.0 as a :class:`TicketStore`.

Calls used (base ``https://api.tomticket.com/v2.0/``, ``Authorization: Bearer``,
form-encoded bodies, JSON answers carrying ``error`` and ``message``):

- ``GET  customer/details`` and ``POST customer/new`` (official KB): a caller
  unknown to TomTicket becomes a customer, identified by the digits of the
  E.164 number (or by e-mail when there is no number);
- ``GET  ticket/list`` (official KB) finds the caller's tickets, 50 a page;
- ``POST ticket/new``, ``GET ticket/detail`` and ``POST ticket/reply/customer``
  are known from independent integrations only, not from TomTicket's pages.

TomTicket takes no idempotency key. Our protocol opens the subject
(``[123456789012] …``) and every creation first looks among the caller's
tickets for one that carries it, so a retry after a timeout finds the ticket
the first try made instead of making another.

Much of the answers' shape is undocumented: where the ticket id of a new
ticket comes back, the wrapping of lists and details, the date format. Each
is parsed defensively, trying the shapes integrations have seen, and an
answer we cannot read is a transient failure, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tickets_bridge.adapters.environment import required
from tickets_bridge.adapters.remote_calls import excerpt, json_body, masked, rejected, send
from tickets_bridge.adapters.ticket_text import ticket_text
from tickets_bridge.store import (
    Comment,
    DeliveryUncertain,
    NewTicket,
    RedactionUnsupported,
    Status,
    StoreInfo,
    StoreUnavailable,
    TicketClosed,
    TicketNotFound,
    TicketRejected,
    TicketSummary,
)

PUBLIC_BASE_URL = "https://api.tomticket.com/v2.0/"
PRIORITIES = {"low": 1, "normal": 2, "high": 3, "urgent": 4}  # Baixa, Normal, Alta, Urgente
# Situation codes (official KB: 0-9; integrations mention up to 11). Unknown
# codes count as open: a ticket must never look solved by mistake.
AWAITING_REPLY_SITUATIONS = {2}  # respondido, aguardando resposta do cliente
RESOLVED_SITUATIONS = {4, 5}  # cancelada, finalizada
PAGE_LIMIT = 20  # 1,000 tickets of one caller is far beyond any real history
ANONYMOUS_CUSTOMER = "sem-numero"  # a call with the number withheld
SUBJECT_PROTOCOL = re.compile(r"^\[(\d+)\]")
# TomTicket is Brazilian; a date without an offset is taken as São Paulo time.
LOCAL_ZONE = ZoneInfo("America/Sao_Paulo")


class TomTicketStore:
    """Tickets in a TomTicket account, over an injected ``httpx.Client``."""

    info = StoreInfo(
        name="tomticket",
        remote=True,
        notes=(
            "comments are added as the customer's reply: the API documents no internal note",
            "open tickets for a line are found by the line's department",
        ),
    )

    def __init__(
        self,
        token: str,
        department_id: str,
        client: httpx.Client,
        *,
        category_id: str | None = None,
        line_departments: Mapping[str, str] | None = None,
        base_url: str = PUBLIC_BASE_URL,
    ) -> None:
        self._base = base_url.rstrip("/") + "/"
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self._client = client
        self._department_id = department_id
        self._category_id = category_id
        self._line_departments = dict(line_departments or {})

    @classmethod
    def from_env(cls, environ: Mapping[str, str], client: httpx.Client) -> TomTicketStore:
        """From ``TOMTICKET_TOKEN``, ``TOMTICKET_DEPARTMENT_ID``, ``TOMTICKET_CATEGORY_ID``,
        ``TOMTICKET_LINE_DEPARTMENTS`` (``erp=ID,nfe=ID``) and ``TOMTICKET_URL``."""
        token, department_id = required(
            environ, "TomTicket", "TOMTICKET_TOKEN", "TOMTICKET_DEPARTMENT_ID"
        )
        pairs = [p.split("=", 1) for p in environ.get("TOMTICKET_LINE_DEPARTMENTS", "").split(",")]
        return cls(
            token,
            department_id,
            client,
            category_id=environ.get("TOMTICKET_CATEGORY_ID") or None,
            line_departments={k.strip(): v.strip() for k, v in (p for p in pairs if len(p) == 2)},
            base_url=environ.get("TOMTICKET_URL") or PUBLIC_BASE_URL,
        )

    # -- TicketStore ---------------------------------------------------------

    def create(self, ticket: NewTicket, idempotency_key: str) -> str:
        # No idempotency key in TomTicket's API: the protocol in the subject is ours.
        customer_id, id_type = _customer_key(ticket)
        self._ensure_customer(ticket, customer_id, id_type)
        found = self._ticket_id_by_protocol(customer_id, id_type, ticket.protocol)
        if found is not None:
            return found
        form = {
            "customer_id": customer_id,
            "customer_id_type": id_type,
            "department_id": self._department_for(ticket.line),
            "subject": f"[{ticket.protocol}] {ticket.subject}",
            "message": ticket_text(ticket),
            "priority": str(PRIORITIES[ticket.priority]),
        }
        if self._category_id:
            form["category_id"] = self._category_id
        response = self._request("POST", "ticket/new", data=form)
        body = _answer(response, "TomTicket refused the ticket")
        made = _new_ticket_id(body)
        if made is not None:
            return made
        # Created (no error), but the answer's shape hid the id: read it back.
        found = self._ticket_id_by_protocol(customer_id, id_type, ticket.protocol)
        if found is None:
            raise StoreUnavailable("TomTicket created the ticket but its id was not found yet")
        return found

    def status(self, remote_id: str) -> TicketSummary:
        response = self._request("GET", "ticket/detail", params={"ticket_id": remote_id})
        if response.status_code == 404:
            raise TicketNotFound(f"no TomTicket ticket {remote_id}")
        body = json_body(response)
        if response.status_code == 200 and isinstance(body, dict) and body.get("error") is True:
            # TomTicket answers an unknown id with 200 and error=true.
            raise TicketNotFound(f"no TomTicket ticket {remote_id}: {_message_of(body)}")
        body = _answer(response, f"TomTicket refused to show ticket {remote_id}")
        item = body.get("data") if isinstance(body.get("data"), dict) else body
        summary = self._summary(item)
        if summary is None:
            raise StoreUnavailable(f"TomTicket answered ticket {remote_id} in an unknown shape")
        return summary

    def open_tickets(self, phone: str, line: str | None = None) -> list[TicketSummary]:
        department = self._line_departments.get(line) if line else None
        tickets = [
            summary
            for item in self._tickets_of(_phone_customer_id(phone), "I", department)
            if (summary := self._summary(item)) is not None
            and summary.status is not Status.RESOLVED
            and (department is None or _department_of(item) in (None, department))
        ]
        return sorted(tickets, key=lambda t: t.updated_at, reverse=True)

    def add_comment(self, remote_id: str, comment: Comment, idempotency_key: str) -> None:
        # The only reply endpoint integrations document is the customer's: an
        # internal note has no documented endpoint, so every comment lands as
        # the customer's reply (the IVR's comments are the caller's messages).
        if self.status(remote_id).status is Status.RESOLVED:
            raise TicketClosed(remote_id)  # finished or cancelled: a follow-up ticket instead
        # TomTicket takes no key (``idempotency_key`` goes unused) and shows no
        # replies to look for: a reply whose answer was lost is never sent again.
        text = f"{comment.text}\n\n— {comment.author}"
        uncertain = f"TomTicket may have taken the reply to ticket {remote_id}"
        try:
            response = self._request(
                "POST", "ticket/reply/customer", data={"ticket_id": remote_id, "message": text}
            )
        except StoreUnavailable as exc:
            if exc.maybe_done:
                raise DeliveryUncertain(f"{uncertain} ({exc})") from exc
            raise
        if response.status_code == 404:
            raise TicketNotFound(f"no TomTicket ticket {remote_id}")
        try:
            _answer(response, f"TomTicket refused the comment on ticket {remote_id}")
        except StoreUnavailable as exc:  # a 2xx we cannot read: it was probably done
            raise DeliveryUncertain(f"{uncertain} ({exc})") from exc

    def redact_requester(self, phone: str) -> int:
        """TomTicket documents no customer deletion: it must be done in its panel."""
        raise RedactionUnsupported(
            "a API do TomTicket não permite excluir clientes: "
            "exclua o cliente no painel do TomTicket"
        )

    # -- the pieces ------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return send(self._client, method, self._base + path, headers=self._headers, **kwargs)

    def _department_for(self, line: str | None) -> str:
        return self._line_departments.get(line or "", self._department_id)

    def _ensure_customer(self, ticket: NewTicket, customer_id: str, id_type: str) -> None:
        """Create the customer unless TomTicket already knows it."""
        # customer/details is in the official KB, its parameter names are
        # [unconfirmed]: we send create's names. Whatever its answer, a failed
        # customer/new is checked against a second lookup before giving up.
        query = {"customer_id": customer_id, "customer_id_type": id_type}
        response = self._request("GET", "customer/details", params=query)
        body = json_body(response)
        if response.status_code == 200 and isinstance(body, dict) and body.get("error") is False:
            return
        if response.status_code not in (200, 400, 404):
            raise rejected("TomTicket refused the customer lookup", response)
        form = {
            "customer_id": customer_id,
            "name": _customer_name(ticket),
            "create_tickets": "1",
            "language": "pt-BR",
        }
        if ticket.email:
            form["email"] = ticket.email
        if ticket.phone:
            form["phone"] = ticket.phone
        made = self._request("POST", "customer/new", data=form)
        answer = json_body(made)
        if made.status_code == 200 and isinstance(answer, dict) and answer.get("error") is False:
            return
        # Made by a concurrent or earlier try since our lookup? Then all is well.
        again = json_body(self._request("GET", "customer/details", params=query))
        if isinstance(again, dict) and again.get("error") is False:
            return
        raise rejected("TomTicket refused the new customer", made)

    def _ticket_id_by_protocol(self, customer_id: str, id_type: str, protocol: str) -> str | None:
        for item in self._tickets_of(customer_id, id_type, None):
            subject = item.get("subject")
            match = SUBJECT_PROTOCOL.match(subject) if isinstance(subject, str) else None
            if match and match.group(1) == protocol and _id_of(item) is not None:
                return _id_of(item)
        return None

    def _tickets_of(
        self, customer_id: str, id_type: str, department_id: str | None
    ) -> Iterator[Mapping[str, Any]]:
        """The customer's tickets, page by page (50 each), as raw items."""
        for page in range(1, PAGE_LIMIT + 1):
            params = {"page": page, "customer_id": customer_id, "customer_type_id": id_type}
            if department_id:
                params["department_id"] = department_id
            response = self._request("GET", "ticket/list", params=params)
            body = json_body(response)
            if response.status_code == 200 and isinstance(body, dict) and body.get("error") is True:
                return  # an unknown customer has no tickets
            body = _answer(response, "TomTicket refused the ticket list")
            items = _list_items(body)
            if items is None:
                raise StoreUnavailable("TomTicket answered the ticket list in an unknown shape")
            yield from (item for item in items if isinstance(item, dict))
            if len(items) < 50 or not _has_more(body, page):
                return

    def _summary(self, item: Any) -> TicketSummary | None:
        if not isinstance(item, Mapping) or _id_of(item) is None:
            return None
        situation = item.get("situation")
        code = _int(situation.get("id")) if isinstance(situation, Mapping) else _int(situation)
        if code in RESOLVED_SITUATIONS:
            status = Status.RESOLVED
        elif code in AWAITING_REPLY_SITUATIONS:
            status = Status.AWAITING_REPLY
        else:
            status = Status.OPEN
        changed = situation.get("apply_date") if isinstance(situation, Mapping) else None
        times = [t for t in (_instant(changed), _instant(item.get("creation_date"))) if t]
        if not times:
            return None
        subject = str(item.get("subject") or "")
        match = SUBJECT_PROTOCOL.match(subject)
        department_id = _department_of(item)
        lines = [name for name, d in self._line_departments.items() if d == department_id]
        sla = item.get("sla")
        deadline = sla.get("deadline") if isinstance(sla, Mapping) else None
        return TicketSummary(
            remote_id=_id_of(item) or "",
            status=status,
            updated_at=max(times),
            protocol=match.group(1) if match else None,
            subject=subject,
            line=lines[0] if len(lines) == 1 else None,
            due_at=_instant(deadline.get("date")) if isinstance(deadline, Mapping) else None,
        )


def _answer(response: httpx.Response, what: str) -> dict[str, Any]:
    """A successful answer's JSON object; TicketRejected when TomTicket said no.

    A 2xx whose body we cannot read is transient: the request may have been
    carried out, and the next try looks before it acts.
    """
    body = json_body(response)
    if 200 <= response.status_code < 300:
        if not isinstance(body, dict):
            raise StoreUnavailable(f"{what}: unreadable answer {excerpt(response)!r}")
        if body.get("error") is True or body.get("error") in ("true", 1, "1"):
            raise TicketRejected(f"{what}: {_message_of(body)}")
        return body
    raise rejected(what, response)


def _department_of(item: Mapping[str, Any]) -> str | None:
    department = item.get("department")
    if isinstance(department, Mapping) and department.get("id") is not None:
        return str(department["id"])
    return None


def _message_of(body: Mapping[str, Any]) -> str:
    message = body.get("message")
    return masked(str(message)) if message else "no reason given"


def _new_ticket_id(body: Mapping[str, Any]) -> str | None:
    """The new ticket's id wherever integrations have found it."""
    data = body.get("data")
    for holder, key in ((body, "ticket_id"), (body, "id"), (data, "ticket_id"), (data, "id")):
        if isinstance(holder, Mapping) and _plain_id(holder.get(key)):
            return str(holder[key])
    return str(data) if _plain_id(data) else None


def _id_of(item: Mapping[str, Any]) -> str | None:
    for key in ("id", "ticket_id"):
        if _plain_id(item.get(key)):
            return str(item[key])
    return None


def _plain_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and bool(re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value))


def _list_items(body: Mapping[str, Any]) -> list[Any] | None:
    data = body.get("data")
    if isinstance(data, list):
        return data
    for holder in (data, body):
        if isinstance(holder, Mapping):
            for key in ("tickets", "items", "results"):
                if isinstance(holder.get(key), list):
                    return holder[key]
    return None


def _has_more(body: Mapping[str, Any], page: int) -> bool:
    """Whether a later page exists; a full page with no page count says yes."""
    for key in ("pages", "total_pages", "last_page"):
        pages = _int(body.get(key))
        if pages is not None:
            return page < pages
    return True


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=LOCAL_ZONE)


def _phone_customer_id(phone: str) -> str:
    """The customer id we give a caller: the digits of the E.164 number."""
    return re.sub(r"\D", "", phone)


def _customer_key(ticket: NewTicket) -> tuple[str, str]:
    if ticket.phone:
        return _phone_customer_id(ticket.phone), "I"
    if ticket.email:
        return ticket.email, "E"
    return ANONYMOUS_CUSTOMER, "I"


def _customer_name(ticket: NewTicket) -> str:
    if ticket.phone:
        return f"Cliente {ticket.phone}"
    if ticket.email:
        return ticket.email
    return "Cliente sem número identificado"
