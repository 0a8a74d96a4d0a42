"""Go-live hardening: ticket counters, the tracker store, staff login attempts, the health write check;
case lock counting per case and client, unanswered questions by department, encrypted ticket phones.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ticket_counters',
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('prefix')
    )
    op.create_table('conversations',
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('sender', sa.String(length=128), nullable=False),
    sa.Column('slots', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('channel', 'sender')
    )
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversations_updated_at'), ['updated_at'], unique=False)

    op.create_table('login_attempts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('success', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_attempts_username'), ['username'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempts_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempts_created_at'), ['created_at'], unique=False)

    op.create_table('health_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('verification_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('cleared', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_verification_attempts_client'), ['client'], unique=False)
        batch_op.create_index(batch_op.f('ix_verification_attempts_case_no'), ['case_no'], unique=False)
    with op.batch_alter_table('unanswered_questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department', sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f('ix_unanswered_questions_department'), ['department'], unique=False)
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.alter_column('phone', existing_type=sa.String(length=20), type_=sa.Text(), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.alter_column('phone', existing_type=sa.Text(), type_=sa.String(length=20), existing_nullable=False)
    with op.batch_alter_table('unanswered_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unanswered_questions_department'))
        batch_op.drop_column('department')
    with op.batch_alter_table('verification_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verification_attempts_case_no'))
        batch_op.drop_index(batch_op.f('ix_verification_attempts_client'))
        batch_op.drop_column('cleared')
        batch_op.drop_column('client')
    op.drop_table('health_checks')
    op.drop_table('login_attempts')
    op.drop_table('conversations')
    op.drop_table('ticket_counters')
