"""Fixtures for the store, on SQLite and on PostgreSQL.

``db_url`` is parametrized over both databases and gives each test a database of its own: empty
(no tables at all), unless the test also asks for ``engine``, which gets it migrated to the head
revision with no rows in it.

SQLite is a file in the test's ``tmp_path`` (a migrated one is copied from a template migrated once
per worker). PostgreSQL is one throwaway database per pytest process (so per xdist worker),
``slakeeper_test_<worker>_<pid>``, made through the admin URL in ``SLAKEEPER_TEST_POSTGRES_URL``
(default ``postgresql://postgres@127.0.0.1:5432/test``) and dropped at the end; each test gets it
emptied (schema dropped) or cleaned (rows deleted, sequences restarted) as it needs. When the server
cannot be reached the PostgreSQL tests are skipped, or fail if ``CI`` is set.

A test that changes the schema through ``engine`` must ask for ``db_url`` alone instead: the next
test would otherwise inherit its tables.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from slakeeper.adapters.db.engine import make_engine
from slakeeper.adapters.db.migrate import upgrade
from slakeeper.adapters.db.tables import metadata

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DATABASES = ["sqlite", "postgresql"]


class PostgresDatabase:
    """One throwaway PostgreSQL database for this pytest process, reset between tests."""

    def __init__(self, admin_url: str, name: str) -> None:
        self.admin_url = admin_url
        self.name = name
        self.url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        self.migrated = False
        self._engine: Engine | None = None

    def create(self) -> None:
        with self._admin() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            # template0: nobody else can be connected to it, so parallel workers never clash
            connection.execute(text(f'CREATE DATABASE "{self.name}" TEMPLATE template0'))
        self._engine = make_engine(self.url)

    def drop(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        with self._admin() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))

    def empty(self) -> None:
        """No tables, no alembic_version: a database never migrated."""
        with self._session() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        self.migrated = False

    def clean(self) -> None:
        """At the head revision, with no rows and every sequence restarted."""
        if not self.migrated:
            self.empty()
            upgrade(self._live_engine())
            self.migrated = True
            return
        with self._session() as connection:
            # DELETE, children first: ~1 ms here, where TRUNCATE takes ~10 ms
            for table in reversed(metadata.sorted_tables):
                connection.execute(table.delete())
            connection.execute(
                text(
                    "SELECT setval(c.oid, 1, false) FROM pg_class c "
                    "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace"
                )
            )

    def _live_engine(self) -> Engine:
        assert self._engine is not None, "create() first"
        return self._engine

    @contextmanager
    def _session(self) -> Iterator[Connection]:
        """A transaction on the test database, after ending every other connection to it.

        A connection a test left open (an engine not disposed, a server still running) would
        otherwise hold locks and make the reset hang; the lock timeout turns any other wait into
        an error.
        """
        with self._live_engine().begin() as connection:
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            yield connection

    @contextmanager
    def _admin(self) -> Iterator[Connection]:
        admin = make_engine(
            self.admin_url,
            isolation_level="AUTOCOMMIT",
            poolclass=NullPool,
            connect_args={"connect_timeout": 5},
        )
        try:
            with admin.connect() as connection:
                yield connection
        finally:
            admin.dispose()


def _worker_id() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[PostgresDatabase]:
    """The throwaway database of this worker; skips (fails under CI) when the server is down."""
    admin_url = os.environ.get("SLAKEEPER_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    database = PostgresDatabase(admin_url, f"slakeeper_test_{_worker_id()}_{os.getpid()}")
    try:
        database.create()
    except OperationalError as error:
        shown = make_url(admin_url).render_as_string(hide_password=True)
        message = (
            f"PostgreSQL is not reachable at {shown} (SLAKEEPER_TEST_POSTGRES_URL): "
            f"{error.orig or error}"
        )
        if os.environ.get("CI", "").lower() not in {"", "0", "false", "no"}:
            pytest.fail(f"{message}; CI must run the whole suite on PostgreSQL too", pytrace=False)
        pytest.skip(f"{message}; start it (see .ci/run) to run the PostgreSQL tests")
    try:
        yield database
    finally:
        database.drop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per worker, copied for each test that wants one."""
    path = tmp_path_factory.mktemp("sqlite-template") / "slakeeper.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database of this test's own: empty, or migrated and without rows if ``engine`` is used."""
    migrated = "engine" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "slakeeper.db"
        if migrated:
            template: Path = request.getfixturevalue("sqlite_template")
            for suffix in ("", "-wal", "-shm"):
                if Path(f"{template}{suffix}").exists():
                    shutil.copyfile(f"{template}{suffix}", f"{path}{suffix}")
        return f"sqlite:///{path}"
    database: PostgresDatabase = request.getfixturevalue("postgres_database")
    if migrated:
        database.clean()
    else:
        database.empty()
    return database.url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on ``db_url``, migrated to the head revision, with no rows; disposed after."""
    engine = make_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()
