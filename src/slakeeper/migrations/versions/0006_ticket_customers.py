"""Every customer a ticket has had, from its events: what a CRM change of that customer
re-derives (a ticket that moved from one customer to another keeps clocks judged under both).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticket_customers",
        sa.Column("customer", sa.Text(), primary_key=True),
        sa.Column("ticket", sa.Text(), sa.ForeignKey("tickets.id"), primary_key=True),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "INSERT INTO ticket_customers (customer, ticket) "
            "SELECT DISTINCT body::jsonb->>'customer', ticket FROM events "
            "WHERE body::jsonb->>'customer' IS NOT NULL ON CONFLICT DO NOTHING"
        )
    else:
        op.execute(
            "INSERT OR IGNORE INTO ticket_customers (customer, ticket) "
            "SELECT DISTINCT json_extract(body, '$.customer'), ticket FROM events "
            "WHERE json_extract(body, '$.customer') IS NOT NULL"
        )


def downgrade() -> None:
    op.drop_table("ticket_customers")
