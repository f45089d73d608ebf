"""Callbacks: the SMS confirmation the worker sends (off by default).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("callbacks") as batch:
        batch.add_column(sa.Column("sms_status", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("sms_sid", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("sms_tries", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("sms_not_before", UTC_DATETIME, nullable=True))
        batch.create_index("ix_callbacks_sms_status", ["sms_status"])


def downgrade() -> None:
    with op.batch_alter_table("callbacks") as batch:
        batch.drop_index("ix_callbacks_sms_status")
        batch.drop_column("sms_not_before")
        batch.drop_column("sms_tries")
        batch.drop_column("sms_sid")
        batch.drop_column("sms_status")
