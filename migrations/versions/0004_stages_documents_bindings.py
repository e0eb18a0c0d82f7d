"""stages documents bindings

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_stages",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=False),
        sa.Column("stage_order", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("officers", sa.JSON(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_stages_case_id_cases")),
        sa.ForeignKeyConstraint(["closed_by"], ["api_tokens.id"], name=op.f("fk_case_stages_closed_by_api_tokens")),
        sa.ForeignKeyConstraint(["created_by"], ["api_tokens.id"], name=op.f("fk_case_stages_created_by_api_tokens")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_stages")),
        sa.UniqueConstraint("case_id", "stage", name="uq_case_stages_case_stage"),
    )
    with op.batch_alter_table("case_stages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_stages_case_id"), ["case_id"], unique=False)

    op.create_table(
        "documents",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("stage_id", sa.String(length=32), nullable=False),
        sa.Column("doc_type", sa.String(length=64), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_documents_case_id_cases")),
        sa.ForeignKeyConstraint(["created_by"], ["api_tokens.id"], name=op.f("fk_documents_created_by_api_tokens")),
        sa.ForeignKeyConstraint(["stage_id"], ["case_stages.id"], name=op.f("fk_documents_stage_id_case_stages")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_stage_id"), ["stage_id"], unique=False)

    op.create_table(
        "media_bindings",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("stage_id", sa.String(length=32), nullable=False),
        sa.Column("media_id", sa.String(length=32), nullable=False),
        sa.Column("start_offset_s", sa.Float(), nullable=True),
        sa.Column("end_offset_s", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("unbound_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("unbound_by", sa.String(length=32), nullable=True),
        sa.Column("unbind_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_media_bindings_case_id_cases")),
        sa.ForeignKeyConstraint(["created_by"], ["api_tokens.id"], name=op.f("fk_media_bindings_created_by_api_tokens")),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name=op.f("fk_media_bindings_media_id_media")),
        sa.ForeignKeyConstraint(["stage_id"], ["case_stages.id"], name=op.f("fk_media_bindings_stage_id_case_stages")),
        sa.ForeignKeyConstraint(["unbound_by"], ["api_tokens.id"], name=op.f("fk_media_bindings_unbound_by_api_tokens")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_bindings")),
    )
    with op.batch_alter_table("media_bindings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_bindings_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_bindings_media_id"), ["media_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_bindings_stage_id"), ["stage_id"], unique=False)

    op.create_table(
        "document_versions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc_number", sa.String(length=128), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("issued_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("signed_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("served_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("signers", sa.JSON(), nullable=False),
        sa.Column("attachment_media_id", sa.String(length=32), nullable=True),
        sa.Column("change_note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["attachment_media_id"], ["media.id"], name=op.f("fk_document_versions_attachment_media_id_media")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_document_versions_case_id_cases")),
        sa.ForeignKeyConstraint(["created_by"], ["api_tokens.id"], name=op.f("fk_document_versions_created_by_api_tokens")),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_document_versions_document_id_documents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_versions")),
        sa.UniqueConstraint("document_id", "version", name="uq_document_versions_document_version"),
    )
    with op.batch_alter_table("document_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_versions_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_document_versions_document_id"), ["document_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("document_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_versions_document_id"))
        batch_op.drop_index(batch_op.f("ix_document_versions_case_id"))

    op.drop_table("document_versions")
    with op.batch_alter_table("media_bindings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_bindings_stage_id"))
        batch_op.drop_index(batch_op.f("ix_media_bindings_media_id"))
        batch_op.drop_index(batch_op.f("ix_media_bindings_case_id"))

    op.drop_table("media_bindings")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_stage_id"))
        batch_op.drop_index(batch_op.f("ix_documents_case_id"))

    op.drop_table("documents")
    with op.batch_alter_table("case_stages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_stages_case_id"))

    op.drop_table("case_stages")
