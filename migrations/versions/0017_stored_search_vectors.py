"""PostgreSQL: the search's tsvector stored beside the words, not computed per row at query time

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 04:10:00

- post.search_vector / draft_paragraph.search_vector (PostgreSQL only): a column generated from
  search_text (to_tsvector('simple', …), STORED), indexed by GIN in place of 0014's expression
  indexes. A word found in half of 10,000 comments made the planner scan the table and
  compute to_tsvector for every row; now it reads the stored vectors. SQLite has no tsvector and
  keeps searching the words (portal.forum.feeds._matching).
"""
from alembic import op


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

_TABLES = (("post", "ix_post_search"), ("draft_paragraph", "ix_draft_paragraph_search"))


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, index in _TABLES:
        op.execute(f"DROP INDEX IF EXISTS {index}")
        op.execute(f"ALTER TABLE {table} ADD COLUMN search_vector tsvector "
                   "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED")
        op.execute(f"CREATE INDEX {index} ON {table} USING gin (search_vector)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, index in _TABLES:
        op.execute(f"DROP INDEX IF EXISTS {index}")
        op.execute(f"ALTER TABLE {table} DROP COLUMN search_vector")
        op.execute(f"CREATE INDEX {index} ON {table} USING gin (to_tsvector('simple', search_text))")
