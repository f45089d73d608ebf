"""Shared fixtures.

Database fixtures (first): every database test runs on SQLite and on a real
PostgreSQL. A throwaway PostgreSQL cluster is started once per session when
the server binaries are on the machine (``/usr/lib/postgresql/*/bin`` or
``PATH``), in a folder under /dev/shm when there is one (RAM: creating a
database per test then takes milliseconds); the ``postgresql`` runs are
skipped, saying why, only when there are no binaries. initdb refuses to run
as root, so under root (CI) the cluster runs as the unprivileged
``postgres`` system user via ``runuser``.

Each test gets a fresh database built by the migrations: a copy of a
migrated SQLite file, or a PostgreSQL database cloned from a migrated
template (``CREATE DATABASE … TEMPLATE``).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, text

from hours.clock import SettableClock
from ivr.app import close_app, create_app
from ivr.menus.loader import load_menu
from ivr.settings import Settings
from ivr.simulator import InProcess, Phone
from ivr.storage import menu_versions
from ivr.storage.db import make_engine, open_session, upgrade
from ivr.storage.menu_versions import migrate_and_publish_if_none

# Property tests are judged by what they find, not by how fast one example
# runs on a busy machine: no per-example deadline anywhere.
hypothesis_settings.register_profile("ivr", deadline=None)
hypothesis_settings.load_profile("ivr")

PG_USER = "postgres"  # the cluster's superuser, and the system user it runs as under root
PG_TEMPLATE_DB = "ivr_template"


def find_postgresql_bindir() -> Path | None:
    """The newest PostgreSQL server bin folder on this machine, or None."""
    override = os.environ.get("IVR_TEST_PG_BINDIR")
    candidates = [Path(override)] if override else []
    versions = glob.glob("/usr/lib/postgresql/*/bin")

    def version_key(path: str) -> tuple[int, ...]:
        parts = Path(path).parent.name.split(".")
        return tuple(int(p) for p in parts if p.isdigit())

    candidates += [Path(p) for p in sorted(versions, key=version_key, reverse=True)]
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        candidates.append(Path(pg_ctl).parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _fast_temp_dir() -> str | None:
    """A RAM-backed folder when there is one: CREATE DATABASE is ~25x faster there."""
    shm = Path("/dev/shm")
    try:
        usage = shutil.disk_usage(shm)
    except OSError:
        return None
    if os.access(shm, os.W_OK) and usage.free > 512 * 1024 * 1024:
        return str(shm)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresCluster:
    """A PostgreSQL cluster in a temporary folder, on a free port."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="ivr-pg-", dir=_fast_temp_dir()))
        self.data = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.logfile = self.root / "server.log"
        self.port = 0
        if self.as_root:
            try:
                user = pwd.getpwnam(PG_USER)
            except KeyError:
                shutil.rmtree(self.root, ignore_errors=True)
                raise RuntimeError(
                    f"running as root and there is no {PG_USER!r} system user to run "
                    "PostgreSQL as (initdb refuses root); install the postgresql package"
                ) from None
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self._run("mkdir", "-p", str(self.socket_dir))

    def _command(self, *args: str) -> list[str]:
        prefix = ["runuser", "-u", PG_USER, "--"] if self.as_root else []
        return [*prefix, *args]

    def _run(self, *args: str) -> None:
        result = subprocess.run(self._command(*args), capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({result.returncode}):\n{result.stderr}")

    def start(self) -> None:
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            PG_USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )
        last_error: Exception | None = None
        for _ in range(3):  # the free port may be taken between choosing and binding
            self.port = _free_port()
            options = (
                f"-p {self.port} -k {self.socket_dir} -h 127.0.0.1 -F "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            try:
                self._run(
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.logfile),
                    "-w",
                    "-t",
                    "30",
                    "-o",
                    options,
                    "start",
                )
                return
            except RuntimeError as exc:
                last_error = exc
        log_text = self.logfile.read_text() if self.logfile.exists() else ""
        raise RuntimeError(f"PostgreSQL did not start: {last_error}\n{log_text}")

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{database}"


@pytest.fixture(scope="session")
def postgresql_cluster() -> Iterator[PostgresCluster]:
    """A running throwaway PostgreSQL cluster (skips when no server binaries exist)."""
    bindir = find_postgresql_bindir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin, "
            "$IVR_TEST_PG_BINDIR and PATH); install the postgresql package to run these"
        )
    cluster = PostgresCluster(bindir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgresql_admin(postgresql_cluster: PostgresCluster) -> Iterator[Engine]:
    """An autocommit engine on the cluster's maintenance database, with the template built."""
    engine = make_engine(postgresql_cluster.url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{PG_TEMPLATE_DB}"'))
    upgrade(postgresql_cluster.url(PG_TEMPLATE_DB))
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies."""
    path = tmp_path_factory.mktemp("sqlite-template") / "ivr.db"
    upgrade(f"sqlite:///{path}")
    return path


def _postgresql_database(request: pytest.FixtureRequest, migrated: bool) -> Iterator[str]:
    cluster: PostgresCluster = request.getfixturevalue("postgresql_cluster")
    admin: Engine = request.getfixturevalue("postgresql_admin")
    name = f"test_{uuid.uuid4().hex[:12]}"
    template = PG_TEMPLATE_DB if migrated else "template0"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield cluster.url(name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _sqlite_database(request: pytest.FixtureRequest, migrated: bool) -> Iterator[str]:
    tmp_path: Path = request.getfixturevalue("tmp_path")
    path = tmp_path / "db" / "ivr.db"
    if migrated:
        template: Path = request.getfixturevalue("sqlite_template")
        path.parent.mkdir()
        shutil.copyfile(template, path)
    yield f"sqlite:///{path}"


def _database(request: pytest.FixtureRequest, migrated: bool) -> Iterator[str]:
    if request.param == "postgresql":
        yield from _postgresql_database(request, migrated)
    else:
        yield from _sqlite_database(request, migrated)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a fresh database with every migration applied."""
    yield from _database(request, migrated=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a fresh, empty database (for testing the migrations themselves)."""
    yield from _database(request, migrated=False)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a fresh migrated database (SQLite and PostgreSQL)."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


# -- the web app, a client, a command-line runner (as in Flask's tutorial) ----


AUTH_TOKEN = "test-auth-token-0123456789abcdef"
SHIPPED_MENU = Path(__file__).resolve().parents[1] / "menus.yaml"
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
# A Tuesday morning with the line open.
OPEN_INSTANT = datetime(2026, 11, 24, 10, 0, tzinfo=SAO_PAULO)


def publish_text(database_url: str, text: str, author: str = "tests") -> int:
    with open_session(database_url, write=True) as session:
        version = menu_versions.publish(
            session, text, author, OPEN_INSTANT, validate=lambda t: load_menu(t, "menus.yaml")
        )
        session.commit()
        return version.id


@pytest.fixture
def clock() -> SettableClock:
    """The app reads "now" only through it; a test moves it with ``clock.at = …``."""
    return SettableClock(OPEN_INSTANT)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        menus_path=str(SHIPPED_MENU),
        twilio_auth_token=AUTH_TOKEN,
        secret_key="test-secret",
        var_dir=tmp_path / "var",
    )


@pytest.fixture
def make_app(settings: Settings, clock: SettableClock) -> Iterator[Callable[..., Flask]]:
    """``make_app(**changes)``: the app on the test database, with the shipped menu
    live unless a version was published first; ``changes`` are settings fields, and
    ``menu_refresh_seconds`` and ``start_background`` are passed to ``create_app``.
    Closed after the test."""
    apps: list[Flask] = []

    def build(
        *, menu_refresh_seconds: float = 1.0, start_background: bool = True, **changes: object
    ) -> Flask:
        configured = settings.model_copy(update=changes)
        migrate_and_publish_if_none(
            configured.database_url,
            lambda: SHIPPED_MENU.read_text(encoding="utf-8"),
            "tests",
            OPEN_INSTANT,
            validate=lambda text: load_menu(text, "menus.yaml"),
        )
        app = create_app(
            configured,
            clock=clock,
            menu_refresh_seconds=menu_refresh_seconds,
            start_background=start_background,
        )
        apps.append(app)
        return app

    yield build
    for app in apps:
        close_app(app)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """The web app on the test database, the shipped menu live, the clock at ``OPEN_INSTANT``."""
    return make_app()


@pytest.fixture
def phone(app) -> Phone:
    return Phone(InProcess(app), AUTH_TOKEN)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Flask's test client on the app (``phone`` posts signed Twilio requests instead)."""
    return app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    """Invokes ``ivr`` commands in-process; combine with ``cli_env`` for a scratch database."""
    return CliRunner()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``ivr`` commands run from an empty folder on a scratch SQLite database and the
    shipped menu; the folder is returned."""
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("IVR_DATABASE_URL", f"sqlite:///{tmp_path}/ivr.db")
    monkeypatch.setenv("IVR_MENUS", str(SHIPPED_MENU))
    monkeypatch.setenv("IVR_VAR_DIR", str(tmp_path / "var"))
    return workdir


# -- fixtures for other packages go below this line --------------------------
