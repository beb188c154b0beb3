"""Start Django for a bench script: production settings (DEBUG off, so no query log slows
anything down), against the database named by DATABASE_URL, which must be PostgreSQL.

Bench scripts run from the repository root: `.venv/bin/python bench/<script>.py`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup() -> str:
    """Configure and start Django; return the database URL in use."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "Set DATABASE_URL to a PostgreSQL database of your own, for example\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/qd_tree_bench"
        )
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-never-used-for-anything-real")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    # The test Client speaks plain HTTP.
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    import django

    django.setup()
    return url


def ensure_database(url: str) -> None:
    """Create the database named in `url` if it does not exist (connecting to `postgres`)."""
    import psycopg
    from psycopg import sql

    name = url.rstrip("/").rsplit("/", 1)[1].split("?")[0]
    admin_url = url.rstrip("/").rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
