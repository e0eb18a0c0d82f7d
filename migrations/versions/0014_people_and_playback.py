"""people, sessions, playback copies and grants

Revision ID: 0014
Revises: 0013
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_sign_in_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_agency"), ["agency"], unique=False)

    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_web_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_web_sessions_secret_hash")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "playback_copies",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("media_id", sa.String(length=32), nullable=False),
        sa.Column("original_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("storage_key", sa.String(length=512), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name=op.f("fk_playback_copies_media_id_media")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playback_copies")),
        sa.UniqueConstraint("media_id", name=op.f("uq_playback_copies_media_id")),
    )
    op.create_table(
        "playback_grants",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("media_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("granted_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name=op.f("fk_playback_grants_media_id_media")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playback_grants")),
    )
    with op.batch_alter_table("playback_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_playback_grants_media_id"), ["media_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_playback_grants_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_user_id", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_events_actor_user_id"), ["actor_user_id"], unique=False)

    # Holds are placed and lifted by people too: placed_by/lifted_by name a token or a user.
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_legal_holds_placed_by_api_tokens"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_legal_holds_lifted_by_api_tokens"), type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f("fk_legal_holds_lifted_by_api_tokens"), "api_tokens", ["lifted_by"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_legal_holds_placed_by_api_tokens"), "api_tokens", ["placed_by"], ["id"])

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_actor_user_id"))
        batch_op.drop_column("actor_user_id")

    with op.batch_alter_table("playback_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_playback_grants_user_id"))
        batch_op.drop_index(batch_op.f("ix_playback_grants_media_id"))

    op.drop_table("playback_grants")
    op.drop_table("playback_copies")
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_user_id"))

    op.drop_table("web_sessions")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_agency"))

    op.drop_table("users")
