"""proposed edits: an author's edit of a published comment waits for a moderator

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 18:00:00

Under pre-moderation the published text stays public until a moderator approves the new one.
"""
from alembic import op
import sqlalchemy as sa

import portal.types


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proposed_body', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('proposed_body_html', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('proposed_at', portal.types.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_column('proposed_at')
        batch_op.drop_column('proposed_body_html')
        batch_op.drop_column('proposed_body')
