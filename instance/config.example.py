# Copy to instance/config.py and adjust. Environment variables FLASK_<NAME> override these.
# SECRET_KEY = "a long random string"   # required when PRODUCTION is true
# SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://postgres@127.0.0.1:5432/wspolnie"
# RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379/0"
# SITE_OWNER = "Urząd Miasta Torunia"
