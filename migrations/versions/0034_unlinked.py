"""footage bound to no case (issue 27): an agency's media by upload time, document attachments by media, and the
statistics' record of when each footage item was first filed to a case (关联率)

Revision ID: 0034
Revises: 0033
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.create_index("ix_media_agency_uploaded", ["agency", "uploaded_at", "id"], unique=False)
    with op.batch_alter_table("document_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_versions_attachment_media_id"), ["attachment_media_id"], unique=False)
    op.create_table(
        "stats_media_filing",
        sa.Column("media_id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("uploaded_on", sa.Date(), nullable=False),
        sa.Column("uploaded_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("filed_after_s", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name=op.f("fk_stats_media_filing_media_id_media")),
        sa.PrimaryKeyConstraint("media_id", name=op.f("pk_stats_media_filing")),
    )
    with op.batch_alter_table("stats_media_filing", schema=None) as batch_op:
        batch_op.create_index("ix_stats_media_filing_uploaded", ["agency", "uploaded_on"], unique=False)
    # Existing footage gets its row from the statistics' catch-up (stats.filing.catch_up_filings), run by the worker
    # and by `recording-service stats refresh`.


def downgrade() -> None:
    with op.batch_alter_table("stats_media_filing", schema=None) as batch_op:
        batch_op.drop_index("ix_stats_media_filing_uploaded")
    op.drop_table("stats_media_filing")
    with op.batch_alter_table("document_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_versions_attachment_media_id"))
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_index("ix_media_agency_uploaded")
