"""legal holds and tombstones

Revision ID: 0007
Revises: 0006
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=True),
        sa.Column("media_id", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.String(length=32), nullable=False),
        sa.Column("placed_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lifted_by", sa.String(length=32), nullable=True),
        sa.Column("lifted_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_legal_holds_case_id_cases")),
        sa.ForeignKeyConstraint(["lifted_by"], ["api_tokens.id"], name=op.f("fk_legal_holds_lifted_by_api_tokens")),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name=op.f("fk_legal_holds_media_id_media")),
        sa.ForeignKeyConstraint(["placed_by"], ["api_tokens.id"], name=op.f("fk_legal_holds_placed_by_api_tokens")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_legal_holds_agency"), ["agency"], unique=False)
        batch_op.create_index(batch_op.f("ix_legal_holds_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_legal_holds_media_id"), ["media_id"], unique=False)

    op.create_table(
        "tombstones",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("media_id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("storage_key", sa.String(length=512), nullable=False),
        sa.Column("uploaded_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_by", sa.String(length=64), nullable=False),
        sa.Column("policy", sa.String(length=64), nullable=False),
        sa.Column("policy_days", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name=op.f("fk_tombstones_media_id_media")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tombstones")),
        sa.UniqueConstraint("media_id", name=op.f("uq_tombstones_media_id")),
    )


def downgrade() -> None:
    op.drop_table("tombstones")
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legal_holds_media_id"))
        batch_op.drop_index(batch_op.f("ix_legal_holds_case_id"))
        batch_op.drop_index(batch_op.f("ix_legal_holds_agency"))

    op.drop_table("legal_holds")
