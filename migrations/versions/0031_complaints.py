"""complaints from the public (投诉: reference numbers kept as hashes, due dates, assignment, reply) and the
statistics' figures of them

Revision ID: 0031
Revises: 0030
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("reference_hash", sa.String(length=64), nullable=False),
        sa.Column("about", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("filed_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("assignee", sa.String(length=100), nullable=True),
        sa.Column("assigned_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("assigned_by", sa.String(length=200), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("replied_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("replied_on", sa.Date(), nullable=True),
        sa.Column("replied_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("reference_hash", name=op.f("uq_complaints_reference_hash")),
    )
    op.create_index("ix_complaints_agency_filed", "complaints", ["agency", "filed_on"], unique=False)
    op.create_index("ix_complaints_agency_queue", "complaints", ["agency", "status", "due_on"], unique=False)
    op.create_table(
        "stats_complaint_days",
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("about", sa.String(length=16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("filed", sa.Integer(), nullable=False),
        sa.Column("replied", sa.Integer(), nullable=False),
        sa.Column("replied_late", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("agency", "filed_on", "about", "due_on", name=op.f("pk_stats_complaint_days")),
    )


def downgrade() -> None:
    op.drop_table("stats_complaint_days")
    op.drop_index("ix_complaints_agency_queue", table_name="complaints")
    op.drop_index("ix_complaints_agency_filed", table_name="complaints")
    op.drop_table("complaints")
