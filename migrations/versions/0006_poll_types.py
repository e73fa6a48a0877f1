"""poll types: yes/no, quiz, rating, points, ranking, open text

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 07:15:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("blocked_words", sa.Text(), server_default="", nullable=False)
        )
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("budget", sa.Integer(), server_default="100", nullable=False))
        batch_op.add_column(
            sa.Column("scale_low_label", sa.String(length=60), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("scale_high_label", sa.String(length=60), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "majority",
                sa.Enum(
                    "none", "simple", "two_thirds", name="majority", native_enum=False, length=20
                ),
                server_default="none",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("moderate_answers", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("options", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("correct", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column(
                "answer_status",
                sa.Enum(
                    "pending", "shown", "hidden", name="answerstatus", native_enum=False, length=10
                ),
                nullable=True,
            )
        )
    with op.batch_alter_table("ballot_choices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("value", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("ballot_choices", schema=None) as batch_op:
        batch_op.drop_column("value")
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.drop_column("answer_status")
        batch_op.drop_column("text")
    with op.batch_alter_table("options", schema=None) as batch_op:
        batch_op.drop_column("correct")
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.drop_column("moderate_answers")
        batch_op.drop_column("majority")
        batch_op.drop_column("scale_high_label")
        batch_op.drop_column("scale_low_label")
        batch_op.drop_column("budget")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("blocked_words")
