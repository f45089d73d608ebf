"""The satisfaction survey's answers, one per call and step.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "survey_answers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("line", sa.String(length=64), nullable=True),
        sa.Column("ticket_protocol", sa.String(length=40), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("recording_url", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_sid"],
            ["calls.call_sid"],
            name=op.f("fk_survey_answers_call_sid_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
        sa.UniqueConstraint("call_sid", "step", name=op.f("uq_survey_answers_call_sid_step")),
    )
    op.create_index(op.f("ix_survey_answers_at"), "survey_answers", ["at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_survey_answers_at"), table_name="survey_answers")
    op.drop_table("survey_answers")
