"""indexes for large tables: the moderation log's filters, full-text search of comments

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 17:55:17.747096

The search index exists on PostgreSQL only and is built for the text search configuration the
forum's search uses there ('polish' where the server has it, else 'simple' — see
portal/forum/feeds.py), so it is not declared on the model (tests/test_config_and_cli.py knows).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

SEARCH_INDEX = "ix_post_body_search"


def upgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_action_at', ['action', 'at'], unique=False)
        batch_op.create_index('ix_audit_log_actor_at', ['actor_id', 'at'], unique=False)

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        has_polish = bind.scalar(sa.text("SELECT 1 FROM pg_ts_config WHERE cfgname = 'polish'"))
        config = "polish" if has_polish else "simple"
        op.execute(f"CREATE INDEX {SEARCH_INDEX} ON post USING gin (to_tsvector('{config}'::regconfig, body))")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {SEARCH_INDEX}")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_actor_at')
        batch_op.drop_index('ix_audit_log_action_at')
