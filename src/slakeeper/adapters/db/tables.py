"""Tables of the store. Instants are integer microseconds since the epoch (UTC), as in the domain.

Every change of the configuration is a new row of ``config_versions``; events are append-only and
unique by id; ``clocks`` is derived from events and configuration, indexed by due instant.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

config_versions = Table(
    "config_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=True),
    Column("created_at", BigInteger, nullable=False),
    Column("author", Text, nullable=False),
    Column("document", Text, nullable=False),  # the validated document as JSON
    Column("source", Text, nullable=False),  # the text as it was sent (YAML or JSON)
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Text, primary_key=True),
    Column("customer", Text, nullable=True, index=True),
    Column("service", Text, nullable=True),
    Column("group_name", Text, nullable=True),
    Column("priority", Text, nullable=True),
    Column("status", String(20), nullable=True),
    Column("created_at", BigInteger, nullable=True),
    Column("last_event_at", BigInteger, nullable=True),
    Column("event_count", Integer, nullable=False, server_default="0"),
)

events = Table(
    "events",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("id", Text, nullable=False, unique=True),
    Column("ticket", Text, ForeignKey("tickets.id"), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("type", String(40), nullable=False),
    Column("body", Text, nullable=False),  # the event in SPEC §4 form (JSON)
    Column("received_at", BigInteger, nullable=False),
    Index("ix_events_ticket_at_seq", "ticket", "at", "seq"),
)

clocks = Table(
    "clocks",
    metadata,
    Column("ticket", Text, ForeignKey("tickets.id"), primary_key=True),
    Column("metric", String(40), primary_key=True),
    Column("cycle", Integer, primary_key=True),
    Column("policy", Text, nullable=False),
    Column("target", BigInteger, nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("stopped_at", BigInteger, nullable=True),
    Column("status", String(20), nullable=False),
    Column("elapsed", BigInteger, nullable=False),
    Column("due_at", BigInteger, nullable=True),
    Column("breached", Boolean, nullable=False),
    Column("customer", Text, nullable=True),
    Column("service", Text, nullable=True),
    Column("group_name", Text, nullable=True),
    Column("priority", Text, nullable=True),
    Column("derived_at", BigInteger, nullable=False),  # the instant the row was computed for
    Column("config_version", Integer, nullable=True),
    Index("ix_clocks_status_due_at", "status", "due_at"),
    Index("ix_clocks_due_at", "due_at"),
    Index("ix_clocks_customer", "customer"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("role", String(20), nullable=False),
    Column("customer", Text, nullable=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger, nullable=True),
)
