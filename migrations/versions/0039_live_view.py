"""live view (issue 29): the index of a recording's fragments while it arrives, and the grants to watch it

Revision ID: 0039
Revises: 0038
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "live_fragments",
        sa.Column("upload_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("end", sa.BigInteger(), nullable=False),
        sa.Column("decode_time", sa.BigInteger(), nullable=True),
        sa.Column("duration", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["upload_id"], ["uploads.id"], name=op.f("fk_live_fragments_upload_id_uploads"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("upload_id", "seq", name=op.f("pk_live_fragments")),
    )
    op.create_table(
        "live_indexes",
        sa.Column("upload_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("fragment_count", sa.Integer(), nullable=False),
        sa.Column("init_end", sa.BigInteger(), nullable=True),
        sa.Column("init_data", sa.LargeBinary(), nullable=True),
        sa.Column("track_id", sa.Integer(), nullable=True),
        sa.Column("timescale", sa.Integer(), nullable=True),
        sa.Column("default_duration", sa.BigInteger(), nullable=True),
        sa.Column("problem_code", sa.String(length=64), nullable=True),
        sa.Column("problem", sa.String(length=500), nullable=True),
        sa.Column("updated_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["upload_id"], ["uploads.id"], name=op.f("fk_live_indexes_upload_id_uploads"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("upload_id", name=op.f("pk_live_indexes")),
    )
    op.create_table(
        "live_views",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("upload_id", sa.String(length=32), nullable=False),
        sa.Column("media_id", sa.String(length=32), nullable=True),
        sa.Column("viewer_id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("granted_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["upload_id"], ["uploads.id"], name=op.f("fk_live_views_upload_id_uploads"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_views")),
    )
    with op.batch_alter_table("live_views", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_views_agency"), ["agency"], unique=False)
        batch_op.create_index(batch_op.f("ix_live_views_upload_id"), ["upload_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_live_views_viewer_id"), ["viewer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("live_views", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_views_viewer_id"))
        batch_op.drop_index(batch_op.f("ix_live_views_upload_id"))
        batch_op.drop_index(batch_op.f("ix_live_views_agency"))

    op.drop_table("live_views")
    op.drop_table("live_indexes")
    op.drop_table("live_fragments")
