"""Breach prediction: installed risk models, and the latest risk of each running clock.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "risk_models",
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
    )
    op.create_table(
        "clock_risks",
        sa.Column("ticket", sa.Text(), primary_key=True),
        sa.Column("metric", sa.String(40), primary_key=True),
        sa.Column("cycle", sa.Integer(), primary_key=True),
        sa.Column("risk", sa.Float(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("scored_at", sa.BigInteger(), nullable=False),
        sa.Column("model", sa.Integer(), nullable=False),
    )
    op.create_index("ix_clock_risks_risk", "clock_risks", ["risk"])
    # the risk pass reads the last day's comments every minute
    op.create_index("ix_events_type_at", "events", ["type", "at"])


def downgrade() -> None:
    op.drop_index("ix_events_type_at", table_name="events")
    op.drop_index("ix_clock_risks_risk", table_name="clock_risks")
    op.drop_table("clock_risks")
    op.drop_table("risk_models")
