"""Reports: judged clocks counted per UTC day and clock dimension (``judged_days``), per UTC day
and the ticket's channel and assignee (``ticket_judged_days``), and breaches per UTC quarter hour and customer
(``breach_slices``), so the compliance report, the dashboard and the review read counts for
whole past days and quarter hours instead of every clock.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

The counts of the clocks already stored are filled here, by the rule of this revision (the same
rule ``SqlStore.recount`` applies): met when a clock stopped unbreached, breached at its due
instant when it is flagged breached or still running.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JUDGED = """
SELECT
    CASE WHEN breached OR c.status IN ('active', 'paused') THEN due_at ELSE stopped_at END AS at,
    metric, policy, COALESCE(c.priority, '') AS priority,
    COALESCE(c.group_name, '') AS group_name, COALESCE(c.customer, '') AS customer,
    COALESCE(c.service, '') AS service, COALESCE(k.channel, '') AS channel,
    COALESCE(k.assignee, '') AS assignee,
    CASE WHEN breached OR c.status IN ('active', 'paused') THEN 'breached' ELSE 'met' END
        AS outcome
FROM clocks AS c JOIN tickets AS k ON k.id = c.ticket
WHERE breached OR c.status IN ('active', 'paused', 'achieved')
"""
_FILL_DAYS = f"""
INSERT INTO judged_days (day, metric, policy, priority, group_name, customer, service, outcome, n)
SELECT at / 86400000000, metric, policy, priority, group_name, customer, service, outcome, COUNT(*)
FROM ({_JUDGED}) AS judged
WHERE at IS NOT NULL
GROUP BY at / 86400000000, metric, policy, priority, group_name, customer, service, outcome
"""
_FILL_TICKET_DAYS = f"""
INSERT INTO ticket_judged_days (day, customer, channel, assignee, outcome, n)
SELECT at / 86400000000, customer, channel, assignee, outcome, COUNT(*)
FROM ({_JUDGED}) AS judged
WHERE at IS NOT NULL
GROUP BY at / 86400000000, customer, channel, assignee, outcome
"""
_FILL_SLICES = f"""
INSERT INTO breach_slices (slice, customer, n)
SELECT at / 900000000, customer, COUNT(*)
FROM ({_JUDGED}) AS judged
WHERE at IS NOT NULL AND outcome = 'breached'
GROUP BY at / 900000000, customer
"""


def upgrade() -> None:
    op.create_table(
        "judged_days",
        sa.Column("day", sa.BigInteger(), primary_key=True),
        sa.Column("metric", sa.String(40), primary_key=True),
        sa.Column("policy", sa.Text(), primary_key=True),
        sa.Column("priority", sa.Text(), primary_key=True),
        sa.Column("group_name", sa.Text(), primary_key=True),
        sa.Column("customer", sa.Text(), primary_key=True),
        sa.Column("service", sa.Text(), primary_key=True),
        sa.Column("outcome", sa.String(10), primary_key=True),
        sa.Column("n", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "ticket_judged_days",
        sa.Column("day", sa.BigInteger(), primary_key=True),
        sa.Column("customer", sa.Text(), primary_key=True),
        sa.Column("channel", sa.Text(), primary_key=True),
        sa.Column("assignee", sa.Text(), primary_key=True),
        sa.Column("outcome", sa.String(10), primary_key=True),
        sa.Column("n", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "breach_slices",
        sa.Column("slice", sa.BigInteger(), primary_key=True),
        sa.Column("customer", sa.Text(), primary_key=True),
        sa.Column("n", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "kept_deltas",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("metric", sa.String(40), nullable=False),
        sa.Column("policy", sa.Text(), nullable=False),
        sa.Column("priority", sa.Text(), nullable=False),
        sa.Column("group_name", sa.Text(), nullable=False),
        sa.Column("customer", sa.Text(), nullable=False),
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("assignee", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
    )
    op.execute(_FILL_DAYS)
    op.execute(_FILL_TICKET_DAYS)
    op.execute(_FILL_SLICES)
    # reports' windows by stop instant, and the review's latest breaches: stopped ones by how
    # late they stopped, running ones by due instant
    stopped, running = sa.text("stopped_at IS NOT NULL"), sa.text("stopped_at IS NULL")
    op.drop_index("ix_clocks_stopped_at", "clocks")
    op.create_index(
        "ix_clocks_stopped_at",
        "clocks",
        ["stopped_at"],
        sqlite_where=stopped,
        postgresql_where=stopped,
    )
    op.create_index(
        "ix_clocks_running_due_at",
        "clocks",
        ["due_at"],
        sqlite_where=running,
        postgresql_where=running,
    )
    late = sa.text("breached IS true AND stopped_at IS NOT NULL")
    if op.get_bind().dialect.name == "sqlite":
        late = sa.text("breached IS 1 AND stopped_at IS NOT NULL")  # as SQLite's queries say it
    lateness = sa.text("(stopped_at - due_at)")
    op.create_index(
        "ix_clocks_lateness", "clocks", [lateness], sqlite_where=late, postgresql_where=late
    )
    op.create_index(
        "ix_clocks_customer_lateness",
        "clocks",
        ["customer", lateness],
        sqlite_where=late,
        postgresql_where=late,
    )


def downgrade() -> None:
    op.drop_index("ix_clocks_customer_lateness", "clocks")
    op.drop_index("ix_clocks_lateness", "clocks")
    op.drop_index("ix_clocks_running_due_at", "clocks")
    op.drop_index("ix_clocks_stopped_at", "clocks")
    op.create_index("ix_clocks_stopped_at", "clocks", ["stopped_at"])
    op.drop_table("kept_deltas")
    op.drop_table("breach_slices")
    op.drop_table("ticket_judged_days")
    op.drop_table("judged_days")
