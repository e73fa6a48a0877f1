"""poll timer: a duration, and when an open poll closes itself

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 08:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("duration_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.drop_column("closes_at")
        batch_op.drop_column("duration_seconds")
