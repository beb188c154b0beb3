"""manage.py load_demo: the demo organisation of `make demo`, from okrs/demo/.

Imports okrs/demo/demo-organisation.json with the ordinary importer, then gives every person in
that file the password "demo" (the Makefile prints the logins). Running it again imports
nothing new and leaves passwords that already are "demo" alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User, normalize_email
from okrs import importer

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "demo-organisation.json"
DEMO_PASSWORD = "demo"


def demo_passwords_set(emails: list[str]) -> int:
    """Give these people the demo password unless they have it already; return how many
    changed.

    The password hasher is deliberately slow (about half a second), and the demo has dozens of
    people, so the password is hashed once and the hash shared, and each distinct stored hash is
    checked once: a second `make demo` costs one check, not forty. Sharing a salt is harmless
    for a password printed on screen.
    """
    users = list(User.objects.filter(email__in=emails))
    checked: dict[str, bool] = {}
    encoded: str | None = None
    changed = 0
    for user in users:
        if user.has_usable_password():
            if user.password not in checked:
                checked[user.password] = check_password(DEMO_PASSWORD, user.password)
            if checked[user.password]:
                continue
        encoded = encoded or make_password(DEMO_PASSWORD)
        user.password = encoded
        user.save(update_fields=["password"])
        changed += 1
    return changed


class Command(BaseCommand):
    help = "Load the demo organisation (idempotent) and give its people the password “demo”."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            raw = importer.read_file(DEMO_FILE)
            with transaction.atomic():
                summary = importer.import_okrs(raw)
                emails = [normalize_email(p["email"]) for p in raw.get("people", [])]
                passwords = demo_passwords_set(emails)
        except importer.ImportRejected as exc:
            raise CommandError(
                "The demo organisation could not be loaded (is another organisation already "
                "in this database?):\n" + "\n".join(exc.problems)
            ) from exc
        cycle = raw["cycle"]["name"]
        objectives = summary.counts["objectives"]
        if summary.changes:
            state = "loaded"
        else:
            state = "already loaded" + ("" if passwords else ", nothing changed")
        self.stdout.write(
            f"Demo organisation {state}: {len(emails)} people, cycle “{cycle}” with "
            f"{objectives.created + objectives.updated + objectives.unchanged} objectives "
            f"({summary.changes} change(s)); demo password set for {passwords} "
            f"{'person' if passwords == 1 else 'people'}."
        )
