"""footage uploaded while it is recorded (issue 29): tus uploads of deferred length, media in state recording without a
SHA-256 yet, and how a recording ended (completed, abandoned — kept as incomplete evidence — or merged into the media that
already had its bytes)

Revision ID: 0038
Revises: 0037
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("length_deferred", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("abandoned_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.alter_column("sha256", existing_type=sa.String(length=64), nullable=True)
        batch_op.add_column(sa.Column("recording_started_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_received_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("recording_outcome", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("merged_into", sa.String(length=32), nullable=True))


def downgrade() -> None:
    # Records without a SHA-256 (recordings in progress, merged ones) cannot exist before this revision: refuse rather
    # than delete evidence records.
    if op.get_bind().execute(sa.text("SELECT count(*) FROM media WHERE sha256 IS NULL")).scalar():
        raise RuntimeError("media without a SHA-256 (recordings) exist; they cannot be kept by revision 0037")
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_column("merged_into")
        batch_op.drop_column("recording_outcome")
        batch_op.drop_column("last_received_at")
        batch_op.drop_column("recording_started_at")
        batch_op.alter_column("sha256", existing_type=sa.String(length=64), nullable=False)
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_column("abandoned_at")
        batch_op.drop_column("length_deferred")
