"""outbox back-off: a failed message waits until its next attempt time instead of being given up

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 17:00:00

Before, a message was given up after 20 failed attempts; those still unsent are waiting again.
"""
from alembic import op
import sqlalchemy as sa

import portal.types


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', portal.types.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('next_attempt_at')
