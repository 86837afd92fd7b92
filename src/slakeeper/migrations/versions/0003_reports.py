"""Reports: what the ticket's reports read (channel, assignee, replies, reopens, first solve, last
rating) and an index on the instant a clock stopped.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

Tickets stored before this revision get the new columns filled when their next event arrives, or
by a configuration change (which re-derives every open ticket).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("channel", sa.Text(), nullable=True))
        batch.add_column(sa.Column("assignee", sa.Text(), nullable=True))
        batch.add_column(sa.Column("replies", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("reopens", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("solved_at", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("csat_score", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("csat_at", sa.BigInteger(), nullable=True))
        batch.create_index("ix_tickets_solved_at", ["solved_at"])
    with op.batch_alter_table("clocks") as batch:
        batch.create_index("ix_clocks_stopped_at", ["stopped_at"])


def downgrade() -> None:
    with op.batch_alter_table("clocks") as batch:
        batch.drop_index("ix_clocks_stopped_at")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_solved_at")
        for column in (
            "csat_at",
            "csat_score",
            "solved_at",
            "reopens",
            "replies",
            "assignee",
            "channel",
        ):
            batch.drop_column(column)
