"""legal pages: versioned privacy notice, accessibility statement, ETR and PJM pages; consent on accounts

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 19:10:00

- legal_document: every publication of a legal page is a new numbered row (kind, version),
  Markdown source and its sanitised HTML; for PJM a video and captions address; for the
  accessibility statement the dates the official template asks for. Nothing is seeded here:
  the first visit to the back office's page stores the built-in text as version 1.
- user_account.privacy_notice_version / privacy_notice_accepted_at: which privacy notice was
  accepted at sign-up and when (empty for accounts made before).
"""
from alembic import op
import sqlalchemy as sa

import portal.types


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'legal_document',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum('privacy', 'accessibility', 'easy_read', 'sign_language',
                                  name='legalkind', native_enum=False, length=20), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=False),
        sa.Column('published_at', portal.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('video_url', sa.String(length=500), nullable=False),
        sa.Column('captions_url', sa.String(length=500), nullable=False),
        sa.Column('site_published_on', sa.Date(), nullable=True),
        sa.Column('site_updated_on', sa.Date(), nullable=True),
        sa.Column('statement_prepared_on', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'version'),
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('privacy_notice_version', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('privacy_notice_accepted_at', portal.types.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('privacy_notice_accepted_at')
        batch_op.drop_column('privacy_notice_version')
    op.drop_table('legal_document')
