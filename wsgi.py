"""Production entry point: `gunicorn wsgi:app` (FLASK_SECRET_KEY,
FLASK_SERVER_NAME and FLASK_SQLALCHEMY_DATABASE_URI set)."""
from portal import create_app
from portal.forum import search_index

app = create_app({"PRODUCTION": True})
search_index.warm()  # under gunicorn's preload_app, once in the master for every worker
