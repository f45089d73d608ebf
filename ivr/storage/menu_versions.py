"""Published menu versions: publishing, reading, and the per-process cache.

A menu document is validated before it is stored, stored whole (the YAML
text), and never changed afterwards: its ``id`` is the version number a call
is pinned to for its whole life.

Every web process keeps a :class:`VersionCache`. It asks the database for
the newest version number at most once per ``refresh_interval`` (one tiny
``SELECT max(id)``), parses each version once, and keeps the versions that
calls in progress are pinned to, so a publish mid-call never breaks a caller
and the hot path does no database read.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Generic, TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hours.clock import require_aware
from ivr.storage.models import DRAFT, PUBLISHED, RETIRED, MenuVersion

log = logging.getLogger(__name__)

T = TypeVar("T")


class NoPublishedVersion(LookupError):
    """Nothing has been published yet."""


class UnknownVersion(LookupError):
    """No menu version has this number."""


def content_hash(content: str) -> str:
    """The sha256 hex digest of a menu document's text."""
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def publish(
    session: Session,
    content: str,
    author: str,
    now: datetime,
    *,
    validate: Callable[[str], object],
) -> MenuVersion:
    """Validate ``content`` and store it as the newest published version.

    ``validate`` raises when the document is invalid; callers pass
    ``lambda text: ivr.menus.loader.load_menu(text, filename)``, whose
    ``MenuInvalid`` lists every problem, and nothing is stored. Publishing
    the same text as the newest version is a no-op that returns it.

    The version is flushed (its ``id`` is known) but not committed: the
    caller owns the transaction.
    """
    require_aware(now, "publish()'s now")
    validate(content)
    digest = content_hash(content)
    newest = latest(session)
    if newest is not None and newest.content_hash == digest:
        return newest
    version = MenuVersion(
        content=content,
        content_hash=digest,
        author=author,
        created_at=now,
        status=PUBLISHED,
    )
    session.add(version)
    session.flush()
    return version


def publish_draft(
    session: Session,
    content: str,
    author: str,
    now: datetime,
    test_numbers: list[str],
    *,
    validate: Callable[[str], object],
) -> MenuVersion:
    """Store ``content`` as the draft heard only by calls from ``test_numbers``.

    Numbers must already be E.164. A newer draft replaces the previous one;
    everyone else keeps hearing the live version.
    """
    if not test_numbers:
        raise ValueError("a draft needs at least one test number")
    require_aware(now, "publish_draft()'s now")
    validate(content)
    for old in session.scalars(select(MenuVersion).where(MenuVersion.status == DRAFT)):
        old.status = RETIRED
    version = MenuVersion(
        content=content,
        content_hash=content_hash(content),
        author=author,
        created_at=now,
        status=DRAFT,
        test_numbers=sorted(set(test_numbers)),
    )
    session.add(version)
    session.flush()
    return version


def current_draft(session: Session) -> MenuVersion | None:
    return session.scalars(
        select(MenuVersion).where(MenuVersion.status == DRAFT).order_by(MenuVersion.id.desc())
    ).first()


def promote(session: Session, author: str, now: datetime) -> MenuVersion:
    """Make the current draft live for everyone, as a new published version.

    A new version number (rather than flipping the draft's status) keeps
    "the newest published id is the live one" true even if something was
    published after the draft was made. Raises LookupError without a draft.
    """
    draft = current_draft(session)
    if draft is None:
        raise LookupError("there is no draft to promote")
    draft.status = RETIRED
    session.flush()
    return publish(session, draft.content, author, now, validate=lambda _text: None)


def latest(session: Session) -> MenuVersion | None:
    """The newest published version, or None before the first publish."""
    stmt = (
        select(MenuVersion)
        .where(MenuVersion.status == PUBLISHED)
        .order_by(MenuVersion.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def migrate_and_publish_if_none(
    database_url: str,
    read: Callable[[], str],
    author: str,
    now: datetime,
    *,
    validate: Callable[[str], object],
) -> int | None:
    """Bring the database to the newest schema, then publish ``read()`` if nothing is live.

    What a server (or a scratch database) needs before its first call. The
    number of the version published, or None when one was already live
    (``read`` is then not called).
    """
    from ivr.storage.db import open_session

    with open_session(database_url, migrate=True, write=True) as session:
        if latest(session) is not None:
            return None
        version = publish(session, read(), author, now, validate=validate)
        session.commit()
        return version.id


def live_text(database_url: str) -> tuple[str, str] | None:
    """(YAML, "published version N") of the live version.

    None when nothing is published, or there is no database to ask yet.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from ivr.storage.db import open_session

    try:
        with open_session(database_url) as session:
            version = latest(session)
            return (version.content, f"versão publicada {version.id}") if version else None
    except SQLAlchemyError:
        return None


def live_or_file(database_url: str, menus_path: str | Path) -> tuple[str, str]:
    """(YAML, where from) of what calls hear: the live version, else the menu file.

    Raises OSError (or UnicodeDecodeError) when it has to read a file that
    cannot be read.
    """
    from ivr.menus.loader import read_menu_file

    return live_text(database_url) or (read_menu_file(menus_path), str(menus_path))


def get(session: Session, version_id: int) -> MenuVersion | None:
    """The version numbered ``version_id``, whatever its status."""
    return session.get(MenuVersion, version_id)


def list_versions(session: Session) -> list[MenuVersion]:
    """Every version, newest first."""
    return list(session.scalars(select(MenuVersion).order_by(MenuVersion.id.desc())))


class VersionCache(Generic[T]):
    """Parsed menu versions for one process, shared by its threads.

    ``load`` turns a stored document into the object the engine uses (for
    example ``lambda text: load_menu(text, "menus.yaml")``); it runs once per
    version. ``clock`` returns seconds (monotonic); tests pass a fake one.
    """

    def __init__(
        self,
        engine: Engine,
        load: Callable[[str], T],
        clock: Callable[[], float] = time.monotonic,
        refresh_interval: float = 1.0,
        max_pinned: int = 16,
    ) -> None:
        self._engine = engine
        self._load = load
        self._clock = clock
        self._refresh_interval = refresh_interval
        self._max_pinned = max_pinned
        self._current: tuple[int, T] | None = None
        self._draft: tuple[int, frozenset[str]] | None = None  # id, test numbers
        self._checked_at: float | None = None
        self._pinned: OrderedDict[int, T] = OrderedDict()
        self._lock = threading.Lock()  # guards the fields above; never held during I/O
        self._refresh_lock = threading.Lock()  # one thread checks the database at a time
        self._load_lock = threading.Lock()  # one thread loads a pinned version at a time

    def current(self) -> tuple[int, T]:
        """The newest published version: ``(version id, parsed object)``.

        Raises :class:`NoPublishedVersion` when nothing is published yet.
        """
        with self._lock:
            current = self._current
            due = self._checked_at is None or (
                self._clock() - self._checked_at >= self._refresh_interval
            )
        if not due and current is not None:
            return current
        if current is not None:
            # Someone else is already checking: serve what we have.
            if not self._refresh_lock.acquire(blocking=False):
                return current
        else:
            self._refresh_lock.acquire()
        try:
            return self._refresh()
        finally:
            self._refresh_lock.release()

    def for_caller(self, caller: str) -> tuple[int, T]:
        """The version a new call from ``caller`` (E.164) should hear.

        The live version, unless a draft lists the caller as a test number.
        """
        current = self.current()
        draft = self._draft
        if draft is not None and caller in draft[1]:
            try:
                return draft[0], self.get(draft[0])
            except Exception:  # a broken draft must never cost a test caller the live menu
                log.exception("could not load draft version %d", draft[0])
        return current

    def _refresh(self) -> tuple[int, T]:
        with self._lock:
            current = self._current
            fresh = (
                self._checked_at is not None
                and self._clock() - self._checked_at < self._refresh_interval
            )
            if fresh and current is not None:
                return current  # another thread refreshed while we waited
        started = self._clock()
        try:
            newest_id = self._newest_id()
            if newest_id is None:
                if current is not None:
                    return current
                raise NoPublishedVersion("no menu version has been published")
            if current is None or newest_id != current[0]:
                current = (newest_id, self._get(newest_id))
        except NoPublishedVersion:
            raise
        except Exception as exc:
            if current is None:
                raise
            log.warning(
                "menu version check failed (%s); still serving version %d",
                type(exc).__name__,
                current[0],
            )
        finally:
            with self._lock:
                self._checked_at = started
        with self._lock:
            self._current = current
        return current

    def _newest_id(self) -> int | None:
        """The live version's id; also notes the current draft, if any.

        One query per check: the draft's test numbers are read only when the
        draft itself changes.
        """
        newest = (
            select(func.max(MenuVersion.id))
            .where(MenuVersion.status == PUBLISHED)
            .scalar_subquery()
        )
        draft_id = (
            select(MenuVersion.id)
            .where(MenuVersion.status == DRAFT)
            .order_by(MenuVersion.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        with self._engine.connect() as connection:
            live, draft = connection.execute(select(newest, draft_id)).one()
            known = self._draft
            if draft is None:
                self._draft = None
            elif known is None or known[0] != draft:
                numbers = connection.execute(
                    select(MenuVersion.test_numbers).where(MenuVersion.id == draft)
                ).scalar()
                self._draft = (draft, frozenset(numbers or ()))
        return live

    def get(self, version_id: int) -> T:
        """The parsed object of version ``version_id`` (a call's pinned version).

        Raises :class:`UnknownVersion` when the database has no such version.
        """
        found = self._cached(version_id)
        if found is not None:
            return found[0]
        return self._get(version_id)

    def _cached(self, version_id: int) -> tuple[T] | None:
        with self._lock:
            if self._current is not None and self._current[0] == version_id:
                return (self._current[1],)
            if version_id in self._pinned:
                self._pinned.move_to_end(version_id)
                return (self._pinned[version_id],)
        return None

    def _get(self, version_id: int) -> T:
        with self._load_lock:
            found = self._cached(version_id)
            if found is not None:
                return found[0]
            with self._engine.connect() as connection:
                content = connection.execute(
                    select(MenuVersion.content).where(MenuVersion.id == version_id)
                ).scalar()
            if content is None:
                raise UnknownVersion(f"menu version {version_id} does not exist")
            parsed = self._load(content)
            with self._lock:
                self._pinned[version_id] = parsed
                self._pinned.move_to_end(version_id)
                while len(self._pinned) > self._max_pinned:
                    self._pinned.popitem(last=False)
            return parsed
