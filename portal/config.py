"""Configuration defaults.

Order of precedence (later wins): these defaults, ``instance/config.py``,
``FLASK_*`` environment variables, then the mapping passed to ``create_app``.
"""
from datetime import timedelta


class Defaults:
    # SQLALCHEMY_DATABASE_URI defaults to a SQLite file in instance/ (set in create_app,
    # because it needs the instance path).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # A pooled connection unused for this many seconds is pinged before it is handed out (portal/
    # database.py); None: never. `"pool_pre_ping": True` above pings before every use instead.
    DATABASE_PING_AFTER_IDLE = 10
    # PostgreSQL only (added to SQLALCHEMY_ENGINE_OPTIONS in create_app; SQLite is unaffected):
    # seconds to wait for a connection (libpq's connect_timeout, at least 2), for one statement
    # (server-side statement_timeout, 0: none) and for a free connection from the pool.
    DATABASE_CONNECT_TIMEOUT = 3
    DATABASE_STATEMENT_TIMEOUT = 30
    DATABASE_POOL_TIMEOUT = 10
    # /healthz answers 503 if the database has not answered `SELECT 1` within this many seconds.
    HEALTHZ_TIMEOUT = 1.5

    # True under gunicorn (wsgi.py): a missing SECRET_KEY is refused, cookies are Secure.
    PRODUCTION = False

    BABEL_DEFAULT_LOCALE = "pl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Warsaw"
    LANGUAGES = {"pl": "Polski", "en": "English"}
    # The language consultations are written in (marked with lang= in pages in any UI language).
    CONTENT_LANGUAGE = "pl"

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)

    # werkzeug's method for stored passwords: scrypt (memory-hard). Tests set a cheap one.
    PASSWORD_HASH_METHOD = "scrypt"

    # How many reverse proxies (nginx, a load balancer) stand in front of the app: their
    # X-Forwarded-For/-Proto give the client's address (rate limits) and scheme. 0: none, the
    # headers are ignored (a client could forge them).
    PROXY_TRUSTED_HOPS = 0

    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Failed logins count against both the account and the address they come from.
    LOGIN_LIMIT_PER_ACCOUNT = "5 per 15 minutes"
    LOGIN_LIMIT_PER_IP = "30 per 15 minutes"
    SIGNUP_LIMIT_PER_IP = "20 per hour"
    RESET_LIMIT_PER_IP = "10 per hour"
    # Sign-ups to groups and meetings from one address (an office may register several people).
    REGISTRATION_LIMIT_PER_IP = "30 per hour"
    # "Wyślij link ponownie" (registrations/resend.py): each request may send an e-mail.
    RESEND_LINK_LIMIT_PER_IP = "10 per hour"
    # Subscribing to news (news/views.py): each request may send an e-mail.
    NEWS_SUBSCRIBE_LIMIT_PER_IP = "10 per hour"
    # "One person, one working group": alice+ngo@x.pl counts as alice@x.pl (the +tag is ignored).
    REGISTRATION_EMAIL_IGNORE_PLUS_TAGS = True
    # A working group's join link is e-mailed to its confirmed members this many hours before its meeting.
    GROUP_LINK_SENT_HOURS_BEFORE = 24
    # Version of the RODO information shown at registration forms (stored with each registration).
    PRIVACY_NOTICE_VERSION = "2020-08"
    # `flask retention-sweep` erases the personal data of people who signed up for a consultation's
    # groups and meetings this many calendar months after it closes (the end of its last phase, on
    # the wall clock of its zone); due at that instant. Keep it equal to the period the privacy
    # notice names ("Okres przechowywania danych"), which the office fills in from its records
    # schedule (jednolity rzeczowy wykaz akt); 0: as soon as the consultation closes.
    RETENTION_MONTHS_AFTER_CLOSE = 12

    # A browser session counts as one view of a page within this time.
    VIEW_COUNT_WINDOW = timedelta(minutes=30)
    # Views are tallied in memory and written at most this often (see consultations/view_counter.py).
    VIEW_COUNT_FLUSH_SECONDS = 10

    # E-mail: "file" writes .eml files into instance/outbox/ (development); "smtp" sends.
    MAIL_TRANSPORT = "file"
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    # Seconds each SMTP step (connect, each answer) may take before the message counts as failed.
    MAIL_TIMEOUT = 5
    MAIL_SENDER = "konsultacje@example.org"
    MAIL_SENDER_NAME = "Wspólnie"
    # A request sends at most this many of the e-mails it caused; the rest wait for `flask send-mail`.
    MAIL_SEND_IN_REQUEST = 20
    # ... and spends at most this many seconds sending (an SMTP server that hangs costs no more).
    MAIL_SECONDS_IN_REQUEST = 2
    # `flask send-mail` stops sending after this many seconds (the rest wait for its next run):
    # against an SMTP server that hangs, a run never outlives its claim on the batch (10 minutes).
    MAIL_SECONDS_PER_RUN = 300

    # Forum: how many comments and replies one participant may send. An organisation's ten prepared
    # comments go in one after another; a flood stops at the minute's or the day's limit.
    FORUM_POSTS_PER_MINUTE = 10
    FORUM_POSTS_PER_DAY = 100

    MAX_CONTENT_LENGTH = 16 * 1024 * 1024

    # Documents uploaded in the back office: stored under this folder (None: <instance>/uploads)
    # by random names; a larger file is refused with a message naming the limit.
    UPLOAD_FOLDER = None
    DOCUMENT_MAX_BYTES = 20 * 1024 * 1024

    # `flask digest compile`: fingerprinted copies only (a front server may gzip on its own).
    FLASK_STATIC_DIGEST_COMPRESSION = []

    # Public pages are shared by anonymous readers for this long (0: never; portal/page_cache.py).
    PAGE_CACHE_SECONDS = 10
    # Where they are kept: "SimpleCache" (each process its own), "RedisCache" with CACHE_REDIS_URL.
    CACHE_TYPE = "SimpleCache"
    CACHE_DEFAULT_TIMEOUT = 10
    # PostgreSQL: each worker listens for new page versions (NOTIFY) and serves a participant who
    # comes back while nothing changed without asking the database (portal/page_versions.py).
    PAGE_VERSION_LISTEN = True
    # A consultation's PDF is kept in that cache per version of what it shows (0: never kept),
    # and one address may ask for this many PDFs (Flask-Limiter notation).
    PDF_CACHE_SECONDS = 24 * 3600
    PDF_LIMIT_PER_IP = "10 per minute"

    SITE_NAME = "Wspólnie"
    SITE_OWNER = "Urząd Miasta (przykład)"
