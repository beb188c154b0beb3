"""manage.py import_okrs FILE: load units, people and one cycle's OKRs from JSON.

The format is docs/import-format.md. All or nothing, and a second run of the same file changes
nothing; the logic is in okrs.importer.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from okrs import importer


class Command(BaseCommand):
    help = "Import org units, people and one cycle's OKRs from a JSON file (docs/import-format.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The JSON file to import.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and count what would change, then save nothing.",
        )

    def handle(self, *args: Any, file: str, dry_run: bool, **options: Any) -> None:
        try:
            summary = importer.import_okrs(importer.read_file(file), dry_run=dry_run)
        except importer.ImportRejected as exc:
            raise CommandError(
                f"Nothing was imported from {file}: {len(exc.problems)} problem(s).\n"
                + "\n".join(exc.problems)
            ) from exc
        verb = "Checked (dry run, nothing saved)" if dry_run else "Imported"
        self.stdout.write(f"{verb} {file}: {summary.changes} change(s).")
        for line in summary.lines():
            self.stdout.write(f"  {line}")
