"""published list versions (行政执法事项清单, 随机抽查事项清单)

Revision ID: 0021
Revises: 0020
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "published_list_versions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("first_served_at", recording_service.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "sha256", name="uq_published_list_versions_name_sha256"),
        sa.UniqueConstraint("name", "seq", name="uq_published_list_versions_name_seq"),
    )


def downgrade() -> None:
    op.drop_table("published_list_versions")
