"""store locks (object version, retention date and legal hold held by the store); a case's retention class

Revision ID: 0008
Revises: 0007
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.add_column(sa.Column("storage_version", sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column("store_locked_until", recording_service.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("store_legal_hold", sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention_class", sa.String(length=32), server_default="case", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("retention_class")

    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_column("store_legal_hold")
        batch_op.drop_column("store_locked_until")
        batch_op.drop_column("storage_version")
