#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # A checkout with nothing configured (no DEBUG, no SECRET_KEY, no .env) is a developer's:
    # commands run with DEBUG on, as `make demo` does, so `manage.py check` works there. A
    # deployment sets SECRET_KEY or DEBUG and gets the strict settings; the web server and
    # the worker do not come through here and are always strict.
    configured = {"DEBUG", "SECRET_KEY"} & os.environ.keys()
    if not configured and not (Path(__file__).resolve().parent / ".env").exists():
        os.environ["DEBUG"] = "1"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
