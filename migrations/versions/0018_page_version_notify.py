"""PostgreSQL: every new page version is announced (NOTIFY wspolnie_page_version) when it commits

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 12:00:00

- A trigger on page_version sends pg_notify('wspolnie_page_version', '<schema> <version>') for
  each change of the row; PostgreSQL delivers it to every listening connection when (and only
  if) the transaction commits, in commit order. Each worker listens and so knows, without asking
  the database, whether the readers it remembers are still current (portal.page_versions).
  Whatever changes the row — the portal, a command, an administrator's psql — is announced.
  SQLite has no NOTIFY: there every reader is read from the database.
"""
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION page_version_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_notify('wspolnie_page_version', TG_TABLE_SCHEMA || ' ' || NEW.version);
          RETURN NULL;
        END $$
    """)
    op.execute("CREATE TRIGGER page_version_notify AFTER INSERT OR UPDATE ON page_version "
               "FOR EACH ROW EXECUTE FUNCTION page_version_notify()")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER page_version_notify ON page_version")
    op.execute("DROP FUNCTION page_version_notify()")
