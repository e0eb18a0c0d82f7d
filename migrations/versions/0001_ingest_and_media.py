"""ingest and media

Revision ID: 0001
Revises:
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_agency"), ["agency"], unique=False)

    op.create_table(
        "media",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("storage_key", sa.String(length=512), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column("filename", sa.String(length=512), nullable=True),
        sa.Column("device_id", sa.String(length=128), nullable=True),
        sa.Column("officer_ids", sa.JSON(), nullable=False),
        sa.Column("officer_index", sa.String(length=1024), nullable=True),
        sa.Column("dock_id", sa.String(length=128), nullable=True),
        sa.Column("flag", sa.String(length=16), nullable=True),
        sa.Column("case_number", sa.String(length=128), nullable=True),
        sa.Column("recorded_started_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recorded_ended_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recorded_at_source", sa.String(length=16), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("container", sa.String(length=64), nullable=True),
        sa.Column("video", sa.JSON(), nullable=True),
        sa.Column("audio", sa.JSON(), nullable=True),
        sa.Column("probe_error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("upload_id", sa.String(length=32), nullable=True),
        sa.Column("uploaded_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["api_tokens.id"], name=op.f("fk_media_created_by_api_tokens")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
        sa.UniqueConstraint("agency", "sha256", name="uq_media_agency_sha256"),
    )
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.create_index("ix_media_agency_recorded", ["agency", "recorded_started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_device_id"), ["device_id"], unique=False)
        batch_op.create_index("ix_media_sha256", ["sha256"], unique=False)
        batch_op.create_index("ix_media_uploaded", ["uploaded_at", "id"], unique=False)

    op.create_table(
        "media_sightings",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("media_id", sa.String(length=32), nullable=False),
        sa.Column("upload_id", sa.String(length=32), nullable=True),
        sa.Column("token_id", sa.String(length=32), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("received_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name=op.f("fk_media_sightings_media_id_media")),
        sa.ForeignKeyConstraint(["token_id"], ["api_tokens.id"], name=op.f("fk_media_sightings_token_id_api_tokens")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_sightings")),
    )
    with op.batch_alter_table("media_sightings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_sightings_media_id"), ["media_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_sightings_token_id"), ["token_id"], unique=False)

    op.create_table(
        "uploads",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=True),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("raw_metadata", sa.Text(), nullable=True),
        sa.Column("declared_sha256", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("storage_key", sa.String(length=512), nullable=False),
        sa.Column("backend_ref", sa.String(length=1024), nullable=True),
        sa.Column("hash_state", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("media_id", sa.String(length=32), nullable=True),
        sa.Column("lease_owner", sa.String(length=32), nullable=True),
        sa.Column("lease_expires_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["api_tokens.id"], name=op.f("fk_uploads_created_by_api_tokens")),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name=op.f("fk_uploads_media_id_media")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uploads")),
    )
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_uploads_agency"), ["agency"], unique=False)
        batch_op.create_index(batch_op.f("ix_uploads_created_by"), ["created_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_uploads_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_uploads_status"), ["status"], unique=False)

    op.create_table(
        "upload_parts",
        sa.Column("upload_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("etag", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["upload_id"], ["uploads.id"], name=op.f("fk_upload_parts_upload_id_uploads"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("upload_id", "number", name=op.f("pk_upload_parts")),
    )


def downgrade() -> None:
    op.drop_table("upload_parts")
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_uploads_status"))
        batch_op.drop_index(batch_op.f("ix_uploads_expires_at"))
        batch_op.drop_index(batch_op.f("ix_uploads_created_by"))
        batch_op.drop_index(batch_op.f("ix_uploads_agency"))

    op.drop_table("uploads")
    with op.batch_alter_table("media_sightings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_sightings_token_id"))
        batch_op.drop_index(batch_op.f("ix_media_sightings_media_id"))

    op.drop_table("media_sightings")
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_index("ix_media_uploaded")
        batch_op.drop_index("ix_media_sha256")
        batch_op.drop_index(batch_op.f("ix_media_device_id"))
        batch_op.drop_index("ix_media_agency_recorded")

    op.drop_table("media")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_agency"))

    op.drop_table("api_tokens")
