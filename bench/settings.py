"""Production settings for in-process benchmarks: the same middleware, templates and
database settings, with DEBUG off. Only static file URLs differ: the manifest storage needs a
`collectstatic` run, which a benchmark should not depend on."""

from config.settings import *  # noqa: F403
from config.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

ROOT_URLCONF = "bench.urls"
