"""registration e-mail key: "one person, one working group" compares normalised addresses

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 18:30:00

`Alice@x.pl`, `alice+ngo@x.pl` and `ａｌｉｃｅ@x.pl` reach one mailbox, so the one-active-
registration indexes move from `email` to `email_key` (see portal/registrations/models.py,
`email_key`). Existing rows get their key here; should two active rows of one consultation (or
meeting) already share a key, the later one keeps a key of its own (`key#id`): nobody loses a
seat, and the next sign-up with either address is refused.
"""
from alembic import op
import sqlalchemy as sa

from flask import current_app, has_app_context

from portal.registrations.models import EMAIL_KEY_LENGTH, email_key


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

ACTIVE = sa.text("status IN ('pending', 'confirmed', 'waiting')")
TABLES = (  # table, the column a person may be registered in once, index name before, after
    ('group_registration', 'consultation_id', 'uq_group_registration_active_email', 'uq_group_registration_active_email_key'),
    ('meeting_registration', 'meeting_id', 'uq_meeting_registration_active_email', 'uq_meeting_registration_active_email_key'),
)


def _ignore_plus_tags():
    return not has_app_context() or current_app.config.get('REGISTRATION_EMAIL_IGNORE_PLUS_TAGS', True)


def _fill_keys(table_name, scope):
    table = sa.table(table_name, sa.column('id', sa.Integer), sa.column(scope, sa.Integer),
                     sa.column('email', sa.String), sa.column('status', sa.String),
                     sa.column('email_key', sa.String))
    bind = op.get_bind()
    ignore_plus_tags = _ignore_plus_tags()
    taken = set()
    rows = bind.execute(sa.select(table.c.id, table.c[scope], table.c.email, table.c.status).order_by(table.c.id))
    for row_id, scope_id, email, status in rows.all():
        key = email_key(email, ignore_plus_tags)
        if status in ('pending', 'confirmed', 'waiting'):
            if (scope_id, key) in taken:
                suffix = f'#{row_id}'
                key = key[:EMAIL_KEY_LENGTH - len(suffix)] + suffix
            taken.add((scope_id, key))
        bind.execute(table.update().where(table.c.id == row_id).values(email_key=key))


def upgrade():
    for table_name, scope, old_index, new_index in TABLES:
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('email_key', sa.String(length=EMAIL_KEY_LENGTH), nullable=True))
        _fill_keys(table_name, scope)
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.drop_index(old_index)
            batch_op.alter_column('email_key', existing_type=sa.String(length=EMAIL_KEY_LENGTH), nullable=False)
            batch_op.create_index(new_index, [scope, 'email_key'], unique=True,
                                  postgresql_where=ACTIVE, sqlite_where=ACTIVE)


def downgrade():
    for table_name, scope, old_index, new_index in TABLES:
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.drop_index(new_index, postgresql_where=ACTIVE, sqlite_where=ACTIVE)
            batch_op.drop_column('email_key')
            batch_op.create_index(old_index, [scope, 'email'], unique=True,
                                  postgresql_where=ACTIVE, sqlite_where=ACTIVE)
