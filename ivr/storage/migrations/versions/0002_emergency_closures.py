"""Emergency closures ("fechar agora") set by supervisors.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "emergency_closures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("start", UTC_DATETIME, nullable=False),
        sa.Column("end", UTC_DATETIME, nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("schedules", sa.JSON(), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_closures")),
    )
    op.create_index(op.f("ix_emergency_closures_end"), "emergency_closures", ["end"])


def downgrade() -> None:
    op.drop_index(op.f("ix_emergency_closures_end"), table_name="emergency_closures")
    op.drop_table("emergency_closures")
