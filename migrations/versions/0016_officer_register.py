"""officer register

Revision ID: 0016
Revises: 0015
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "officers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=False),
        sa.Column("certificate_number", sa.String(length=64), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officers")),
        sa.UniqueConstraint("agency", "officer_id", name="uq_officers_agency_officer_id"),
    )
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.create_index("ix_officers_agency_valid_to", ["agency", "valid_to"], unique=False)

    op.create_table(
        "officer_status_changes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("officer_pk", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("changed_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["officer_pk"], ["officers.id"], name=op.f("fk_officer_status_changes_officer_pk_officers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officer_status_changes")),
    )
    with op.batch_alter_table("officer_status_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_officer_status_changes_officer_pk"), ["officer_pk"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("officer_status_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officer_status_changes_officer_pk"))

    op.drop_table("officer_status_changes")
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.drop_index("ix_officers_agency_valid_to")

    op.drop_table("officers")
