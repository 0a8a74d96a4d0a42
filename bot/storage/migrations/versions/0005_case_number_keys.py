"""Case numbers compared without case, blanks and dashes: cases.number_key, indexed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""
import re

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# A frozen copy of bot.storage.models.case_number_key as it was when this revision was written.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―－−_]+")


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number_key', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_cases_number_key'), ['number_key'], unique=False)
    cases = sa.table('cases', sa.column('case_no', sa.String), sa.column('number_key', sa.String))
    connection = op.get_bind()
    numbers = [row[0] for row in connection.execute(sa.select(cases.c.case_no))]
    if numbers:
        connection.execute(cases.update().where(cases.c.case_no == sa.bindparam('old'))
                           .values(number_key=sa.bindparam('key')),
                           [{'old': n, 'key': _SEPARATORS.sub('', n).upper()[:40]} for n in numbers])


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_number_key'))
        batch_op.drop_column('number_key')
