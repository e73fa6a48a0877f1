"""poll option: show turnout by country on the display

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 06:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("show_countries", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.drop_column("show_countries")
