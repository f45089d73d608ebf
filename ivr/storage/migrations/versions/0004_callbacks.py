"""Callbacks: requests, their attempts and history, slot capacity, the dial pace.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("protocol", sa.String(length=40), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("line", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("active_key", sa.String(length=100), nullable=True),
        sa.Column("slot_start", UTC_DATETIME, nullable=False),
        sa.Column("slot_end", UTC_DATETIME, nullable=False),
        sa.Column("scheduled_for", UTC_DATETIME, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", UTC_DATETIME, nullable=True),
        sa.Column("call_sid", sa.String(length=64), nullable=True),
        sa.Column("source_call_sid", sa.String(length=64), nullable=True),
        sa.Column("ticket_protocol", sa.String(length=40), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callbacks")),
        sa.UniqueConstraint("protocol", name=op.f("uq_callbacks_protocol")),
        sa.UniqueConstraint("active_key", name=op.f("uq_callbacks_active_key")),
        sa.UniqueConstraint("source_call_sid", name=op.f("uq_callbacks_source_call_sid")),
    )
    op.create_index("ix_callbacks_status_scheduled_for", "callbacks", ["status", "scheduled_for"])
    op.create_table(
        "callback_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("callback_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=True),
        sa.Column("dialed_at", UTC_DATETIME, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("answered_by", sa.String(length=32), nullable=True),
        sa.Column("last_sequence", sa.Integer(), nullable=True),
        sa.Column("ended_at", UTC_DATETIME, nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["callback_id"],
            ["callbacks.id"],
            name=op.f("fk_callback_attempts_callback_id_callbacks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_attempts")),
        sa.UniqueConstraint(
            "callback_id", "attempt", name=op.f("uq_callback_attempts_callback_id_attempt")
        ),
        sa.UniqueConstraint("call_sid", name=op.f("uq_callback_attempts_call_sid")),
    )
    op.create_table(
        "callback_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("callback_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["callback_id"],
            ["callbacks.id"],
            name=op.f("fk_callback_events_callback_id_callbacks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_events")),
    )
    op.create_index(op.f("ix_callback_events_callback_id"), "callback_events", ["callback_id"])
    op.create_table(
        "callback_slots",
        sa.Column("line", sa.String(length=64), nullable=False),
        sa.Column("start", UTC_DATETIME, nullable=False),
        sa.Column("end", UTC_DATETIME, nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("line", "start", name=op.f("pk_callback_slots")),
    )
    op.create_table(
        "dial_pacing",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("next_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_dial_pacing")),
    )


def downgrade() -> None:
    op.drop_table("dial_pacing")
    op.drop_table("callback_slots")
    op.drop_index(op.f("ix_callback_events_callback_id"), table_name="callback_events")
    op.drop_table("callback_events")
    op.drop_table("callback_attempts")
    op.drop_index("ix_callbacks_status_scheduled_for", table_name="callbacks")
    op.drop_table("callbacks")
