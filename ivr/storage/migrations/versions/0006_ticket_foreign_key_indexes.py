"""Indexes on the tickets' unindexed foreign keys: follow-ups and comment deliveries.

Deleting a ticket (retention, a caller's erasure) makes the database look
for rows still pointing at it; without these indexes each deleted ticket
scanned the whole tickets table, and a batch of 500 held SQLite's write
lock for seconds on 25,000 tickets.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_tickets_follows_id"), "tickets", ["follows_id"])
    op.create_index(op.f("ix_ticket_outbox_comment_id"), "ticket_outbox", ["comment_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_ticket_outbox_comment_id"), table_name="ticket_outbox")
    op.drop_index(op.f("ix_tickets_follows_id"), table_name="tickets")
