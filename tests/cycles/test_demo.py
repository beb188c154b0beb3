"""manage.py load_demo: the demo organisation with its check-in histories, idempotently, and
what `make demo` promises: engineer@example.com has due key results, and send_due_reminders
puts one email per due person in the mailbox whose link lands on the check-in page."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Membership, OrgUnit, OutgoingEmail, User
from cycles import services
from cycles.models import CadenceMap, CheckIn, Cycle, Reminder
from okrs.models import AlignmentLink, Dependency, KeyResult, Metric, Objective

TODAY = datetime(2026, 11, 22, 12, tzinfo=UTC)
MODELS = [
    User,
    OrgUnit,
    Membership,
    Cycle,
    Metric,
    Objective,
    KeyResult,
    AlignmentLink,
    Dependency,
    CheckIn,
]


@pytest.fixture(autouse=True)
def frozen(db):
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def db_state() -> dict[str, list[tuple[str, ...]]]:
    return {
        model.__name__: sorted(tuple(str(v) for v in row) for row in model.objects.values_list())
        for model in MODELS
    }


def test_load_demo_twice_is_a_no_op_the_second_time():
    first = load_demo()
    before = db_state()

    second = load_demo()

    assert first.startswith("Demo organisation loaded:") and "demo password set for 41" in first
    assert "Check-ins: 4" in first and "6 people are due" in first
    assert second.startswith("Demo organisation already loaded, nothing changed:")
    assert "demo password set for 0 people" in second
    assert "Check-ins: 0 added" in second and "6 people are due" in second
    assert db_state() == before  # passwords and check-ins included
    for email in [
        "admin@example.com",
        "leader@example.com",
        "lead@example.com",
        "engineer@example.com",
    ]:
        assert User.objects.get(email=email).check_password("demo")


def test_load_demo_restores_a_changed_demo_password_and_touches_no_one_else():
    load_demo()
    engineer = User.objects.get(email="engineer@example.com")
    engineer.set_password("changed")
    engineer.save()
    visitor = User.objects.create_user("visitor@example.com", "own password", name="Vi")

    assert "demo password set for 1 person" in load_demo()
    engineer.refresh_from_db()
    assert engineer.check_password("demo")
    visitor.refresh_from_db()
    assert visitor.check_password("own password")


def test_load_demo_refuses_another_organisations_database(org):
    with pytest.raises(CommandError, match='company is "Acme"'):
        load_demo()
    assert not OrgUnit.objects.filter(name="Halyard").exists()


def test_histories_end_on_the_files_current_values():
    load_demo()
    checked = KeyResult.objects.filter(check_ins__isnull=False).distinct()
    for kr in checked:
        latest = kr.check_ins.order_by("-created_at").first()
        assert (latest.value, latest.confidence) == (kr.current_value, kr.confidence), kr
    checked = checked.filter(objective__cycle__name="2026 Q4")
    assert checked.count() > 90
    for kr in checked:
        latest = kr.check_ins.order_by("-created_at").first()
        assert (latest.value, latest.confidence) == (kr.current_value, kr.confidence), kr
        assert kr.checked_in_at == latest.created_at
    moments = CheckIn.objects.filter(key_result__objective__cycle__name="2026 Q4").values_list(
        "created_at", flat=True
    )
    assert min(moments) >= datetime(2026, 10, 1, tzinfo=UTC) and max(moments) <= TODAY
    # Spread over the weeks since the quarter began: one per due date (every other Monday),
    # not all at once.
    assert len({m.isocalendar().week for m in moments}) >= 4
    assert (max(moments) - min(moments)).days >= 40
    # Key results the file gives no current value stay without check-ins.
    assert not CheckIn.objects.filter(key_result__current_value__isnull=True).exists()


def test_the_demo_has_open_blockers_naming_other_units_and_people_to_remind():
    load_demo()
    blocked = KeyResult.objects.exclude(blocker="").select_related(
        "objective__unit", "blocker_unit"
    )
    named = {(kr.objective.unit.name, kr.blocker_unit.name) for kr in blocked if kr.blocker_unit}
    assert named == {
        ("Payments Platform", "Cloud Infrastructure"),
        ("Checkout", "Identity & Access"),
    }
    cadences = CadenceMap.load()
    due_people = {
        kr.owner.email
        for kr in KeyResult.objects.filter(objective__cycle__name="2026 Q4").select_related(
            "owner", "objective__cycle"
        )
        if kr.owner and services.due_state(kr, cadences, TODAY).is_due(TODAY)
    }
    # Two people behind on the latest due date, and the owners of the demo's key results that
    # were never checked in (due since the quarter's first due date).
    never = {
        kr.owner.email
        for kr in KeyResult.objects.filter(
            objective__cycle__name="2026 Q4", check_ins__isnull=True, owner__isnull=False
        ).select_related("owner")
    }
    assert never and "lead@example.com" in never  # "Write runbooks for every payments alert"
    assert due_people == {"engineer@example.com", "marta.nowak@example.com"} | never
    engineer = User.objects.get(email="engineer@example.com")
    assert KeyResult.objects.filter(owner=engineer, objective__cycle__name="2026 Q4").count() == 6


def test_send_due_reminders_after_the_demo_reminds_each_due_person_once(
    client, django_capture_on_commit_callbacks
):
    load_demo()
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_due_reminders", stdout=out)
        call_command("send_due_reminders", stdout=out)
    reminded = set(Reminder.objects.values_list("user__email", "due_on"))
    assert out.getvalue().count("reminded: ") == len(reminded)  # the second run: already reminded
    assert {
        ("engineer@example.com", date(2026, 11, 16)),
        ("marta.nowak@example.com", date(2026, 11, 16)),
        ("lead@example.com", date(2026, 11, 16)),
    } <= reminded
    assert len(reminded) == 6
    email = OutgoingEmail.objects.get(to="engineer@example.com")
    assert email.state == OutgoingEmail.State.SENT
    assert email.subject == "Check in on your 6 key results"
    link = next(line for line in email.body_text.splitlines() if "/check-in/" in line).strip()
    page = client.get(link.removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 200
    assert page.content.decode().count("data-checkin-form") == 6
