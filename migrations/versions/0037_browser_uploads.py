"""browser uploads and document scans: uploads, media, sightings and bindings made by a person in the pages (their
creator names a token or a user, as legal holds' did since 0014); the scans of paper 执法文书 attached to documents

Revision ID: 0037
Revises: 0036
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

# (table, constraint, column): the creator columns that named an API token only.
CREATORS = [
    ("uploads", "fk_uploads_created_by_api_tokens", "created_by"),
    ("media", "fk_media_created_by_api_tokens", "created_by"),
    ("media_sightings", "fk_media_sightings_token_id_api_tokens", "token_id"),
    ("media_bindings", "fk_media_bindings_created_by_api_tokens", "created_by"),
]


def upgrade() -> None:
    for table, constraint, _column in CREATORS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(constraint), type_="foreignkey")
    op.create_table(
        "document_scans",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.String(length=32), nullable=False),
        sa.Column("binding_id", sa.String(length=32), nullable=False),
        sa.Column("attached_by", sa.String(length=32), nullable=False),
        sa.Column("attached_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["binding_id"], ["media_bindings.id"], name=op.f("fk_document_scans_binding_id_media_bindings")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_document_scans_case_id_cases")),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_document_scans_document_id_documents")),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name=op.f("fk_document_scans_media_id_media")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_scans")),
    )
    with op.batch_alter_table("document_scans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_scans_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_document_scans_document_id"), ["document_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_document_scans_media_id"), ["media_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("document_scans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_scans_media_id"))
        batch_op.drop_index(batch_op.f("ix_document_scans_document_id"))
        batch_op.drop_index(batch_op.f("ix_document_scans_case_id"))
    op.drop_table("document_scans")
    for table, constraint, column in reversed(CREATORS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(batch_op.f(constraint), "api_tokens", [column], ["id"])
