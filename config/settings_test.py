"""Settings for the test suite: production settings with the slow or external parts swapped.

The environment still decides the database and the broker, so `.ci/run` can point the suite at
real PostgreSQL and Redis. Tests that need a real worker or SMTP server start their own.
"""

import os

# Defaults a developer's shell will not have; a real value in the environment wins.
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from config.settings import *  # noqa: E402,F403
from config.settings import STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Unit tests run tasks in-process; the integration suite turns this off and runs a real worker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Each test process gets its own cache; Redis stays for the integration suite's broker.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# WhiteNoise warns when STATIC_ROOT is missing; tests serve static files through the finders.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
