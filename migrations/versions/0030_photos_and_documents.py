"""photos and scanned documents: what a media is (kind), a photo's facts, a PDF's facts, derived pictures

Revision ID: 0030
Revises: 0029
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

# Still pictures ffprobe named before photos were read as photos: their media were left probe_failed.
STILL_CONTAINERS = ("jpeg_pipe", "png_pipe", "webp_pipe", "gif", "image2", "tiff_pipe", "heif")


def upgrade() -> None:
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("image", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("document", sa.JSON(), nullable=True))

    op.create_table(
        "image_copies",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("media_id", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("original_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("storage_key", sa.String(length=512), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name=op.f("fk_image_copies_media_id_media")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_image_copies")),
        sa.UniqueConstraint("media_id", "purpose", name="uq_image_copies_media_purpose"),
    )
    with op.batch_alter_table("image_copies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_image_copies_media_id"), ["media_id"], unique=False)

    # The kind of media described before: a picture stream makes it video, sound alone audio. JSON columns hold
    # SQL NULL or JSON null for "none", depending on how the row was written.
    text = "CAST({} AS TEXT)" if op.get_bind().dialect.name == "postgresql" else "{}"
    present = "({col} IS NOT NULL AND {cast} <> 'null')"
    video = present.format(col="video", cast=text.format("video"))
    audio = present.format(col="audio", cast=text.format("audio"))
    op.execute(f"UPDATE media SET kind = 'video' WHERE {video}")
    op.execute(f"UPDATE media SET kind = 'audio' WHERE kind IS NULL AND {audio}")
    # Photos and PDFs the probe could not describe before are described again by the worker (its catch-up takes
    # media still `processing`); the new description is audited as media.described like any other.
    stills = ", ".join(f"'{c}'" for c in STILL_CONTAINERS)
    op.execute(
        "UPDATE media SET status = 'processing' WHERE status = 'probe_failed' AND "
        f"(container IN ({stills}) OR content_type IN ('image/jpeg', 'image/png', 'image/webp', 'image/heic', 'application/pdf') "
        "OR lower(filename) LIKE '%.jpg' OR lower(filename) LIKE '%.jpeg' OR lower(filename) LIKE '%.png' "
        "OR lower(filename) LIKE '%.heic' OR lower(filename) LIKE '%.pdf')"
    )


def downgrade() -> None:
    with op.batch_alter_table("image_copies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_image_copies_media_id"))
    op.drop_table("image_copies")
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_column("document")
        batch_op.drop_column("image")
        batch_op.drop_column("kind")
