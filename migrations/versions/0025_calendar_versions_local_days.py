"""calendar: every version of a loaded year kept; an agency's local days on top

Revision ID: 0025
Revises: 0024
"""

import uuid

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    versions = op.create_table(
        "calendar_year_versions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("loaded_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_year_versions")),
        sa.UniqueConstraint("year", "version", name="uq_calendar_year_versions_year_version"),
    )
    op.create_index(op.f("ix_calendar_year_versions_year"), "calendar_year_versions", ["year"], unique=False)
    # The years loaded so far become their first version (the single-row table kept only the latest).
    old = sa.table(
        "calendar_years",
        sa.column("year", sa.Integer()),
        sa.column("data", sa.JSON()),
        sa.column("loaded_at", recording_service.core.db.UTCDateTime(timezone=True)),
        sa.column("loaded_by", sa.String()),
    )
    rows = op.get_bind().execute(sa.select(old.c.year, old.c.data, old.c.loaded_at, old.c.loaded_by)).all()
    if rows:
        op.bulk_insert(
            versions,
            [
                {"id": uuid.uuid4().hex, "year": r.year, "version": 1, "data": r.data, "loaded_at": r.loaded_at, "loaded_by": r.loaded_by}
                for r in rows
            ],
        )
    op.drop_table("calendar_years")
    op.create_table(
        "calendar_local_days",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name_zh", sa.String(length=50), nullable=False),
        sa.Column("basis", sa.String(length=500), nullable=False),
        sa.Column("added_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("withdrawn_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=200), nullable=True),
        sa.Column("withdrawal_reason", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_local_days")),
    )
    op.create_index("ix_calendar_local_days_agency_day", "calendar_local_days", ["agency", "day"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_calendar_local_days_agency_day", table_name="calendar_local_days")
    op.drop_table("calendar_local_days")
    old = op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("loaded_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_years")),
    )
    versions = sa.table(
        "calendar_year_versions",
        sa.column("year", sa.Integer()),
        sa.column("version", sa.Integer()),
        sa.column("data", sa.JSON()),
        sa.column("loaded_at", recording_service.core.db.UTCDateTime(timezone=True)),
        sa.column("loaded_by", sa.String()),
    )
    latest = {}
    for r in op.get_bind().execute(sa.select(versions).order_by(versions.c.year, versions.c.version)).all():
        latest[r.year] = {"year": r.year, "data": r.data, "loaded_at": r.loaded_at, "loaded_by": r.loaded_by}
    if latest:
        op.bulk_insert(old, list(latest.values()))
    op.drop_index(op.f("ix_calendar_year_versions_year"), table_name="calendar_year_versions")
    op.drop_table("calendar_year_versions")
