"""fenced upload leases (generation, store state), settled uploads, superseded objects of repaired media

Revision ID: 0009
Revises: 0008
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_generation", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("store_state", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("store_settled_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.add_column(sa.Column("superseded_objects", sa.JSON(), nullable=True))

    # Uploads whose object is their media's own have nothing to settle; the rest are checked by the
    # next `uploads sweep`.
    op.execute(
        "UPDATE uploads SET store_settled_at = completed_at WHERE status = 'completed' AND EXISTS "
        "(SELECT 1 FROM media WHERE media.id = uploads.media_id AND media.storage_key = uploads.storage_key)"
    )


def downgrade() -> None:
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_column("superseded_objects")

    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_column("store_settled_at")
        batch_op.drop_column("store_state")
        batch_op.drop_column("lease_generation")
