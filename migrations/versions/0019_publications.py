"""publications and document text

Revision ID: 0019
Revises: 0018
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("document_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text", sa.Text(), nullable=True))
    op.create_table(
        "publications",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("private_fields", sa.JSON(), nullable=False),
        sa.Column("public_text", sa.Text(), nullable=True),
        sa.Column("redaction", sa.JSON(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("period_months", sa.Integer(), nullable=True),
        sa.Column("period_ends_on", sa.Date(), nullable=True),
        sa.Column("not_publishable_reason", sa.Text(), nullable=True),
        sa.Column("notice", sa.JSON(), nullable=True),
        sa.Column("approved_by", sa.String(length=32), nullable=True),
        sa.Column("approved_at", recording_service.core.db.UTCDateTime(), nullable=True),
        sa.Column("published_at", recording_service.core.db.UTCDateTime(), nullable=True),
        sa.Column("annotations", sa.JSON(), nullable=False),
        sa.Column("withdrawn_at", recording_service.core.db.UTCDateTime(), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("withdraw_due_on", sa.Date(), nullable=True),
        sa.Column("expired_at", recording_service.core.db.UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", recording_service.core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", recording_service.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.create_index("ix_publications_agency_status_due", ["agency", "status", "due_on"], unique=False)
        batch_op.create_index("ix_publications_status_published", ["status", "published_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_publications_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_publications_document_id"), ["document_id"], unique=False)
    op.create_table(
        "publication_versions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("publication_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("public_text", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.String(length=32), nullable=False),
        sa.Column("changed_at", recording_service.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["publications.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("publication_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_publication_versions_publication_id"), ["publication_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("publication_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publication_versions_publication_id"))
    op.drop_table("publication_versions")
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publications_document_id"))
        batch_op.drop_index(batch_op.f("ix_publications_case_id"))
        batch_op.drop_index("ix_publications_status_published")
        batch_op.drop_index("ix_publications_agency_status_due")
    op.drop_table("publications")
    with op.batch_alter_table("document_versions", schema=None) as batch_op:
        batch_op.drop_column("text")
