"""explanations of interruptions in whole-process recording

Revision ID: 0012
Revises: 0011
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "interruption_explanations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("stage_id", sa.String(length=32), nullable=False),
        sa.Column("device_id", sa.String(length=128), nullable=False),
        sa.Column("gap_start", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("gap_end", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_interruption_explanations_case_id_cases")),
        sa.ForeignKeyConstraint(["stage_id"], ["case_stages.id"], name=op.f("fk_interruption_explanations_stage_id_case_stages")),
        sa.ForeignKeyConstraint(["created_by"], ["api_tokens.id"], name=op.f("fk_interruption_explanations_created_by_api_tokens")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interruption_explanations")),
    )
    with op.batch_alter_table("interruption_explanations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_interruption_explanations_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_interruption_explanations_stage_id"), ["stage_id"], unique=False)


def downgrade() -> None:
    op.drop_table("interruption_explanations")
