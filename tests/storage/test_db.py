"""The SQLite engine: a writer waits for another's write lock, briefly, then gives up clearly."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import OperationalError

from ivr.storage import db
from ivr.storage.db import BEGIN_IMMEDIATE, make_engine


def _writer(path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
    return engine, engine.execution_options(**{BEGIN_IMMEDIATE: True})


def test_a_writer_gets_the_lock_soon_after_another_releases_it(tmp_path: Path) -> None:
    engine, writer = _writer(tmp_path / "a.db")
    entered = threading.Event()
    got_in: list[float] = []

    def second() -> None:
        entered.set()
        with writer.begin() as connection:
            got_in.append(time.monotonic())
            connection.execute(text("INSERT INTO t VALUES (2)"))

    with writer.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (1)"))
        thread = threading.Thread(target=second)
        thread.start()
        entered.wait(5)
        time.sleep(0.25)  # the second writer is waiting by now
        assert not got_in
    released = time.monotonic()
    thread.join(5)
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT group_concat(x) FROM t")) == "1,2"
    # SQLite's own busy handler would try again only at 328 ms: some 75 ms late.
    assert got_in[0] - released < 0.03
    engine.dispose()


def test_a_writer_gives_up_with_database_is_locked_after_the_busy_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    engine, writer = _writer(tmp_path / "b.db")
    with writer.begin():
        started = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"), writer.begin():
            pass
        assert 0.2 <= time.monotonic() - started < 3
    engine.dispose()


SAO_PAULO = ZoneInfo("America/Sao_Paulo")


@pytest.mark.parametrize(
    ("value", "zone"),
    [
        (datetime(2026, 12, 1, 13, 0), UTC),
        (datetime(2026, 12, 1, 13, 0, 5, 123456), UTC),
        (datetime(2026, 12, 1, 13, 0, 5, 123456), SAO_PAULO),
        (datetime(1, 1, 1, 0, 0), UTC),
        (datetime(9999, 12, 31, 23, 59, 59, 999999), UTC),
    ],
)
def test_utc_times_are_stored_as_sqlite_itself_would_store_them(value: datetime, zone) -> None:
    """Rows written before and after the faster writer read and sort alike.

    ``value`` is the UTC time; the column is given it as seen in ``zone``.
    """
    dialect = sqlite.dialect()
    ours = db.UTCDateTime().bind_processor(dialect)
    sqlites = sqlite.DATETIME().bind_processor(dialect)
    assert ours(value.replace(tzinfo=UTC).astimezone(zone)) == sqlites(value)
