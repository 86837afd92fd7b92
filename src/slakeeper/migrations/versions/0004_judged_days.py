"""Reports: judged clocks counted per UTC day and clock dimension (``judged_days``), so the
compliance report and page read counts for whole past days instead of every clock.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

The counts of the clocks already stored are filled here, by the rule of this revision (the same
rule ``SqlStore.rebuild_judged_days`` applies): met on the UTC day a clock stopped unbreached,
breached on its due day when it is flagged breached or still running.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FILL = """
INSERT INTO judged_days (day, metric, policy, priority, group_name, customer, service, outcome, n)
SELECT at / 86400000000, metric, policy, priority, group_name, customer, service, outcome, COUNT(*)
FROM (
    SELECT
        CASE WHEN breached OR status IN ('active', 'paused') THEN due_at ELSE stopped_at END AS at,
        metric, policy, COALESCE(priority, '') AS priority, COALESCE(group_name, '') AS group_name,
        COALESCE(customer, '') AS customer, COALESCE(service, '') AS service,
        CASE WHEN breached OR status IN ('active', 'paused') THEN 'breached' ELSE 'met' END
            AS outcome
    FROM clocks
    WHERE breached OR status IN ('active', 'paused') OR status = 'achieved'
) AS judged
WHERE at IS NOT NULL
GROUP BY at / 86400000000, metric, policy, priority, group_name, customer, service, outcome
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
    op.execute(_FILL)


def downgrade() -> None:
    op.drop_table("judged_days")
