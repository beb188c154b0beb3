"""manage.py export_okrs --cycle NAME [--output FILE]: the import format, written out.

Every unit, every person with their memberships, the cycle, and its objectives with key
results, alignment links and dependencies; `import_okrs` reads it back unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from okrs import importer


class Command(BaseCommand):
    help = "Export the organisation and one cycle's OKRs as JSON (docs/import-format.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cycle", required=True, help="The cycle's name, e.g. “2026 Q4”.")
        parser.add_argument("--output", help="Write to this file instead of standard output.")

    def handle(self, *args: Any, cycle: str, output: str | None, **options: Any) -> None:
        found = importer.Cycle.objects.filter(name=cycle).first()
        if found is None:
            names = ", ".join(
                f"“{c}”" for c in importer.Cycle.objects.values_list("name", flat=True)
            )
            raise CommandError(f"No cycle named “{cycle}”. Cycles: {names or 'none yet'}.")
        text = importer.dumps(importer.export_cycle(found))
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Exported cycle “{found.name}” to {output}.")
        else:
            self.stdout.write(text, ending="")
