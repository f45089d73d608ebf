"""A ticket store at the port that remembers what it was asked, for relay tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from tickets_bridge.store import (
    Comment,
    NewTicket,
    StoreUnavailable,
    TicketNotFound,
    TicketSummary,
)


class RecordingStore:
    """Creates at most once per idempotency key, like a help desk that honours the key.

    ``fail`` is asked before each request and may raise (an outage, a 429).
    """

    def __init__(self, fail: Callable[[str], None] | None = None, delay: float = 0.0) -> None:
        self.fail = fail or (lambda key: None)
        self.delay = delay
        self.created: list[str] = []  # protocols, in the order the store made them
        self.keys_seen: list[str] = []  # every key of every try
        self.by_key: dict[str, str] = {}
        self.comments: list[tuple[str, str]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()

    def create(self, ticket: NewTicket, idempotency_key: str) -> str:
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            self.keys_seen.append(idempotency_key)
            self.fail(idempotency_key)
            time.sleep(self.delay)
            with self._lock:
                if idempotency_key not in self.by_key:
                    self.by_key[idempotency_key] = f"Z{len(self.created) + 1}"
                    self.created.append(ticket.protocol)
                return self.by_key[idempotency_key]
        finally:
            with self._lock:
                self.in_flight -= 1

    def status(self, remote_id: str) -> TicketSummary:
        raise TicketNotFound(remote_id)

    def open_tickets(self, phone: str, line: str | None = None) -> list[TicketSummary]:
        return []

    def add_comment(self, remote_id: str, comment: Comment, idempotency_key: str) -> None:
        self.keys_seen.append(idempotency_key)
        self.fail(remote_id)
        self.comments.append((remote_id, comment.text))


def down(reason: str = "503 Service Unavailable", retry_after: float | None = None):
    def fail(key: str) -> None:
        raise StoreUnavailable(reason, retry_after)

    return fail
