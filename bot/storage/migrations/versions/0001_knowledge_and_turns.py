"""Knowledge base, centre information, turns and unanswered questions.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("record", sa.JSON(), nullable=False),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("department", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_items_name", "items", ["name"])
    op.create_index("ix_items_department", "items", ["department"])
    op.create_table(
        "centre_info",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("record", sa.JSON(), nullable=False),
    )
    op.create_table(
        "turns",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("sender", sa.String(128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(40)),
        sa.Column("confidence", sa.Float()),
        sa.Column("item_id", sa.String(80)),
        sa.Column("aspect", sa.String(20)),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    for column in ("channel", "sender", "intent", "item_id", "created_at"):
        op.create_index(f"ix_turns_{column}", "turns", [column])
    op.create_table(
        "unanswered_questions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("sender", sa.String(128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_unanswered_questions_resolved", "unanswered_questions", ["resolved"])
    op.create_index("ix_unanswered_questions_created_at", "unanswered_questions", ["created_at"])


def downgrade() -> None:
    op.drop_table("unanswered_questions")
    op.drop_table("turns")
    op.drop_table("centre_info")
    op.drop_table("items")
    op.drop_table("departments")
