"""Publishing menu versions, and the per-process cache that serves them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from ivr.storage import menu_versions
from ivr.storage.db import session_factory
from ivr.storage.menu_versions import NoPublishedVersion, UnknownVersion, VersionCache

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
MENU_A = "inicio:\n  kind: message\n  say: Olá\n"
MENU_B = "inicio:\n  kind: message\n  say: Bom dia\n"


class Invalid(Exception):
    pass


def accept(text: str) -> object:
    return text


def reject(text: str) -> object:
    raise Invalid("line 1: bad menu")


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as session:
        yield session


def publish(engine: Engine, content: str, author: str = "ana") -> int:
    with session_factory(engine).begin() as session:
        return menu_versions.publish(session, content, author, NOW, validate=accept).id


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class CountingLoader:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, text: str) -> str:
        self.calls.append(text)
        return f"parsed:{text}"


def count_queries(engine: Engine) -> list[str]:
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(conn, cursor, statement, params, context, executemany) -> None:
        if statement != "BEGIN":  # SQLite: emitted by ivr.storage.db, not a read
            statements.append(statement)

    return statements


# -- publishing -------------------------------------------------------------


def test_publish_stores_author_time_and_hash(session: Session) -> None:
    version = menu_versions.publish(session, MENU_A, "ana", NOW, validate=accept)
    session.commit()
    stored = menu_versions.get(session, version.id)
    assert stored is not None
    assert (stored.content, stored.author, stored.created_at) == (MENU_A, "ana", NOW)
    assert stored.content_hash == menu_versions.content_hash(MENU_A)
    assert len(stored.content_hash) == 64
    assert stored.status == "published"


def test_publishing_identical_content_is_a_no_op(session: Session) -> None:
    first = menu_versions.publish(session, MENU_A, "ana", NOW, validate=accept)
    again = menu_versions.publish(session, MENU_A, "bruno", NOW, validate=accept)
    assert again.id == first.id
    assert len(menu_versions.list_versions(session)) == 1


def test_republishing_an_older_document_makes_a_new_version(session: Session) -> None:
    """Only the newest version is compared: going back to A is a real change."""
    a = menu_versions.publish(session, MENU_A, "ana", NOW, validate=accept)
    b = menu_versions.publish(session, MENU_B, "ana", NOW, validate=accept)
    a_again = menu_versions.publish(session, MENU_A, "ana", NOW, validate=accept)
    assert a.id < b.id < a_again.id
    assert [v.id for v in menu_versions.list_versions(session)] == [a_again.id, b.id, a.id]
    latest = menu_versions.latest(session)
    assert latest is not None and latest.id == a_again.id


def test_invalid_content_is_not_stored(session: Session) -> None:
    with pytest.raises(Invalid):
        menu_versions.publish(session, "garbage", "ana", NOW, validate=reject)
    assert menu_versions.latest(session) is None


def test_naive_time_is_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="aware"):
        menu_versions.publish(session, MENU_A, "ana", datetime(2026, 1, 1), validate=accept)


def test_unknown_version_is_none(session: Session) -> None:
    assert menu_versions.get(session, 999) is None


# -- the cache ----------------------------------------------------------------


def test_cache_sees_a_new_version_only_after_the_interval(engine: Engine) -> None:
    first = publish(engine, MENU_A)
    clock, loader = FakeClock(), CountingLoader()
    cache = VersionCache(engine, loader, clock=clock, refresh_interval=1.0)
    assert cache.current() == (first, f"parsed:{MENU_A}")

    second = publish(engine, MENU_B)
    clock.now += 0.5
    assert cache.current()[0] == first  # not yet: no database check inside the interval
    clock.now += 0.5
    assert cache.current() == (second, f"parsed:{MENU_B}")
    assert loader.calls == [MENU_A, MENU_B]  # each version parsed once


def test_cache_reads_nothing_between_checks(engine: Engine) -> None:
    publish(engine, MENU_A)
    clock = FakeClock()
    cache = VersionCache(engine, CountingLoader(), clock=clock, refresh_interval=1.0)
    cache.current()
    statements = count_queries(engine)
    for _ in range(100):
        cache.current()
        cache.get(cache.current()[0])
    assert statements == []
    clock.now += 1.0
    cache.current()
    assert len(statements) == 1 and "max(" in statements[0].lower()


def test_pinned_versions_survive_a_publish(engine: Engine) -> None:
    """A call that started on version A finishes on A after B is published."""
    a = publish(engine, MENU_A)
    clock, loader = FakeClock(), CountingLoader()
    cache = VersionCache(engine, loader, clock=clock)
    pinned, _ = cache.current()
    publish(engine, MENU_B)
    clock.now += 5
    assert cache.current()[1] == f"parsed:{MENU_B}"
    assert cache.get(pinned) == f"parsed:{MENU_A}"
    assert pinned == a
    assert loader.calls == [MENU_A, MENU_B]


def test_pinned_version_is_loaded_once_on_a_miss(engine: Engine) -> None:
    a = publish(engine, MENU_A)
    publish(engine, MENU_B)
    loader = CountingLoader()
    cache = VersionCache(engine, loader, clock=FakeClock())
    assert cache.get(a) == f"parsed:{MENU_A}"
    assert cache.get(a) == f"parsed:{MENU_A}"
    assert loader.calls == [MENU_A]
    with pytest.raises(UnknownVersion):
        cache.get(12345)


def test_pinned_cache_is_bounded(engine: Engine) -> None:
    ids = [publish(engine, f"v: {n}\n") for n in range(4)]
    loader = CountingLoader()
    cache = VersionCache(engine, loader, clock=FakeClock(), max_pinned=2)
    for version_id in ids:
        cache.get(version_id)
    cache.get(ids[0])  # evicted, loaded again
    assert len(loader.calls) == 5


def test_nothing_published_raises(engine: Engine) -> None:
    cache = VersionCache(engine, CountingLoader(), clock=FakeClock())
    with pytest.raises(NoPublishedVersion):
        cache.current()


def test_database_down_keeps_serving_the_cached_version(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    first = publish(engine, MENU_A)
    clock = FakeClock()
    cache = VersionCache(engine, CountingLoader(), clock=clock)
    cache.current()

    @event.listens_for(engine, "before_cursor_execute")
    def _fail(*args: object) -> None:
        raise RuntimeError("database unreachable")

    clock.now += 2
    assert cache.current()[0] == first
    assert "still serving version" in caplog.text
    event.remove(engine, "before_cursor_execute", _fail)
    second = publish(engine, MENU_B)
    clock.now += 2
    assert cache.current()[0] == second


def test_threads_share_one_parse(engine: Engine) -> None:
    publish(engine, MENU_A)
    loader = CountingLoader()
    cache = VersionCache(engine, loader, clock=FakeClock())
    results: list[tuple[int, str]] = []
    threads = [threading.Thread(target=lambda: results.append(cache.current())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and len(results) == 8
    assert loader.calls == [MENU_A]
