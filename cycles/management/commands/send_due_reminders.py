"""manage.py send_due_reminders [--dry-run]: the reminder dispatch, by hand.

Runs exactly what beat runs every two minutes (cycles.services.reminders_dispatch) and prints
who is reminded, for which due date, about which key results. Running it twice, or while beat
runs, sends nothing twice: a person already reminded for a due date is listed as such.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from cycles import services


class Command(BaseCommand):
    help = "Remind everyone whose check-in is due (the same dispatch beat runs)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print who would be reminded; write and send nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run: bool = options["dry_run"]
        now = timezone.now()
        report = services.reminders_dispatch(now=now, dry_run=dry_run)
        verb = "would remind" if dry_run else "reminded"
        for bundle in report.bundles:
            krs = "; ".join(kr.statement for kr in bundle.key_results)
            state = "already reminded" if bundle.already_reminded else verb
            self.stdout.write(
                f"{state}: {bundle.user.name} <{bundle.user.email}>, due {bundle.due_on:%a %d %b}, "
                f"{len(bundle.key_results)} key result(s): {krs}"
            )
        new = len(report.new)
        outcome = (
            "would be reminded" if dry_run else "reminded (emails queued; the worker sends them)"
        )
        summary = (
            f"{new} {'person' if new == 1 else 'people'} {outcome}; "
            f"{len(report.bundles) - new} already reminded for that due date; "
            f"{report.skipped_paused} key result(s) skipped because reminders are paused or off."
        )
        self.stdout.write(self.style.SUCCESS(summary) if new else summary)
