"""Tables of the store. Instants are integer microseconds since the epoch (UTC), as in the domain.

Every change of the configuration is a new row of ``config_versions``; events are append-only and
unique by id; ``clocks`` is derived from events and configuration, indexed by due instant.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
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
    # for reports (docs/metrics.md)
    Column("channel", Text, nullable=True),
    Column("assignee", Text, nullable=True),
    Column("replies", Integer, nullable=False, server_default="0"),
    Column("reopens", Integer, nullable=False, server_default="0"),
    Column("solved_at", BigInteger, nullable=True, index=True),
    Column("csat_score", Integer, nullable=True),
    Column("csat_at", BigInteger, nullable=True),
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
    Index("ix_events_type_at", "type", "at"),  # the risk pass: the last day's comments
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
    # the next instant the monitoring worker has something to fire for this clock; NULL: nothing
    Column("next_check_at", BigInteger, nullable=True),
    Index("ix_clocks_status_due_at", "status", "due_at"),
    Index("ix_clocks_next_check_at", "next_check_at"),
    Index("ix_clocks_due_at", "due_at"),
    Index("ix_clocks_customer", "customer"),
)
# how late a breached clock stopped, overall and per customer (partial: only those rows): the
# review's latest breaches are read down these instead of sorting every breach of the period
_STOPPED_LATE = and_(clocks.c.breached.is_(True), clocks.c.stopped_at.is_not(None))
Index(
    "ix_clocks_lateness",
    clocks.c.stopped_at - clocks.c.due_at,
    sqlite_where=_STOPPED_LATE,
    postgresql_where=_STOPPED_LATE,
)
Index(
    "ix_clocks_customer_lateness",
    clocks.c.customer,
    clocks.c.stopped_at - clocks.c.due_at,
    sqlite_where=_STOPPED_LATE,
    postgresql_where=_STOPPED_LATE,
)
# the stop instants of stopped clocks (reports' windows), and the due instants of the clocks
# still running (the review's running breaches): two partial indexes, so neither is taken for
# the other's work
Index(
    "ix_clocks_stopped_at",
    clocks.c.stopped_at,
    sqlite_where=clocks.c.stopped_at.is_not(None),
    postgresql_where=clocks.c.stopped_at.is_not(None),
)
Index(
    "ix_clocks_running_due_at",
    clocks.c.due_at,
    sqlite_where=clocks.c.stopped_at.is_(None),
    postgresql_where=clocks.c.stopped_at.is_(None),
)

# The kept counts of judged clocks (adapters/db/kept_counts.py): what the reports and the review
# read for whole past days and quarter hours instead of the clocks (docs/architecture.md). Each
# clock counts by the outcome it is judged by if nothing more happens to it — met when it stopped,
# breached at its due instant (a running clock's breach is counted ahead; a day or quarter hour
# is read only once it is over). Dimensions without a value are stored as '' (part of the key).
judged_days = Table(
    "judged_days",
    metadata,
    Column("day", BigInteger, primary_key=True),  # days since 1970-01-01 UTC
    Column("metric", String(40), primary_key=True),
    Column("policy", Text, primary_key=True),
    Column("priority", Text, primary_key=True),
    Column("group_name", Text, primary_key=True),
    Column("customer", Text, primary_key=True),
    Column("service", Text, primary_key=True),
    Column("outcome", String(10), primary_key=True),  # met | breached
    Column("n", BigInteger, nullable=False),
)

# every customer a ticket has had (its events' ``customer``): what a change of that customer in
# the CRM re-derives (service/customers.py), including tickets that moved to another customer
ticket_customers = Table(
    "ticket_customers",
    metadata,
    Column("customer", Text, primary_key=True),
    Column("ticket", Text, ForeignKey("tickets.id"), primary_key=True),
)

ticket_judged_days = Table(
    "ticket_judged_days",
    metadata,
    Column("day", BigInteger, primary_key=True),  # days since 1970-01-01 UTC
    Column("customer", Text, primary_key=True),
    Column("channel", Text, primary_key=True),  # the ticket's
    Column("assignee", Text, primary_key=True),  # the ticket's
    Column("outcome", String(10), primary_key=True),  # met | breached
    Column("n", BigInteger, nullable=False),
)

breach_slices = Table(
    "breach_slices",
    metadata,
    Column("slice", BigInteger, primary_key=True),  # quarter hours since 1970-01-01 UTC
    Column("customer", Text, primary_key=True),
    Column("n", BigInteger, nullable=False),
)

# changes to the kept counts, appended by each write (no row two writers both update) and folded
# into the three tables above by the worker; readers add the ones not folded yet
kept_deltas = Table(
    "kept_deltas",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("kind", String(20), nullable=False),  # the table it belongs to
    Column("bucket", BigInteger, nullable=False),  # its day or quarter hour
    Column("metric", String(40), nullable=False),
    Column("policy", Text, nullable=False),
    Column("priority", Text, nullable=False),
    Column("group_name", Text, nullable=False),
    Column("customer", Text, nullable=False),
    Column("service", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("assignee", Text, nullable=False),
    Column("outcome", String(10), nullable=False),
    Column("n", BigInteger, nullable=False),
)

alerts = Table(
    "alerts",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("ticket", Text, nullable=False),
    Column("metric", String(40), nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("kind", String(20), nullable=False),  # warning | breach | escalation
    Column("threshold", Text, nullable=False),  # "75%", "30m before", "breach", "escalation 2"
    Column("policy", Text, nullable=False),
    Column("customer", Text, nullable=True, index=True),
    Column("planned_at", BigInteger, nullable=False),
    Column("fired_at", BigInteger, nullable=False),
    Column("late", Boolean, nullable=False),
    Column("payload", Text, nullable=False),  # the message every channel renders (JSON)
    UniqueConstraint("ticket", "metric", "cycle", "kind", "threshold"),
    Index("ix_alerts_fired_at", "fired_at"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("alert_id", BigInteger, ForeignKey("alerts.id"), nullable=False, index=True),
    Column("action", String(20), nullable=False),  # notify | webhook | reassign | ...
    Column("channel", Text, nullable=False),  # a configured channel's name, or "webhook"
    Column("spec", Text, nullable=False),  # recipients and options of this delivery (JSON)
    # pending | delivered | dead | skipped (older than the catch-up limit)
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", BigInteger, nullable=True),  # pending: when to (re)try
    Column("delivered_at", BigInteger, nullable=True),
    Column("last_error", Text, nullable=True),
    Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("delivery_id", BigInteger, ForeignKey("deliveries.id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("at", BigInteger, nullable=False),
    Column("status", Integer, nullable=True),  # HTTP status or SMTP reply code
    Column("error", Text, nullable=False),  # empty when delivered
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


# -- availability (SPEC §7) --------------------------------------------------------------------

incidents = Table(
    "incidents",
    metadata,
    Column("id", Text, primary_key=True),
    Column("service", Text, nullable=False),
    Column("components", Text, nullable=False),  # JSON list
    Column("impact", String(40), nullable=False),
    Column("start_at", BigInteger, nullable=False),
    Column("end_at", BigInteger, nullable=True),  # NULL: still open
    Column("title", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_incidents_service_start_at", "service", "start_at"),
)

# every change of an incident after it was recorded: what it was, what it became, who and why
incident_changes = Table(
    "incident_changes",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("incident", Text, ForeignKey("incidents.id"), nullable=False, index=True),
    Column("at", BigInteger, nullable=False),
    Column("author", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("before", Text, nullable=False),  # JSON of the changed fields
    Column("after", Text, nullable=False),
)

# good and total events per interval (probe results: 1/1 up, 0/1 down, 0/0 unknown)
measurements = Table(
    "measurements",
    metadata,
    Column("service", Text, primary_key=True),
    Column("start_at", BigInteger, primary_key=True),
    Column("end_at", BigInteger, nullable=False),
    Column("good", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
)

# issued monthly statements: version 1 when the month closed, later versions restate it
statements = Table(
    "statements",
    metadata,
    Column("customer", Text, primary_key=True),
    Column("period", String(16), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("issued_at", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("body", Text, nullable=False),  # JSON
)

# the availability signals in force per objective (burn rates, budget, credit tiers): a signal
# fires one alert when it starts to hold (a new episode) and none while it keeps holding
availability_signals = Table(
    "availability_signals",
    metadata,
    Column("service", Text, primary_key=True),
    Column("objective", Text, primary_key=True),
    Column("signal", Text, primary_key=True),  # "burn_rate 14.4x 1h/5m", "budget_exhausted budget"
    Column("episode", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("changed_at", BigInteger, nullable=False),
)

# breach-risk models (docs/prediction.md): every installed model is a version; the latest is used
risk_models = Table(
    "risk_models",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=True),
    Column("created_at", BigInteger, nullable=False),
    Column("author", Text, nullable=False),
    Column("document", Text, nullable=False),  # the model as `slakeeper model train` wrote it
)

# the latest risk of every running clock, replaced whole by each pass of the risk watch
clock_risks = Table(
    "clock_risks",
    metadata,
    Column("ticket", Text, primary_key=True),
    Column("metric", String(40), primary_key=True),
    Column("cycle", Integer, primary_key=True),
    Column("risk", Float, nullable=False),
    Column("reasons", Text, nullable=False),  # JSON list of texts, strongest first
    Column("scored_at", BigInteger, nullable=False),
    Column("model", Integer, nullable=False),
    Index("ix_clock_risks_risk", "risk"),
)
