"""secret ballots, published receipts, vote weights

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 07:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("secret", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("weighted", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("receipts_published", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.alter_column("participant_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("created_at", existing_type=sa.DateTime(timezone=True), nullable=True)
        batch_op.alter_column("updated_at", existing_type=sa.DateTime(timezone=True), nullable=True)
        batch_op.add_column(sa.Column("receipt", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("weight", sa.Float(), server_default="1", nullable=False))
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.alter_column("participant_id", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("vote_weight", sa.Float(), server_default="1", nullable=False)
        )
    op.create_table(
        "poll_voters",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["poll_id"], ["polls.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("poll_id", "participant_id"),
        sqlite_with_rowid=False,
    )


def downgrade():
    op.drop_table("poll_voters")
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_column("vote_weight")
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.alter_column("participant_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.drop_column("weight")
        batch_op.drop_column("receipt")
        batch_op.alter_column(
            "updated_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.alter_column(
            "created_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.alter_column("participant_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.drop_column("receipts_published")
        batch_op.drop_column("weighted")
        batch_op.drop_column("secret")
