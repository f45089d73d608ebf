"""Every ticket store behind one harness, so one contract suite runs over all.

A harness is the store under test plus what the test needs from the other
side: how many tickets the help desk holds, how its agents move a ticket
along, what comments it shows, and (remote stores only) the stand-in to arm
with faults on the request that creates a ticket. Adding a store is one more
``STORES`` entry and one builder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hours.oracle import Hours
from ivr.storage.db import make_engine
from ivr.storage.ticket_tables import TicketRecord
from tests.conftest import _postgresql_database, _sqlite_database
from tests.tickets_bridge.standins.server import FaultMode, StandIn, serving
from tests.tickets_bridge.standins.tomticket import TomTicketStandIn
from tests.tickets_bridge.standins.webhook_receiver import WebhookReceiver
from tests.tickets_bridge.standins.zendesk import ZendeskStandIn
from tickets_bridge.adapters.tomticket import TomTicketStore
from tickets_bridge.adapters.webhook import WebhookStore
from tickets_bridge.adapters.zendesk import ZendeskStore
from tickets_bridge.sql_store import SqlTicketStore, TicketRules
from tickets_bridge.store import Status, TicketStore

# Short, so the timeout tests are quick; the stand-ins answer in milliseconds.
CLIENT_TIMEOUT = httpx.Timeout(5.0, read=0.5)


def fixed_clock(at: datetime) -> Callable[[], datetime]:
    return lambda: at


@dataclass
class Harness:
    name: str
    store: TicketStore
    count: Callable[[], int]  # tickets the store holds
    resolve: Callable[[str], None]  # an agent solves the ticket
    await_customer: Callable[[str], None]  # an agent answers and waits for the customer
    comments: Callable[[str], list[str]]  # the texts of the ticket's comments and replies
    standin: StandIn | None = None
    creation: tuple[str, str] | None = None  # (method, path) of the request that creates
    # (method, path) of the request that adds a comment to a ticket, by its remote id
    commenting: Callable[[str], tuple[str, str]] | None = None

    def arm(self, mode: FaultMode, *, retry_after: str | None = None) -> None:
        """Make the next ticket-creating request fail this way."""
        self._arm(self.creation, mode, retry_after)

    def arm_comment(self, remote_id: str, mode: FaultMode) -> None:
        """Make the next request adding a comment to ``remote_id`` fail this way."""
        self._arm(self.commenting(remote_id) if self.commenting else None, mode, None)

    def _arm(self, request: tuple[str, str] | None, mode: FaultMode, retry_after: str | None):
        if self.standin is None or request is None:
            pytest.skip(f"{self.name}: no network between the product and this store")
        method, path = request
        self.standin.faults.arm(mode, method=method, path=path, retry_after=retry_after)


@pytest.fixture(scope="session")
def http_client() -> Iterator[httpx.Client]:
    # One for the session: building a client (its TLS context) costs ~80 ms.
    with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
        yield client


def zendesk_harness(stack: ExitStack, client: httpx.Client, _request: object) -> Harness:
    standin = ZendeskStandIn()
    url = stack.enter_context(serving(standin))
    store = ZendeskStore(url, standin.email, standin.token, client, clock=lambda: datetime.now(UTC))
    return Harness(
        name="zendesk",
        store=store,
        count=lambda: len(standin.tickets),
        resolve=lambda remote_id: standin.set_status(remote_id, "solved"),
        await_customer=lambda remote_id: standin.set_status(remote_id, "pending"),
        comments=standin.comment_bodies,
        standin=standin,
        creation=("POST", "/api/v2/tickets"),
        commenting=lambda remote_id: ("PUT", f"/api/v2/tickets/{remote_id}"),
    )


def tomticket_harness(stack: ExitStack, client: httpx.Client, _request: object) -> Harness:
    standin = TomTicketStandIn()
    url = stack.enter_context(serving(standin))
    store = TomTicketStore(
        standin.token,
        "dep1",
        client,
        category_id="cat1",
        line_departments={"erp": "dep1", "nfe": "dep2"},
        base_url=f"{url}/v2.0/",
    )
    return Harness(
        name="tomticket",
        store=store,
        count=lambda: len(standin.tickets),
        resolve=lambda remote_id: standin.set_situation(remote_id, 5),
        await_customer=lambda remote_id: standin.set_situation(remote_id, 2),
        comments=lambda remote_id: (
            [standin.tickets[remote_id]["message"]] + standin.replies[remote_id]
        ),
        standin=standin,
        creation=("POST", "/v2.0/ticket/new"),
        commenting=lambda _remote_id: ("POST", "/v2.0/ticket/reply/customer"),
    )


def webhook_harness(stack: ExitStack, client: httpx.Client, _request: object) -> Harness:
    receiver = WebhookReceiver()
    url = stack.enter_context(serving(receiver))
    store = WebhookStore(f"{url}/tickets", receiver.secret, client)
    return Harness(
        name="webhook",
        store=store,
        count=lambda: len(receiver.tickets),
        resolve=lambda remote_id: receiver.set_status(remote_id, "Resolvido"),
        await_customer=lambda remote_id: receiver.set_status(remote_id, "Aguardando resposta"),
        comments=lambda remote_id: (
            [_first_message(receiver.tickets[remote_id]["payload"])]
            + [c["text"] for c in receiver.comments[remote_id]]
        ),
        standin=receiver,
        creation=("POST", "/tickets"),
        commenting=lambda _remote_id: ("POST", "/tickets"),  # every event goes there
    )


def _first_message(payload: dict) -> str:
    return "\n".join([payload["description"], *(a["url"] for a in payload["attachments"])])


def sql_harness(stack: ExitStack, request: pytest.FixtureRequest, database: str) -> Harness:
    url = stack.enter_context(contextmanager(DATABASES[database])(request, True))
    engine = make_engine(url)
    stack.callback(engine.dispose)
    store = SqlTicketStore(
        engine,
        TicketRules(hours=Hours.from_config(None)),
        fixed_clock(datetime(2026, 12, 1, 13, 10, tzinfo=UTC)),
    )

    def count() -> int:
        with Session(engine) as session:
            return session.scalar(select(func.count()).select_from(TicketRecord)) or 0

    def comments(protocol: str) -> list[str]:
        with Session(engine) as session:
            record = session.scalars(
                select(TicketRecord).where(TicketRecord.protocol == protocol)
            ).one()
            first = "\n".join([record.description, *(a.url for a in record.attachments)])
            return [first, *(c.text for c in record.comments)]

    return Harness(
        name=f"sql-{database}",
        store=store,
        count=count,
        resolve=lambda protocol: store.set_status(protocol, Status.RESOLVED),
        await_customer=lambda protocol: store.set_status(protocol, Status.AWAITING_REPLY),
        comments=comments,
    )


# The built-in store runs on both databases, like every database test.
DATABASES = {"sqlite": _sqlite_database, "postgresql": _postgresql_database}

STORES = {
    "zendesk": zendesk_harness,
    "tomticket": tomticket_harness,
    "webhook": webhook_harness,
    "sql-sqlite": lambda stack, _client, request: sql_harness(stack, request, "sqlite"),
    "sql-postgresql": lambda stack, _client, request: sql_harness(stack, request, "postgresql"),
}


@pytest.fixture(params=sorted(STORES))
def harness(request: pytest.FixtureRequest, http_client: httpx.Client) -> Iterator[Harness]:
    with ExitStack() as stack:
        yield STORES[request.param](stack, http_client, request)


@pytest.fixture(params=["tomticket", "webhook", "zendesk"])
def remote_harness(request: pytest.FixtureRequest, http_client: httpx.Client) -> Iterator[Harness]:
    """The remote stores only, for tests that bring their own database."""
    with ExitStack() as stack:
        yield STORES[request.param](stack, http_client, request)


# -- the built-in store's rules, the relay and the command line ---------------

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def sp(*args: int) -> datetime:
    """An instant in São Paulo time: ``sp(2026, 12, 1, 20)``."""
    return datetime(*args, tzinfo=SAO_PAULO)  # type: ignore[misc]


@pytest.fixture(scope="session")
def rules() -> TicketRules:
    """The shipped schedules (9h–11h45 and 13h30–17h30, Monday to Friday, SP holidays)."""
    return TicketRules(hours=Hours.from_config(None))
