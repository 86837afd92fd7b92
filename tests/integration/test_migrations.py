"""Alembic migrations on SQLite and PostgreSQL: from empty to head, idempotent, and in step with
the tables the code declares — the check that fails the build when a model changes without a
migration.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from alembic import command
from sqlalchemy import (
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    event,
    inspect,
    text,
)

from slakeeper.adapters.db import tables
from slakeeper.adapters.db.engine import make_engine
from slakeeper.adapters.db.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    pending_model_changes,
    upgrade,
)
from slakeeper.adapters.db.store import SqlStore

ALL_TABLES = set(tables.metadata.tables)


@pytest.fixture
def empty_engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


def schema(engine: Engine) -> dict[str, Any]:
    """Everything the inspector tells about the tables, comparable with ``==``."""
    inspector = inspect(engine)
    return {
        name: {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(name)
            ],
            "pk": inspector.get_pk_constraint(name),
            "fks": inspector.get_foreign_keys(name),
            "indexes": sorted(
                # a partial index's condition is read as a SQL text object: compare its text
                (
                    {**i, "dialect_options": {k: str(v) for k, v in i["dialect_options"].items()}}
                    if "dialect_options" in i
                    else i
                    for i in inspector.get_indexes(name)
                ),
                key=lambda i: str(i["name"]),
            ),
            "uniques": sorted(inspector.get_unique_constraints(name), key=lambda u: str(u["name"])),
        }
        for name in sorted(inspector.get_table_names())
    }


def test_upgrade_from_empty_creates_every_table(db_url: str, empty_engine: Engine) -> None:
    assert inspect(empty_engine).get_table_names() == []
    assert current_revision(empty_engine) is None

    upgrade(db_url)  # by URL; the other tests pass an engine

    assert set(inspect(empty_engine).get_table_names()) == ALL_TABLES | {"alembic_version"}
    assert current_revision(empty_engine) == head_revision() is not None


def test_constraint_and_index_names_follow_the_naming_convention(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    inspector = inspect(empty_engine)
    for table in tables.metadata.sorted_tables:
        assert inspector.get_pk_constraint(table.name)["name"] == table.primary_key.name
        assert {fk["name"] for fk in inspector.get_foreign_keys(table.name)} == {
            fk.name for fk in table.foreign_key_constraints
        }
        # PostgreSQL lists the index behind a unique constraint too, marked as its duplicate
        indexes = inspector.get_indexes(table.name)
        assert {ix["name"] for ix in indexes if "duplicates_constraint" not in ix} == {
            ix.name
            for ix in table.indexes
            # SQLite's inspector skips an index on an expression
            if empty_engine.dialect.name != "sqlite"
            or all(isinstance(c, Column) for c in ix.expressions)
        }
        assert {uq["name"] for uq in inspector.get_unique_constraints(table.name)} == {
            c.name for c in table.constraints if isinstance(c, UniqueConstraint)
        }


def test_upgrade_twice_is_a_no_op(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    before = schema(empty_engine)

    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(empty_engine, "before_cursor_execute", record)
    try:
        upgrade(empty_engine)
    finally:
        event.remove(empty_engine, "before_cursor_execute", record)

    assert schema(empty_engine) == before
    assert current_revision(empty_engine) == head_revision()
    writes = [
        s
        for s in statements
        if s.lstrip().split(None, 1)[0].upper()
        in {"CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE"}
    ]
    assert writes == []


def test_concurrent_upgrades_take_turns(db_url: str, empty_engine: Engine) -> None:
    errors: list[BaseException] = []

    def migrate() -> None:
        try:
            upgrade(db_url)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=migrate) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert current_revision(empty_engine) == head_revision()


def test_downgrade_to_base_and_back(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    migrated = schema(empty_engine)

    with empty_engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    assert current_revision(empty_engine) is None

    upgrade(empty_engine)
    assert schema(empty_engine) == migrated


def test_models_and_migrations_agree(engine: Engine) -> None:
    """Fails when a table in tables.py changed without a migration in slakeeper/migrations."""
    assert current_revision(engine) == head_revision()
    diff = pending_model_changes(engine)
    assert diff == [], (
        "tables.py and the migrations disagree; add a migration in "
        f"src/slakeeper/migrations/versions/ for: {diff}"
    )


def _copy_of_metadata() -> MetaData:
    copy = MetaData(naming_convention=dict(tables.metadata.naming_convention))
    for table in tables.metadata.sorted_tables:
        table.to_metadata(copy)
    return copy


def _add_column(md: MetaData) -> None:
    md.tables["tickets"].append_column(Column("sneaked_in", String(50), nullable=True))


def _add_index(md: MetaData) -> None:
    Index(None, md.tables["clocks"].c.policy)


def _widen_column(md: MetaData) -> None:
    md.tables["events"].c.type.type = String(80)


def _add_table(md: MetaData) -> None:
    Table("audit_log", md, Column("id", Integer, primary_key=True))


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        (_add_column, "add_column"),
        (_add_index, "add_index"),
        (_widen_column, "modify_type"),
        (_add_table, "add_table"),
    ],
    ids=["add-column", "add-index", "widen-column", "add-table"],
)
def test_the_check_sees_a_model_change_without_a_migration(
    engine: Engine, change: Callable[[MetaData], None], kind: str
) -> None:
    changed = _copy_of_metadata()
    assert pending_model_changes(engine, changed) == []  # the copy alone changes nothing

    change(changed)

    diff = pending_model_changes(engine, changed)
    # a column change comes as a list of ("modify_...", ...) tuples, the rest as tuples
    kinds = [d[0][0] if isinstance(d, list) else d[0] for d in diff]
    assert kinds == [kind]


@pytest.mark.parametrize("url", ["sqlite:///unused.db", "postgresql://nobody@localhost/unused"])
def test_offline_sql_script(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``upgrade --sql`` writes the script for a DBA instead of connecting."""
    command.upgrade(alembic_config(url=url), "head", sql=True)
    script = capsys.readouterr().out
    for name in ALL_TABLES:
        assert f"CREATE TABLE {name}" in script
    assert "alembic_version" in script


def test_clocks_derived_before_monitoring_are_checked_once_after_the_upgrade(
    empty_engine: Engine,
) -> None:
    """Revision 0002 gives running and breached clocks a next check at their row's instant, so
    the worker plans every clock of a live database once; met and paused ones need none."""
    with empty_engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0001")
        connection.execute(text("INSERT INTO tickets (id, event_count) VALUES ('T-1', 1)"))
        for metric, status, breached in (
            ("first_response", "active", False),
            ("next_response", "paused", True),
            ("resolution", "achieved", False),
        ):
            connection.execute(
                text(
                    "INSERT INTO clocks (ticket, metric, cycle, policy, target, started_at, "
                    "status, elapsed, due_at, breached, derived_at) VALUES ('T-1', :m, 1, 'P', "
                    "60, 0, :s, 0, 60, :b, 5)"
                ),
                {"m": metric, "s": status, "b": breached},
            )
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        rows = dict(connection.execute(text("SELECT metric, next_check_at FROM clocks")).all())
    assert rows == {"first_response": 5, "next_response": 5, "resolution": None}


def test_clocks_stored_before_the_daily_counts_are_counted_by_the_upgrade(
    empty_engine: Engine,
) -> None:
    """Revision 0004 counts the clocks already stored into ``judged_days`` by the same rule the
    store keeps them by: its counts equal a recount by ``SqlStore.recount``."""
    day = 86_400_000_000
    with empty_engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0003")
        connection.execute(text("INSERT INTO tickets (id, event_count) VALUES ('T-1', 1)"))
        for metric, cycle, status, stopped, due, breached, group in (
            ("first_response", 1, "achieved", 3 * day + 5, 3 * day + 9, False, "tier1"),
            ("next_response", 1, "achieved", 4 * day + 1, 3 * day + 2, True, None),
            ("next_response", 2, "active", None, 5 * day + 7, False, None),
            ("periodic_update", 1, "paused", None, None, False, "tier1"),
            ("resolution", 1, "cancelled", 6 * day, 7 * day, False, "tier1"),
        ):
            connection.execute(
                text(
                    "INSERT INTO clocks (ticket, metric, cycle, policy, target, started_at, "
                    "stopped_at, status, elapsed, due_at, breached, group_name, derived_at) "
                    "VALUES ('T-1', :m, :c, 'P', 60, 0, :stopped, :s, 0, :due, :b, :g, 5)"
                ),
                {
                    "m": metric,
                    "c": cycle,
                    "stopped": stopped,
                    "s": status,
                    "due": due,
                    "b": breached,
                    "g": group,
                },
            )
    upgrade(empty_engine)
    read = "SELECT day, metric, group_name, outcome, n FROM judged_days ORDER BY day, metric"
    with empty_engine.connect() as connection:
        counted = [tuple(r) for r in connection.execute(text(read))]
    assert counted == [
        (3, "first_response", "tier1", "met", 1),
        (3, "next_response", "", "breached", 1),  # flagged: on its due day
        (5, "next_response", "", "breached", 1),  # running: ahead, on its due day
    ]
    with empty_engine.begin() as connection:
        SqlStore(connection).recount()
        assert [tuple(r) for r in connection.execute(text(read))] == counted


def test_the_customers_tickets_have_had_are_read_from_their_events(empty_engine: Engine) -> None:
    """Revision 0006 fills ``ticket_customers`` from the events already stored: every customer
    a ticket has had (created with one, moved to another), none for events without one."""
    with empty_engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0005")
        for ticket in ("T-1", "T-2"):
            connection.execute(
                text("INSERT INTO tickets (id, event_count) VALUES (:t, 2)"), {"t": ticket}
            )
        for seq, (ticket, body) in enumerate(
            [
                ("T-1", '{"type":"ticket.created","customer":"acme"}'),
                ("T-1", '{"type":"ticket.updated","customer":"globex"}'),
                ("T-1", '{"type":"ticket.updated","customer":"acme"}'),
                ("T-2", '{"type":"ticket.created"}'),
                ("T-2", '{"type":"ticket.updated","customer":null}'),
            ]
        ):
            connection.execute(
                text(
                    "INSERT INTO events (id, ticket, at, type, body, received_at) "
                    "VALUES (:id, :t, 0, 'x', :b, 0)"
                ),
                {"id": f"e{seq}", "t": ticket, "b": body},
            )
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        rows = connection.execute(text("SELECT customer, ticket FROM ticket_customers")).all()
    assert sorted(tuple(r) for r in rows) == [("acme", "T-1"), ("globex", "T-1")]
