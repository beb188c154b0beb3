"""manage.py advance_phases [--date YYYY-MM-DD]: the daily phase job, by hand.

Moves every cycle that is not held forward to the phase its dates give (never back), exactly
as beat does each night (cycles.services.cycles_advance_by_schedule), and prints what moved.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cycles import services


class Command(BaseCommand):
    help = "Move cycles forward to the phase their dates give (the daily job)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=date.fromisoformat, help="Act as if today were this.")

    def handle(self, *args: Any, **options: Any) -> None:
        changes = services.cycles_advance_by_schedule(today=options["date"])
        for change in changes:
            self.stdout.write(f"{change.cycle}: {change.from_phase} -> {change.to_phase}")
        self.stdout.write(f"{len(changes)} cycle(s) moved.")
