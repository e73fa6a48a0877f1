"""Q&A: questions from phones, upvotes, per-event settings and the highlighted question

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('qna_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'answered', 'hidden', name='qnastatus', native_enum=False, length=20), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('show_name', sa.Boolean(), nullable=False),
    sa.Column('author_name', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_qna_questions_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_qna_questions_participant_id_participants'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qna_questions'))
    )
    with op.batch_alter_table('qna_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qna_questions_event_id'), ['event_id'], unique=False)

    op.create_table('qna_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('needs_approval', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('open', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('highlighted_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_qna_settings_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['highlighted_id'], ['qna_questions.id'], name=op.f('fk_qna_settings_highlighted_id_qna_questions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qna_settings')),
    sa.UniqueConstraint('event_id', name=op.f('uq_qna_settings_event_id'))
    )
    op.create_table('qna_upvotes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_qna_upvotes_participant_id_participants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['qna_questions.id'], name=op.f('fk_qna_upvotes_question_id_qna_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qna_upvotes')),
    sa.UniqueConstraint('question_id', 'participant_id', name=op.f('uq_qna_upvotes_question_id_participant_id'))
    )
    with op.batch_alter_table('qna_upvotes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qna_upvotes_question_id'), ['question_id'], unique=False)


def downgrade():
    with op.batch_alter_table('qna_upvotes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qna_upvotes_question_id'))

    op.drop_table('qna_upvotes')
    op.drop_table('qna_settings')
    with op.batch_alter_table('qna_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qna_questions_event_id'))

    op.drop_table('qna_questions')
