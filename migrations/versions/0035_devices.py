"""devices (设备管理): the device register, its change events and 领用/归还; media's unit code and where its officers
came from (declared by the upload, or inferred from the register of checkouts)

Revision ID: 0035
Revises: 0034
"""

from alembic import op
import sqlalchemy as sa
import recording_service.core.db


revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("unit", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("current_checkout_id", sa.String(length=32), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("agency", "serial", name="uq_devices_agency_serial"),
    )
    op.create_index("ix_devices_agency_kind_status", "devices", ["agency", "kind", "status"], unique=False)
    op.create_table(
        "device_events",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("device_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name=op.f("fk_device_events_device_id_devices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_events")),
        sa.UniqueConstraint("device_id", "version", name="uq_device_events_device_version"),
    )
    op.create_index(op.f("ix_device_events_device_id"), "device_events", ["device_id"], unique=False)
    op.create_table(
        "device_checkouts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("device_id", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("checked_out_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("checked_out_by", sa.String(length=200), nullable=False),
        sa.Column("returned_at", recording_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("returned_by", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("files_on_device", sa.Integer(), nullable=True),
        sa.Column("footage_pending", sa.Boolean(), nullable=False),
        sa.Column("pending_reason", sa.String(length=32), nullable=True),
        sa.Column("footage_at_return", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name=op.f("fk_device_checkouts_device_id_devices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_checkouts")),
    )
    op.create_index(op.f("ix_device_checkouts_device_id"), "device_checkouts", ["device_id"], unique=False)
    op.create_index("ix_device_checkouts_agency_serial_out", "device_checkouts", ["agency", "serial", "checked_out_at"], unique=False)
    op.create_index("ix_device_checkouts_agency_officer", "device_checkouts", ["agency", "officer_id"], unique=False)
    with op.batch_alter_table("media") as batch:
        batch.add_column(sa.Column("unit_code", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("officer_source", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("media") as batch:
        batch.drop_column("officer_source")
        batch.drop_column("unit_code")
    op.drop_index("ix_device_checkouts_agency_officer", table_name="device_checkouts")
    op.drop_index("ix_device_checkouts_agency_serial_out", table_name="device_checkouts")
    op.drop_index(op.f("ix_device_checkouts_device_id"), table_name="device_checkouts")
    op.drop_table("device_checkouts")
    op.drop_index(op.f("ix_device_events_device_id"), table_name="device_events")
    op.drop_table("device_events")
    op.drop_index("ix_devices_agency_kind_status", table_name="devices")
    op.drop_table("devices")
