"""report integrity: report numbers given once, corrections kept, comments received outside the portal

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 18:40:00

- post.report_number: a comment's number in the report, given once and never changed;
- post.moderator_edited_at: when a moderator last changed the text (shown on the comment);
- post.channel / submitter_name / received_on: a comment staff entered from an e-mail, a letter
  or a meeting ("portal" for everything written on the site);
- report.first_published_at / updated_at and report_version: a published report is corrected
  visibly, each publication kept.
"""
from alembic import op
import sqlalchemy as sa

import portal.types


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_number', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('moderator_edited_at', portal.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('channel', sa.String(length=20), nullable=False, server_default='portal'))
        batch_op.add_column(sa.Column('submitter_name', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('received_on', sa.Date(), nullable=True))
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_published_at', portal.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('updated_at', portal.types.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        'report_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('consultation_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('published_at', portal.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('published_by_id', sa.Integer(), nullable=True),
        sa.Column('snapshot', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['published_by_id'], ['user_account.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('consultation_id', 'number'),
    )
    # Reports published before: their publication is the first one.
    op.execute("UPDATE report SET first_published_at = published_at WHERE published_at IS NOT NULL")


def downgrade():
    op.drop_table('report_version')
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
        batch_op.drop_column('first_published_at')
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_column('received_on')
        batch_op.drop_column('submitter_name')
        batch_op.drop_column('channel')
        batch_op.drop_column('moderator_edited_at')
        batch_op.drop_column('report_number')
