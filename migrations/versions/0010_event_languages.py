"""languages: an event's main and projector languages; translations of polls and texts

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 11:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TRANSLATED = ("events", "event_days", "polls", "themes", "agenda_items", "slots", "breakouts")


def upgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("main_language", sa.String(length=8), server_default="en", nullable=False)
        )
        batch_op.add_column(
            sa.Column("display_language", sa.String(length=8), server_default="", nullable=False)
        )
    for table in TRANSLATED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("translations", sa.JSON(), server_default="{}", nullable=False)
            )


def downgrade():
    for table in TRANSLATED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("translations")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("display_language")
        batch_op.drop_column("main_language")
