"""manage.py send_score_due_notices: the daily notice for delayed-payback key results, by hand.

Emails the owner of each key result whose measurement window (after its quarter) has ended and
that is not scored yet; once per key result however often it runs.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cycles import services


class Command(BaseCommand):
    help = "Tell owners of delayed-payback key results that their window has ended."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = services.score_due_notices_dispatch()
        self.stdout.write(f"{sent} notice(s) queued.")
