"""Test settings: the real settings with the suite's own values, whatever the caller exported.

A shell set up for a production-like run (README "Running on PostgreSQL" exports ALLOWED_HOSTS,
SECRET_KEY, SECURE_SSL_REDIRECT, ...) or a .env written for docker compose must not change what
the tests see: the values below are forced, every other variable the settings read falls back
to its default, and no .env is read. Only DATABASE_URL (with DB_POOLER when it names PgBouncer)
and SQLITE_TEST_NAME point the suite elsewhere; a test that needs another value sets it itself
(``settings``, a subprocess's env).
"""

import os
import re
from pathlib import Path

SUITE_ENVIRONMENT = {
    "SECRET_KEY": "test-only-secret-key-not-for-production-use-0123456789",
    "DEBUG": "false",
    "SECURE_SSL_REDIRECT": "false",
    "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    "TICKETING_SIGNING_KEY": "r72b93oRdu2t50qcz38ALDRsRSs04htrWeF8yEezIiU=",  # tests only
    "TICKETING_QUEUE_KEY": "test-only-queue-key-0123456789",  # tests only
    "DJANGO_ENV_FILE": os.devnull,
}
POINTED_BY_THE_CALLER = {"DATABASE_URL", "DB_POOLER"}  # DB_POOLER: what DATABASE_URL points at

# The names config/settings.py reads with env(...) (the same pattern the .env.example test uses).
_read = re.findall(
    r"""env(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]+)["']""", Path(__file__).with_name("settings.py").read_text()
)
for _name in set(_read) - POINTED_BY_THE_CALLER:
    os.environ.pop(_name, None)
os.environ.update(SUITE_ENVIRONMENT)  # inherited by the subprocesses tests start (gunicorn, commands)

from config.settings import *  # noqa: E402, F403

# The browser tests run without a stream: other buyers' changes come by polling, every second.
TICKETING_WEB_POLL_MS = 1000
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {  # noqa: F405
    scope: "100000/min"
    for scope in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]  # noqa: F405
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not ":memory:", so that threads in the race tests share one real database with
    # WAL and a busy timeout, as the embedded default does. SQLITE_TEST_NAME keeps parallel
    # runs apart.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.environ.get("SQLITE_TEST_NAME", str(BASE_DIR / ".test-db.sqlite3"))  # noqa: F405
    }
