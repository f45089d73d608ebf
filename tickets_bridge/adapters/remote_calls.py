"""One HTTP request to a help desk, its failures turned into the store's error tree.

Transport failures, timeouts, 429 and 5xx become :class:`StoreUnavailable`
(with ``retry_after`` when the remote side said how long to wait, and
``maybe_done`` when the request went out and no answer came back); nothing
here ever sleeps: waiting is the outbox's business. Other statuses are left
to the adapter, which knows what a 400 or a 404 means for each call.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from tickets_bridge.store import StoreUnavailable, TicketRejected

# Digit runs long enough to be a phone number: masked in every message we raise,
# since error texts end up in logs and help desks echo what they were sent.
_PHONE_LIKE = re.compile(r"\+?\d[\d ().-]{6,}\d")
_EXCERPT = 200
# Failures after the request may have reached the help desk: it may have acted.
# (Connecting and waiting for a pooled connection fail before anything is sent.)
_MAYBE_DONE = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)


def send(client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """The response of a 1xx-4xx (except 429) answer; StoreUnavailable otherwise."""
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise StoreUnavailable(
            f"{method} {_path(url)} timed out", maybe_done=isinstance(exc, _MAYBE_DONE)
        ) from exc
    except httpx.TransportError as exc:
        raise StoreUnavailable(
            f"{method} {_path(url)}: {type(exc).__name__}", maybe_done=isinstance(exc, _MAYBE_DONE)
        ) from exc
    if response.status_code == 429:
        raise StoreUnavailable(
            f"{method} {_path(url)}: 429 too many requests", retry_after=retry_after(response)
        )
    if response.status_code >= 500 and response.status_code != 501:  # 501: never supported
        raise StoreUnavailable(
            f"{method} {_path(url)}: {response.status_code}", retry_after=retry_after(response)
        )
    return response


def retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from ``Retry-After``: delta-seconds, or an HTTP-date.

    An HTTP-date is measured against the response's own ``Date`` header, so no
    local clock is read; without one the wait is unknown (None).
    """
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        until = parsedate_to_datetime(value)
        sent = parsedate_to_datetime(response.headers["Date"])
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    if until.tzinfo is None or sent.tzinfo is None:
        return None
    return max(0.0, (until - sent).total_seconds())


def rejected(what: str, response: httpx.Response) -> TicketRejected:
    """A TicketRejected that says what was refused, and why in the store's words."""
    return TicketRejected(f"{what}: {response.status_code} {excerpt(response)}".rstrip())


def excerpt(response: httpx.Response) -> str:
    """The start of a response body, phone-like digit runs masked."""
    return masked(response.text)


def masked(text: str) -> str:
    """A help desk's words fit for a log: one line, short, phone-like digit runs masked."""
    return _PHONE_LIKE.sub("…", " ".join(text.split())[:_EXCERPT])


def json_body(response: httpx.Response) -> Any:
    """The decoded JSON body, or None when it is not JSON (help desks do that on errors)."""
    try:
        return response.json()
    except ValueError:
        return None


def instant(value: Any) -> datetime | None:
    """An ISO-8601 time with its offset (``Z`` too) from a JSON answer; None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _path(url: str) -> str:
    """The path only: query strings may hold a phone number or a token."""
    return httpx.URL(url).path
