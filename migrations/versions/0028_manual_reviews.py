"""manual reviews: the reviewer's part of 案卷评查 (deductions, 评查意见, sign-off) and its versions

Revision ID: 0028
Revises: 0027
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "manual_reviews",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("sheet_code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("opinion", sa.Text(), nullable=False),
        sa.Column("updated_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_by_id", sa.String(length=64), nullable=False),
        sa.Column("signed_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("signed_by", sa.String(length=200), nullable=True),
        sa.Column("signed_by_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_manual_reviews_case_id_cases")),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_manual_reviews")),
    )
    op.create_index(op.f("ix_manual_reviews_agency"), "manual_reviews", ["agency"], unique=False)
    op.create_table(
        "manual_review_versions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("by_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_manual_review_versions_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manual_review_versions")),
        sa.UniqueConstraint("case_id", "version", name="uq_manual_review_versions_case_version"),
    )


def downgrade() -> None:
    op.drop_table("manual_review_versions")
    op.drop_index(op.f("ix_manual_reviews_agency"), table_name="manual_reviews")
    op.drop_table("manual_reviews")
