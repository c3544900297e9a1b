"""the file a draft was published from

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 04:00:00

- document.draft_source: the consultation's document that is the DOCX or ODT the published draft
  was imported from (portal.forum.draft_source), offered beside the whole draft; at most one per
  consultation, replaced by the next imported file and removed when the draft is published from
  a text that differs from it.
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('document') as batch_op:
        batch_op.add_column(sa.Column('draft_source', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('document') as batch_op:
        batch_op.drop_column('draft_source')
