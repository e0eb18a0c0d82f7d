"""cases

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("case_number", sa.String(length=128), nullable=False),
        sa.Column("procedure", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("parties", sa.JSON(), nullable=False),
        sa.Column("officers", sa.JSON(), nullable=False),
        sa.Column("opened_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["api_tokens.id"], name=op.f("fk_cases_created_by_api_tokens")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("agency", "case_number", name="uq_cases_agency_case_number"),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_agency_created", ["agency", "created_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_procedure"), ["procedure"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_procedure"))
        batch_op.drop_index("ix_cases_agency_created")

    op.drop_table("cases")
