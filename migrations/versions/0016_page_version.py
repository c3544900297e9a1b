"""page version: one number that goes up with every committed change shared pages may show

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 04:00:00

- page_version: a single row (id 1); portal.page_versions adds one to `version` in every
  transaction that writes comments, threads, the draft, answers, accounts and the like, and
  pages shared by signed-in participants are kept under it (portal.page_cache).
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'page_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_page_version')),
    )
    op.bulk_insert(table, [{'id': 1, 'version': 0}])


def downgrade():
    op.drop_table('page_version')
