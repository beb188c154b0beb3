"""manage.py load_demo: the demo organisation of `make demo`, from okrs/demo/, with check-ins.

Imports okrs/demo/demo-organisation.json with the ordinary importer, gives every person in that
file the password "demo" (the Makefile prints the logins), then gives the demo's key results a
check-in history (cycles.demo): one check-in per due date since the quarter began, ending on the
file's current value and confidence, with a couple of open blockers, and a couple of people
(engineer@example.com among them) not yet checked in for the current period, so that
`send_due_reminders` has someone to remind. Then two closed quarters before it (2026 Q2 and Q3,
cycles.demo_history), scored, with check-ins and retrospectives, for the calibration pages.

Running it again imports nothing new, leaves passwords that already are "demo" alone and adds no
check-ins to key results that have some (it only restores the key results' current values from
their latest check-ins, should the import have reset them).

It lives in cycles, not okrs, because the check-ins do; cycles may import okrs' importer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import User, normalize_email
from cycles.demo import demo_check_ins_create
from cycles.demo_history import demo_past_cycles_create
from okrs import importer

DEMO_FILE = Path(importer.__file__).resolve().parent / "demo" / "demo-organisation.json"
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
    help = (
        "Load the demo organisation with check-in histories (idempotent) and give its people "
        "the password “demo”."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            raw = importer.read_file(DEMO_FILE)
            with transaction.atomic():
                summary = importer.import_okrs(raw)
                emails = [normalize_email(p["email"]) for p in raw.get("people", [])]
                passwords = demo_passwords_set(emails)
                history = demo_check_ins_create(cycle_name=raw["cycle"]["name"], now=timezone.now())
                past = demo_past_cycles_create(current_cycle_name=raw["cycle"]["name"])
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
        self.stdout.write(
            f"Check-ins: {history.created} added to {history.key_results} key result(s)"
            f"{'' if history.created else ' (their history was already there)'}; "
            f"{history.due_people} {'person is' if history.due_people == 1 else 'people are'} "
            "due for a check-in now (`manage.py send_due_reminders` reminds them)."
        )
        self.stdout.write(
            f"Past quarters: {past.cycles} added, with {past.key_results} scored key results, "
            f"{past.check_ins} check-ins and their retrospectives"
            if past.cycles
            else "Past quarters: already there (2026 Q2 and Q3, closed, scored, with retros)."
        )
