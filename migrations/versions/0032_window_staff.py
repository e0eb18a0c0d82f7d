"""window staff (窗口办事人员 公示): the people at service windows, their photos' objects and every version of an entry

Revision ID: 0032
Revises: 0031
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "window_staff",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=False),
        sa.Column("unit_key", sa.String(length=512), nullable=False),
        sa.Column("name_key", sa.String(length=512), nullable=False),
        sa.Column("post", sa.String(length=100), nullable=False),
        sa.Column("service_window", sa.String(length=100), nullable=False),
        sa.Column("enforcement_kinds", sa.JSON(), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("photo_key", sa.String(length=300), nullable=True),
        sa.Column("photo_type", sa.String(length=32), nullable=True),
        sa.Column("photo_sha256", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_window_staff")),
    )
    op.create_index("ix_window_staff_agency_order", "window_staff", ["agency", "active", "unit_key", "name_key"], unique=False)
    op.create_table(
        "window_staff_versions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("staff_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["window_staff.id"], name=op.f("fk_window_staff_versions_staff_id_window_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_window_staff_versions")),
        sa.UniqueConstraint("staff_id", "version", name="uq_window_staff_versions_staff_version"),
    )
    op.create_index(op.f("ix_window_staff_versions_staff_id"), "window_staff_versions", ["staff_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_window_staff_versions_staff_id"), table_name="window_staff_versions")
    op.drop_table("window_staff_versions")
    op.drop_index("ix_window_staff_agency_order", table_name="window_staff")
    op.drop_table("window_staff")
