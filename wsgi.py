"""Production entry point: `gunicorn wsgi:app` (FLASK_SECRET_KEY,
FLASK_SERVER_NAME and FLASK_SQLALCHEMY_DATABASE_URI set)."""
from portal import create_app

app = create_app({"PRODUCTION": True})
