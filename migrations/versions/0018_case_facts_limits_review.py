"""case facts, limit adjustments, document party name and refusal note

Revision ID: 0018
Revises: 0017
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("facts", sa.JSON(), server_default="{}", nullable=False))
    with op.batch_alter_table("document_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("party_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("refusal_note", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_document_versions_doc_number"), ["doc_number"], unique=False)
    op.create_table(
        "case_limit_adjustments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("paused_from", sa.Date(), nullable=True),
        sa.Column("paused_to", sa.Date(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", recording_service.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["api_tokens.id"],
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_limit_adjustments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_limit_adjustments_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_limit_adjustments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_limit_adjustments_case_id"))
    op.drop_table("case_limit_adjustments")
    with op.batch_alter_table("document_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_versions_doc_number"))
        batch_op.drop_column("refusal_note")
        batch_op.drop_column("party_name")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("facts")
