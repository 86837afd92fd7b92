"""Schema migrations: bring a database to the newest revision, and tell models from migrations apart.

The Alembic scripts live in ``slakeeper/migrations``; the Config is built here, in code, so there is
no alembic.ini to find. Every function takes an engine made by ``make_engine`` (or a URL).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, text

from slakeeper.adapters.db import tables
from slakeeper.adapters.db.engine import make_engine

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

# Two processes migrating one PostgreSQL database at once take turns on this lock (SQLite's
# BEGIN IMMEDIATE already lets one writer in at a time).
_PG_MIGRATION_LOCK = 0x534C4B50  # "SLKP"

# What the check compares, here and in env.py (which gives autogenerate the same options).
_COMPARE_OPTIONS: dict[str, Any] = {"compare_type": True, "compare_server_default": True}


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """The Alembic Config for our scripts, bound to an open connection or to a URL."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest revision the scripts know."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade(engine_or_url: Engine | str) -> None:
    """Migrate to the newest revision, in one transaction; at the head already, do nothing."""
    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                )
            command.upgrade(alembic_config(connection), "head")
    finally:
        if engine is not engine_or_url:
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def pending_model_changes(engine: Engine, metadata: MetaData = tables.metadata) -> list[Any]:
    """What the models declare that the (migrated) database lacks, as Alembic diff directives.

    Empty when models and migrations agree. Non-empty means a model changed without a migration:
    write ``slakeeper/migrations/versions/NNNN_*.py`` (``alembic.command.revision`` with
    ``autogenerate=True`` on ``alembic_config(url=...)`` drafts one).
    """
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=dict(_COMPARE_OPTIONS))
        diff: list[Any] = compare_metadata(context, metadata)
        return diff
