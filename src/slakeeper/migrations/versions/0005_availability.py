"""Availability: incidents and their change log, measurements (good/total per interval), the
issued monthly statements (version 1 at the month's close, later versions restate it) and the
signals in force per objective (one alert per episode).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("components", sa.Text(), nullable=False),
        sa.Column("impact", sa.String(40), nullable=False),
        sa.Column("start_at", sa.BigInteger(), nullable=False),
        sa.Column("end_at", sa.BigInteger(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_incidents_service_start_at", "incidents", ["service", "start_at"])
    op.create_table(
        "incident_changes",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("incident", sa.Text(), sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
    )
    op.create_index("ix_incident_changes_incident", "incident_changes", ["incident"])
    op.create_table(
        "measurements",
        sa.Column("service", sa.Text(), primary_key=True),
        sa.Column("start_at", sa.BigInteger(), primary_key=True),
        sa.Column("end_at", sa.BigInteger(), nullable=False),
        sa.Column("good", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "statements",
        sa.Column("customer", sa.Text(), primary_key=True),
        sa.Column("period", sa.String(16), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
    )

    op.create_table(
        "availability_signals",
        sa.Column("service", sa.Text(), primary_key=True),
        sa.Column("objective", sa.Text(), primary_key=True),
        sa.Column("signal", sa.Text(), primary_key=True),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("availability_signals")
    op.drop_table("statements")
    op.drop_table("measurements")
    op.drop_index("ix_incident_changes_incident", "incident_changes")
    op.drop_table("incident_changes")
    op.drop_index("ix_incidents_service_start_at", "incidents")
    op.drop_table("incidents")
