"""the draft's units as written, and a Polish-aware search index

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 03:00:00

- draft_section.label / draft_paragraph.label / final_section.label: the unit and number the office wrote
  ("Rozdział 9", "§ 3", "Art. 2"; "§ 1", "ust. 2", "pkt 3"), shown and cited as written.
  Existing rows get what the portal showed so far: "§ N" and "ust. M".
- post.search_text / draft_paragraph.search_text: the words of the text with their Polish stems
  (portal.forum.search_index), filled here for what exists; PostgreSQL searches them through a
  GIN index of to_tsvector('simple', …) (replacing 0007's index of the body), SQLite by whole
  words.
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('draft_section') as batch_op:
        batch_op.add_column(sa.Column('label', sa.String(length=60), nullable=False, server_default=''))
    with op.batch_alter_table('final_section') as batch_op:
        batch_op.add_column(sa.Column('label', sa.String(length=60), nullable=False, server_default=''))
    with op.batch_alter_table('draft_paragraph') as batch_op:
        batch_op.add_column(sa.Column('label', sa.String(length=60), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('post') as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=False, server_default=''))

    bind = op.get_bind()
    for table in ('draft_section', 'final_section'):
        bind.execute(sa.text(f"UPDATE {table} SET label = '§ ' || CAST(number AS VARCHAR(12))"))
    bind.execute(sa.text("UPDATE draft_paragraph SET label = 'ust. ' || CAST(number AS VARCHAR(12))"))
    _index_existing(bind)

    if bind.dialect.name == 'postgresql':
        # The body's index of migration 0007 (one server configuration, no Polish) gives way.
        op.execute("DROP INDEX IF EXISTS ix_post_body_search")
        op.execute("CREATE INDEX ix_post_search ON post USING gin (to_tsvector('simple', search_text))")
        op.execute("CREATE INDEX ix_draft_paragraph_search ON draft_paragraph "
                   "USING gin (to_tsvector('simple', search_text))")


def _index_existing(bind):
    """The words and stems of every comment and paragraph already stored, in batches."""
    from portal.forum.search_index import indexed

    for table, column in (('post', 'body'), ('draft_paragraph', 'text')):
        last = 0
        while True:
            rows = bind.execute(sa.text(
                f"SELECT id, {column} FROM {table} WHERE id > :last ORDER BY id LIMIT 500"),
                {"last": last}).all()
            if not rows:
                break
            bind.execute(sa.text(f"UPDATE {table} SET search_text = :text WHERE id = :id"),
                         [{"id": row[0], "text": indexed(row[1] or "")} for row in rows])
            last = rows[-1][0]


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_draft_paragraph_search")
        op.execute("DROP INDEX IF EXISTS ix_post_search")
        op.execute("CREATE INDEX ix_post_body_search ON post USING gin (to_tsvector('simple', body))")
    with op.batch_alter_table('post') as batch_op:
        batch_op.drop_column('search_text')
    with op.batch_alter_table('draft_paragraph') as batch_op:
        batch_op.drop_column('search_text')
        batch_op.drop_column('label')
    for table in ('draft_section', 'final_section'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('label')
