"""publications: corrections after publication (变更说明) and 履行情况

Revision ID: 0024
Revises: 0023
"""

from alembic import op
import sqlalchemy as sa


revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("publications") as batch:
        batch.add_column(sa.Column("corrections", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("performance", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("publications") as batch:
        batch.drop_column("performance")
        batch.drop_column("corrections")
