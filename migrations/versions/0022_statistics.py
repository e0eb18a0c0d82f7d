"""stored figures for the statistics; fixity checks indexed by time

Revision ID: 0022
Revises: 0021
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stats_case_figures",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("procedure", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("review_score", sa.Float(), nullable=True),
        sa.Column("review_max", sa.Float(), nullable=True),
        sa.Column("severest_penalty", sa.String(length=40), nullable=True),
        sa.Column("fine_yuan", sa.Float(), nullable=False),
        sa.Column("confiscated_yuan", sa.Float(), nullable=False),
        sa.Column("license_outcome", sa.String(length=16), nullable=True),
        sa.Column("license_action", sa.String(length=16), nullable=True),
        sa.Column("sealing", sa.Boolean(), nullable=False),
        sa.Column("seizure", sa.Boolean(), nullable=False),
        sa.Column("problems_found", sa.Boolean(), nullable=False),
        sa.Column("hearing_held", sa.Boolean(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("source_seq", sa.BigInteger(), nullable=False),
        sa.Column("computed_at", recording_service.core.db.UTCDateTime(), nullable=False),
        sa.Column("computed_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_stats_case_figures_opened", "stats_case_figures", ["agency", "opened_on"])
    op.create_index("ix_stats_case_figures_decided", "stats_case_figures", ["agency", "decided_on"])
    op.create_index("ix_stats_case_figures_open", "stats_case_figures", ["status", "computed_on"])
    op.create_table(
        "stats_case_findings",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id", "kind", "code"),
    )
    op.create_index("ix_stats_case_findings_opened", "stats_case_findings", ["agency", "opened_on"])
    op.create_table(
        "stats_footage_days",
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("clips", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("lag_1h", sa.Integer(), nullable=False),
        sa.Column("lag_6h", sa.Integer(), nullable=False),
        sa.Column("lag_24h", sa.Integer(), nullable=False),
        sa.Column("lag_72h", sa.Integer(), nullable=False),
        sa.Column("lag_more", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("agency", "day", "dimension", "key"),
    )
    op.create_table(
        "stats_footage_media",
        sa.Column("media_id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"]),
        sa.PrimaryKeyConstraint("media_id"),
    )
    op.create_table(
        "stats_fixity_days",
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("agency", "day", "result"),
    )
    op.create_table(
        "stats_watermark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("fixity_checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fixity_checks_checked_at"), ["checked_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fixity_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fixity_checks_checked_at"))
    for table in (
        "stats_watermark",
        "stats_fixity_days",
        "stats_footage_media",
        "stats_footage_days",
        "stats_case_findings",
        "stats_case_figures",
    ):
        op.drop_table(table)
