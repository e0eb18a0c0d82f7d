"""agency profiles and their versions

Revision ID: 0023
Revises: 0022
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("division_code", sa.String(length=6), nullable=False),
        sa.Column("parent", sa.String(length=64), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("phone", sa.String(length=100), nullable=True),
        sa.Column("office_hours", sa.String(length=200), nullable=True),
        sa.Column("review_body", sa.String(length=200), nullable=True),
        sa.Column("court", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["parent"], ["agencies.code"], name=op.f("fk_agencies_parent_agencies")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_agencies")),
    )
    op.create_index(op.f("ix_agencies_parent"), "agencies", ["parent"], unique=False)
    op.create_table(
        "agency_profile_versions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("changed", sa.JSON(), nullable=False),
        sa.Column("changed_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["code"], ["agencies.code"], name=op.f("fk_agency_profile_versions_code_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_profile_versions")),
        sa.UniqueConstraint("code", "version", name="uq_agency_profile_versions_code_version"),
    )


def downgrade() -> None:
    op.drop_table("agency_profile_versions")
    op.drop_index(op.f("ix_agencies_parent"), table_name="agencies")
    op.drop_table("agencies")
