"""The Celery application.

Workers and beat start with `celery -A config.celery_app worker` / `beat`. Configuration comes
from Django settings under the CELERY_ prefix, so the broker is Redis when REDIS_URL is set and
kombu's filesystem transport (no server) otherwise.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("quarterdeck")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
