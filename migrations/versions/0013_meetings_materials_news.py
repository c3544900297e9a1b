"""meetings as the seed describes them: applicant data and accessibility needs on both forms, a
recording basis per privacy-notice version, group meeting links, materials after meetings,
attendance, and news subscriptions

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 21:00:00

- group_registration / meeting_registration: the organisation's address and contact and the prior
  activity move to both (meeting applicants give the seed's data too); the recording basis shown
  at sign-up; accessibility needs with the moment of explicit consent; attendance; link_sent_at on
  both (group members get their meeting's link too); end_reason on meeting registrations.
- meeting.required_fields: which optional fields a meeting requires (existing meetings: none, as
  before; new ones: what the seed asks).
- working_group.join_url / meeting_ends_at; recording link, minutes document and summary on
  working groups and meetings.
- legal_document.recording_basis / recording_refusal: the privacy notice's choice (consent by
  default, as the built-in notice says).
- news_subscription; outbox_message.list_unsubscribe (RFC 8058 header of news); consultation.news_sent_at and phase.news_sent_at. What is already published
  or already started is marked as announced, so the first sweep after the upgrade sends no old news.
"""
from alembic import op
import sqlalchemy as sa

import portal.types


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

UTC = portal.types.UTCDateTime(timezone=True)


def _materials(batch_op, table):
    batch_op.add_column(sa.Column('recording_url', sa.String(length=1000), nullable=False, server_default=''))
    batch_op.add_column(sa.Column('minutes_document_id', sa.Integer(), nullable=True))
    batch_op.add_column(sa.Column('summary', sa.Text(), nullable=False, server_default=''))
    batch_op.add_column(sa.Column('summary_html', sa.Text(), nullable=False, server_default=''))
    batch_op.add_column(sa.Column('materials_updated_at', UTC, nullable=True))
    batch_op.create_foreign_key(batch_op.f(f'fk_{table}_minutes_document_id_document'), 'document',
                                ['minutes_document_id'], ['id'], ondelete='SET NULL')


def _applicant(batch_op, with_organisation: bool):
    if with_organisation:
        batch_op.add_column(sa.Column('organisation_address', sa.String(length=500), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('organisation_contact', sa.String(length=300), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('prior_activity', sa.Text(), nullable=False, server_default=''))
    batch_op.add_column(sa.Column('recording_basis', sa.String(length=20), nullable=False, server_default=''))
    batch_op.add_column(sa.Column('accessibility_needs', sa.String(length=100), nullable=False,
                                  server_default=''))
    batch_op.add_column(sa.Column('accessibility_details', sa.String(length=1000), nullable=False,
                                  server_default=''))
    batch_op.add_column(sa.Column('accessibility_consent_at', UTC, nullable=True))
    batch_op.add_column(sa.Column('attended', sa.Boolean(), nullable=True))
    batch_op.add_column(sa.Column('attendance_marked_at', UTC, nullable=True))


def upgrade():
    with op.batch_alter_table('group_registration', schema=None) as batch_op:
        _applicant(batch_op, with_organisation=False)
        batch_op.add_column(sa.Column('link_sent_at', UTC, nullable=True))
    with op.batch_alter_table('meeting_registration', schema=None) as batch_op:
        _applicant(batch_op, with_organisation=True)
        batch_op.add_column(sa.Column('end_reason', sa.String(length=1000), nullable=False, server_default=''))
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('required_fields', sa.String(length=200), nullable=False,
                                      server_default=''))
        _materials(batch_op, 'meeting')
    with op.batch_alter_table('working_group', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meeting_ends_at', UTC, nullable=True))
        batch_op.add_column(sa.Column('join_url', sa.String(length=1000), nullable=False, server_default=''))
        _materials(batch_op, 'working_group')
    with op.batch_alter_table('legal_document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recording_basis', sa.String(length=20), nullable=False,
                                      server_default='consent'))
        batch_op.add_column(sa.Column('recording_refusal', sa.String(length=20), nullable=False,
                                      server_default='camera_off'))
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('news_sent_at', UTC, nullable=True))
    with op.batch_alter_table('phase', schema=None) as batch_op:
        batch_op.add_column(sa.Column('news_sent_at', UTC, nullable=True))
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('list_unsubscribe', sa.String(length=1000), nullable=False,
                                      server_default=''))
    op.create_table(
        'news_subscription',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('email_key', sa.String(length=254), nullable=False),
        sa.Column('status', sa.Enum('pending', 'confirmed', 'unsubscribed', name='newsstatus',
                                    native_enum=False, length=20), nullable=False),
        sa.Column('locale', sa.String(length=10), nullable=False),
        sa.Column('privacy_notice_version', sa.String(length=20), nullable=False),
        sa.Column('privacy_notice_accepted_at', UTC, nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('confirmation_sent_at', UTC, nullable=True),
        sa.Column('confirmed_at', UTC, nullable=True),
        sa.Column('unsubscribed_at', UTC, nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('news_subscription', schema=None) as batch_op:
        batch_op.create_index('uq_news_subscription_email_key', ['email_key'], unique=True)
        batch_op.create_index('ix_news_subscription_status', ['status'], unique=False)

    # Nothing old is news: what is published or has started by now counts as announced.
    op.execute("UPDATE consultation SET news_sent_at = CURRENT_TIMESTAMP WHERE status = 'published'")
    op.execute("UPDATE phase SET news_sent_at = CURRENT_TIMESTAMP WHERE starts_at <= CURRENT_TIMESTAMP")


def downgrade():
    op.drop_table('news_subscription')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('list_unsubscribe')
    with op.batch_alter_table('phase', schema=None) as batch_op:
        batch_op.drop_column('news_sent_at')
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_column('news_sent_at')
    with op.batch_alter_table('legal_document', schema=None) as batch_op:
        batch_op.drop_column('recording_refusal')
        batch_op.drop_column('recording_basis')
    for table in ('working_group', 'meeting'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'fk_{table}_minutes_document_id_document', type_='foreignkey')
            for column in ('materials_updated_at', 'summary_html', 'summary', 'minutes_document_id',
                           'recording_url'):
                batch_op.drop_column(column)
    with op.batch_alter_table('working_group', schema=None) as batch_op:
        batch_op.drop_column('join_url')
        batch_op.drop_column('meeting_ends_at')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_column('required_fields')
    with op.batch_alter_table('meeting_registration', schema=None) as batch_op:
        for column in ('end_reason', 'attendance_marked_at', 'attended', 'accessibility_consent_at',
                       'accessibility_details', 'accessibility_needs', 'recording_basis', 'prior_activity',
                       'organisation_contact', 'organisation_address'):
            batch_op.drop_column(column)
    with op.batch_alter_table('group_registration', schema=None) as batch_op:
        for column in ('link_sent_at', 'attendance_marked_at', 'attended', 'accessibility_consent_at',
                       'accessibility_details', 'accessibility_needs', 'recording_basis'):
            batch_op.drop_column(column)
