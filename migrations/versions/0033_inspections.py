"""inspections: the 检查对象名录库 and its versions, 回避, 抽查计划, draws (双随机, rs-draw-v1), tasks, adjustments and results

Revision ID: 0033
Revises: 0032
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inspection_conflicts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("declared_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("declared_by", sa.String(length=200), nullable=False),
        sa.Column("withdrawn_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=200), nullable=True),
        sa.Column("withdrawn_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_conflicts")),
    )
    op.create_index("ix_inspection_conflicts_agency_officer", "inspection_conflicts", ["agency", "officer_id"], unique=False)

    op.create_table(
        "inspection_plans",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("matter_code", sa.String(length=64), nullable=False),
        sa.Column("matter_name", sa.String(length=300), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("ratio", sa.Float(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("inspectors_per_task", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column("committed_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_plans")),
        sa.UniqueConstraint("agency", "number", name="uq_inspection_plans_agency_number"),
    )
    op.create_index("ix_inspection_plans_agency_year", "inspection_plans", ["agency", "year"], unique=False)

    op.create_table(
        "inspection_subject_versions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("created_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_subject_versions")),
        sa.UniqueConstraint("agency", "version", name="uq_inspection_subject_versions_agency_version"),
    )
    op.create_table(
        "inspection_subjects",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=True),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("risk", sa.String(length=16), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_subjects")),
        sa.UniqueConstraint("agency", "uscc", name="uq_inspection_subjects_agency_uscc"),
    )
    op.create_index("ix_inspection_subjects_agency_category", "inspection_subjects", ["agency", "category"], unique=False)

    op.create_table(
        "inspection_draws",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("plan_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("algorithm", sa.String(length=32), nullable=False),
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column("committed_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("public_seed", sa.String(length=200), nullable=True),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("subjects_version", sa.Integer(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("pool_size", sa.Integer(), nullable=False),
        sa.Column("pool_sha256", sa.String(length=64), nullable=False),
        sa.Column("pool_snapshot", sa.Text(), nullable=False),
        sa.Column("wanted", sa.Integer(), nullable=False),
        sa.Column("inspectors_per_task", sa.Integer(), nullable=False),
        sa.Column("eligible", sa.JSON(), nullable=False),
        sa.Column("conflicts", sa.JSON(), nullable=False),
        sa.Column("drawn", sa.JSON(), nullable=False),
        sa.Column("drawn_on", sa.Date(), nullable=False),
        sa.Column("drawn_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("drawn_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["inspection_plans.id"], name=op.f("fk_inspection_draws_plan_id_inspection_plans")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_draws")),
        sa.UniqueConstraint("plan_id", "seq", name="uq_inspection_draws_plan_seq"),
    )
    op.create_index(op.f("ix_inspection_draws_agency"), "inspection_draws", ["agency"], unique=False)
    op.create_index(op.f("ix_inspection_draws_plan_id"), "inspection_draws", ["plan_id"], unique=False)

    op.create_table(
        "inspection_tasks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("plan_id", sa.String(length=32), nullable=False),
        sa.Column("draw_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=48), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("subject_name", sa.String(length=300), nullable=False),
        sa.Column("drawn_inspectors", sa.JSON(), nullable=False),
        sa.Column("inspectors", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=True),
        sa.Column("result", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("case_id", sa.String(length=32), nullable=True),
        sa.Column("penalty_case_id", sa.String(length=32), nullable=True),
        sa.Column("result_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("result_by", sa.String(length=200), nullable=True),
        sa.Column("publish_due_on", sa.Date(), nullable=True),
        sa.Column("published_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_inspection_tasks_case_id_cases")),
        sa.ForeignKeyConstraint(["draw_id"], ["inspection_draws.id"], name=op.f("fk_inspection_tasks_draw_id_inspection_draws")),
        sa.ForeignKeyConstraint(["penalty_case_id"], ["cases.id"], name=op.f("fk_inspection_tasks_penalty_case_id_cases")),
        sa.ForeignKeyConstraint(["plan_id"], ["inspection_plans.id"], name=op.f("fk_inspection_tasks_plan_id_inspection_plans")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_tasks")),
        sa.UniqueConstraint("draw_id", "seq", name="uq_inspection_tasks_draw_seq"),
    )
    op.create_index("ix_inspection_tasks_agency_published", "inspection_tasks", ["agency", "published_at"], unique=False)
    op.create_index(op.f("ix_inspection_tasks_draw_id"), "inspection_tasks", ["draw_id"], unique=False)
    op.create_index(op.f("ix_inspection_tasks_plan_id"), "inspection_tasks", ["plan_id"], unique=False)
    op.create_index("ix_inspection_tasks_published", "inspection_tasks", ["published_at", "id"], unique=False)

    op.create_table(
        "inspection_task_adjustments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("task_id", sa.String(length=32), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["inspection_tasks.id"], name=op.f("fk_inspection_task_adjustments_task_id_inspection_tasks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_task_adjustments")),
    )
    op.create_index(op.f("ix_inspection_task_adjustments_task_id"), "inspection_task_adjustments", ["task_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_inspection_task_adjustments_task_id"), table_name="inspection_task_adjustments")

    op.drop_table("inspection_task_adjustments")
    op.drop_index("ix_inspection_tasks_published", table_name="inspection_tasks")
    op.drop_index(op.f("ix_inspection_tasks_plan_id"), table_name="inspection_tasks")
    op.drop_index(op.f("ix_inspection_tasks_draw_id"), table_name="inspection_tasks")
    op.drop_index("ix_inspection_tasks_agency_published", table_name="inspection_tasks")

    op.drop_table("inspection_tasks")
    op.drop_index(op.f("ix_inspection_draws_plan_id"), table_name="inspection_draws")
    op.drop_index(op.f("ix_inspection_draws_agency"), table_name="inspection_draws")

    op.drop_table("inspection_draws")
    op.drop_index("ix_inspection_subjects_agency_category", table_name="inspection_subjects")

    op.drop_table("inspection_subjects")
    op.drop_table("inspection_subject_versions")
    op.drop_index("ix_inspection_plans_agency_year", table_name="inspection_plans")

    op.drop_table("inspection_plans")
    op.drop_index("ix_inspection_conflicts_agency_officer", table_name="inspection_conflicts")

    op.drop_table("inspection_conflicts")
