"""shares (issue 27): a case, or chosen footage of it, shared outside the agency by a link; its files and the recipient's uses

Revision ID: 0036
Revises: 0035
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shares",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("access_code_hmac", sa.String(length=64), nullable=True),
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("recipient_kind", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("permission", sa.String(length=16), nullable=False),
        sa.Column("whole_case", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("expires_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.String(length=32), nullable=False),
        sa.Column("revoked_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_shares_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shares")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_shares_token_sha256")),
    )
    op.create_index("ix_shares_case_created", "shares", ["case_id", "created_at"], unique=False)
    op.create_table(
        "shared_files",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("share_id", sa.String(length=32), nullable=False),
        sa.Column("media_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(length=512), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("stage", sa.String(length=200), nullable=True),
        sa.Column("recorded_started_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["share_id"], ["shares.id"], name=op.f("fk_shared_files_share_id_shares")),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name=op.f("fk_shared_files_media_id_media")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_files")),
        sa.UniqueConstraint("share_id", "media_id", name="uq_shared_files_share_media"),
    )
    op.create_index(op.f("ix_shared_files_share_id"), "shared_files", ["share_id"], unique=False)
    op.create_table(
        "share_accesses",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("share_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("media_id", sa.String(length=32), nullable=True),
        sa.Column("byte_range", sa.String(length=200), nullable=True),
        sa.Column("client_address", sa.String(length=100), nullable=True),
        sa.Column("at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["share_id"], ["shares.id"], name=op.f("fk_share_accesses_share_id_shares")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_accesses")),
    )
    op.create_index("ix_share_accesses_share_kind", "share_accesses", ["share_id", "kind"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_share_accesses_share_kind", table_name="share_accesses")
    op.drop_table("share_accesses")
    op.drop_index(op.f("ix_shared_files_share_id"), table_name="shared_files")
    op.drop_table("shared_files")
    op.drop_index("ix_shares_case_created", table_name="shares")
    op.drop_table("shares")
