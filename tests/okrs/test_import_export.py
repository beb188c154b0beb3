"""import_okrs and export_okrs: the format of docs/import-format.md, through the commands.

Every test goes through `call_command` and a real (SQLite) database: what is asserted is what an
operator would see, and what ends up stored.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Membership, OrgUnit, User
from cycles.models import Cycle
from okrs.models import AlignmentLink, Dependency, KeyResult, Metric, Objective

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "import-format.md"


def doc_example() -> dict[str, Any]:
    """The complete example in docs/import-format.md: the tests keep it true."""
    block = re.search(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block, "docs/import-format.md lost its JSON example"
    return json.loads(block.group(1))


def write(tmp_path: Path, data: Any, name: str = "okrs.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def run_import(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("import_okrs", str(path), *args, stdout=out)
    return out.getvalue()


def import_data(tmp_path: Path, data: Any) -> str:
    return run_import(write(tmp_path, data))


def rejected(tmp_path: Path, data: Any) -> str:
    """Import a bad file; return the error message after checking nothing changed."""
    before = db_state()
    with pytest.raises(CommandError) as excinfo:
        import_data(tmp_path, data)
    assert db_state() == before, "a rejected import changed the database"
    return str(excinfo.value)


def export(cycle: str = "2026 Q4") -> str:
    out = StringIO()
    call_command("export_okrs", "--cycle", cycle, stdout=out)
    return out.getvalue()


def counts(output: str) -> dict[str, tuple[int, int, int]]:
    """The import summary as {kind: (created, updated, unchanged)}."""
    found = {}
    for kind, created, updated, unchanged in re.findall(
        r"^\s+([a-z ]+?)\s+(\d+) created\s+(\d+) updated\s+(\d+) unchanged$", output, re.M
    ):
        found[kind] = (int(created), int(updated), int(unchanged))
    return found


MODELS = [User, OrgUnit, Membership, Cycle, Metric, Objective, KeyResult, AlignmentLink, Dependency]


def db_state() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every model the importer writes, with every column: equal states mean
    nothing was written, not even an update to the same value's timestamp."""
    return {
        model.__name__: sorted(tuple(str(v) for v in row) for row in model.objects.values_list())
        for model in MODELS
    }


def wipe() -> None:
    """Empty every table the import writes, for a fresh start inside one test."""
    AlignmentLink.objects.all().delete()
    Dependency.objects.all().delete()
    KeyResult.objects.all().delete()
    Objective.objects.all().delete()
    Cycle.objects.all().delete()
    Metric.objects.all().delete()
    Membership.objects.all().delete()
    User.objects.all().delete()
    # Parents are protected from deletion while they have children: leaves first.
    while OrgUnit.objects.exists():
        OrgUnit.objects.filter(children__isnull=True).delete()


def objective(title: str, unit: str | None = None) -> Objective:
    query = Objective.objects.filter(title=title)
    if unit:
        query = query.filter(unit__name=unit)
    return query.get()


def parents_of(child: Objective) -> set[tuple[str, str]]:
    return {(link.parent.unit.name, link.parent.title) for link in child.links_up.all()}


# The documented example -------------------------------------------------------------------------


def test_doc_example_imports_everything_it_describes(tmp_path):
    output = import_data(tmp_path, doc_example())

    assert counts(output)["objectives"] == (3, 0, 0)
    assert counts(output)["alignment links"] == (3, 0, 0)
    engineering = OrgUnit.objects.get(name="Engineering")
    payments = OrgUnit.objects.get(name="Payments")
    assert engineering.kind == "function" and engineering.parent.name == "Acme"
    # No kind given: a unit under a function is a team.
    assert payments.kind == "team" and payments.parent == engineering

    priya = User.objects.get(email="priya.shah@example.com")  # stored lower-case
    assert priya.time_zone == "Asia/Kolkata"
    assert not priya.has_usable_password()  # the importer never sets passwords
    assert Membership.objects.get(user=priya, unit=payments).role == "lead"
    sam = User.objects.get(email="sam.lee@example.com")
    assert Membership.objects.get(user=sam, unit=payments).role == "member"  # the default
    assert User.objects.get(email="ops@example.com").is_superuser

    cycle = Cycle.objects.get(name="2026 Q4")
    assert cycle.phase == "running"
    assert cycle.setting_opens_on == date(2026, 9, 10)  # Cycle.default_dates
    assert cycle.scoring_opens_on == date(2026, 12, 25)

    company = objective("Shops can rely on us to take every payment")
    assert company.kind == "committed" and company.owner.email == "cto@example.com"
    kr = company.key_results.get()
    assert kr.metric.name == "Checkout availability"
    assert kr.metric.source == "Grafana: SLO / checkout"
    # A dated baseline is the metric's latest known value, for next quarter's key results.
    assert kr.metric.last_value == Decimal("99.7")
    assert kr.metric.last_measured_on == date(2026, 9, 30)
    assert kr.baseline_value == Decimal("99.7")
    assert kr.baseline_measured_on == date(2026, 9, 30)
    assert kr.target == Decimal("99.95") and kr.current_value == Decimal("99.81")
    assert kr.confidence == 60

    function = objective("Ship small changes, safely, every day")
    cfr = function.key_results.get(statement__startswith="Cut the change failure")
    # Baseline 17, target "10": no direction given, so it is inferred from the numbers.
    assert cfr.direction == "decrease" and cfr.target == Decimal("10")
    assert cfr.metric.unit == "%"  # a metric named by a string takes the key result's unit

    team = objective("Card payments never fail on our side")
    assert team.status == "agreed"
    assert [kr.statement for kr in team.key_results.all()] == [
        "Reduce the payments API 5xx rate from 0.6% to 0.15%",
        "Migrate the auth service to OAuth 2.0",
    ]
    bare = team.key_results.get(statement="Migrate the auth service to OAuth 2.0")
    assert bare.metric is None and bare.baseline_value is None and bare.target is None
    # "Ship small changes safely every day" has no commas: found by the loose title match.
    assert parents_of(team) == {
        ("Engineering", "Ship small changes, safely, every day"),
        ("Acme", "Shops can rely on us to take every payment"),
    }
    link = team.links_up.get(parent=function)
    assert link.how == "Payments is a third of all deploys."
    assert link.expected_contribution == "2 of the 7 points"
    dependency = team.dependencies.get()
    assert dependency.provider.name == "Developer Experience"
    assert dependency.status == "accepted"


def test_import_summary_counts_each_kind(tmp_path):
    output = import_data(tmp_path, doc_example())

    assert counts(output) == {
        "units": (4, 0, 0),
        "people": (4, 0, 0),
        "memberships": (5, 0, 0),
        "cycles": (1, 0, 0),
        "metrics": (4, 0, 0),
        "objectives": (3, 0, 0),
        "key results": (5, 0, 0),
        "alignment links": (3, 0, 0),
        "dependencies": (1, 0, 0),
    }


# Idempotency ----------------------------------------------------------------------------------


def test_second_import_changes_nothing(tmp_path):
    path = write(tmp_path, doc_example())
    run_import(path)
    before = db_state()

    output = run_import(path)

    assert "0 change(s)" in output
    assert all(created == updated == 0 for created, updated, _ in counts(output).values())
    assert counts(output)["key results"] == (0, 0, 5)
    # Row for row, column for column, including updated_at and version.
    assert db_state() == before


def test_changed_file_updates_in_place(tmp_path):
    data = doc_example()
    import_data(tmp_path, data)
    kr = KeyResult.objects.get(statement__startswith="Reduce the payments API 5xx")
    team = kr.objective
    version, kr_version, updated_at = team.version, kr.version, team.updated_at

    data["objectives"][2]["kind"] = "committed"
    data["objectives"][2]["key_results"][0]["target"] = "0.1"
    data["objectives"][2]["key_results"][0]["current_value"] = None  # null clears
    output = import_data(tmp_path, data)

    assert counts(output)["objectives"] == (0, 1, 2)
    assert counts(output)["key results"] == (0, 1, 4)
    team.refresh_from_db()
    kr.refresh_from_db()
    assert team.kind == "committed" and team.version == version + 1
    assert team.updated_at > updated_at
    assert kr.target == Decimal("0.1") and kr.current_value is None
    assert kr.version == kr_version + 1
    assert Objective.objects.count() == 3 and KeyResult.objects.count() == 5


def test_absent_fields_keep_stored_values(tmp_path):
    import_data(tmp_path, doc_example())
    slim = {
        "cycle": {"name": "2026 Q4", "starts_on": "2026-10-01", "ends_on": "2026-12-31"},
        "objectives": [
            {
                "unit": "Payments",
                "title": "Card payments never fail on our side",
                "key_results": [
                    {"statement": "Reduce the payments API 5xx rate from 0.6% to 0.15%"}
                ],
            }
        ],
    }

    output = import_data(tmp_path, slim)

    assert "0 change(s)" in output
    kr = KeyResult.objects.get(statement__startswith="Reduce the payments API 5xx")
    assert kr.target == Decimal("0.15") and kr.owner.email == "sam.lee@example.com"
    assert Cycle.objects.get().phase == "running"


def test_dry_run_saves_nothing(tmp_path):
    output = run_import(write(tmp_path, doc_example()), "--dry-run")

    assert "dry run" in output and counts(output)["objectives"] == (3, 0, 0)
    assert Objective.objects.count() == 0 and OrgUnit.objects.count() == 0


def test_import_never_removes_org_admin_rights(tmp_path):
    data = doc_example()
    import_data(tmp_path, data)
    del data["people"][3]["org_admin"]

    assert "0 change(s)" in import_data(tmp_path, data)
    assert User.objects.get(email="ops@example.com").is_superuser


# Export and the round trip ----------------------------------------------------------------------


def test_round_trip_export_import_export_is_identical(tmp_path):
    import_data(tmp_path, doc_example())
    first = export()

    wipe()
    assert Objective.objects.count() == 0
    import_data(tmp_path, first)
    second = export()

    assert second == first
    assert json.loads(first)["format"] == "quarterdeck-okrs"


def test_reimporting_an_export_changes_nothing(tmp_path):
    import_data(tmp_path, doc_example())
    before = db_state()

    output = import_data(tmp_path, export())

    assert "0 change(s)" in output
    assert db_state() == before


def test_export_writes_everything_in_a_fixed_order(tmp_path):
    import_data(tmp_path, doc_example())

    text = export()
    data = json.loads(text)

    assert text.startswith('{\n  "format": "quarterdeck-okrs",')  # indent 2
    assert [u["name"] for u in data["units"]] == [
        "Acme",
        "Engineering",
        "Developer Experience",
        "Payments",
    ]
    assert [p["email"] for p in data["people"]] == sorted(p["email"] for p in data["people"])
    assert {
        "email": "ops@example.com",
        "name": "Olu Ade",
        "time_zone": "UTC",
        "org_admin": True,
    } in data["people"]
    assert [o["unit"] for o in data["objectives"]] == ["Acme", "Engineering", "Payments"]
    team = data["objectives"][2]
    assert team["aligns_to"][0] == {
        "unit": "Acme",
        "title": "Shops can rely on us to take every payment",
        "how": "Payment errors are most of the unavailability.",
    }
    assert team["key_results"][0]["baseline"] == {"value": 0.6, "measured_on": "2026-09-30"}
    assert team["dependencies"] == [
        {
            "unit": "Developer Experience",
            "description": "Preview environments for payments pull requests by November.",
            "status": "accepted",
        }
    ]
    assert export() == text


def test_export_to_a_file(tmp_path):
    import_data(tmp_path, doc_example())
    target = tmp_path / "out.json"

    call_command("export_okrs", "--cycle", "2026 Q4", "--output", str(target), stderr=StringIO())

    assert target.read_text(encoding="utf-8") == export()


def test_export_of_an_unknown_cycle_names_the_known_ones(tmp_path):
    import_data(tmp_path, doc_example())

    with pytest.raises(CommandError, match=r"No cycle named “2031 Q1”\. Cycles: “2026 Q4”"):
        export("2031 Q1")


# Real-world data ------------------------------------------------------------------------------


def org(*teams: tuple[str, str], objectives: list[dict[str, Any]]) -> dict[str, Any]:
    """A file with company Acme, functions Product and Platform, the given (team, function)
    pairs, and the objectives."""
    return {
        "units": [
            {"name": "Acme", "kind": "company"},
            {"name": "Product", "parent": "Acme"},
            {"name": "Platform", "parent": "Acme"},
            *({"name": team, "parent": function} for team, function in teams),
        ],
        "cycle": {"name": "2026 Q4", "starts_on": "2026-10-01", "ends_on": "2026-12-31"},
        "objectives": objectives,
    }


def test_same_title_in_different_units(tmp_path):
    data = org(
        ("Checkout", "Product"),
        ("Search", "Product"),
        objectives=[
            {"unit": "Product", "title": "Fewer failed payments"},
            {"unit": "Checkout", "title": "Reliability first"},
            {"unit": "Search", "title": "Reliability first"},
            {
                "unit": "Product",
                "title": "Faster pages",
                "aligns_to": [{"unit": "Search", "title": "Reliability first", "how": "x"}],
            },
        ],
    )
    import_data(tmp_path, data)

    assert Objective.objects.filter(title="Reliability first").count() == 2
    assert parents_of(objective("Faster pages")) == {("Search", "Reliability first")}
    assert "0 change(s)" in import_data(tmp_path, data)

    # Without the unit, the title names two objectives: refused, naming both.
    data["objectives"][3]["aligns_to"] = [{"title": "Reliability first", "how": "x"}]
    message = rejected(tmp_path, data)
    assert "objectives[3].aligns_to[0].title:" in message
    assert '"Reliability first" (Checkout, objectives[1])' in message
    assert '"Reliability first" (Search, objectives[2])' in message


def test_same_key_result_text_under_two_objectives(tmp_path):
    shared = {
        "statement": "Reduce p95 latency from 900 ms to 300 ms",
        "baseline": 900,
        "target": 300,
    }
    data = org(
        ("Checkout", "Product"),
        objectives=[
            {"unit": "Checkout", "title": "Fast checkout", "key_results": [shared]},
            {"unit": "Product", "title": "Fast product", "key_results": [shared, shared]},
        ],
    )
    import_data(tmp_path, data)

    assert KeyResult.objects.filter(statement=shared["statement"]).count() == 3
    assert objective("Fast product").key_results.count() == 2
    assert "0 change(s)" in import_data(tmp_path, data)
    assert KeyResult.objects.count() == 3


def test_titles_differing_only_in_punctuation(tmp_path):
    data = org(
        ("Payments", "Product"),
        objectives=[
            {"unit": "Product", "title": "Ship safely, fast"},
            {"unit": "Product", "title": "Ship safely fast!"},
            {"unit": "Product", "title": "Payments never fail"},
            {
                "unit": "Payments",
                "title": "Zero-downtime deploys",
                "aligns_to": [
                    # Exact titles pick each of the near-twins...
                    {"unit": "Product", "title": "Ship safely, fast", "how": "a"},
                    # ...and a loose match is used when it is the only one.
                    {"unit": "Product", "title": "payments  never fail.", "how": "b"},
                ],
            },
        ],
    )
    import_data(tmp_path, data)

    assert Objective.objects.filter(unit__name="Product").count() == 3
    assert parents_of(objective("Zero-downtime deploys")) == {
        ("Product", "Ship safely, fast"),
        ("Product", "Payments never fail"),
    }

    data["objectives"][3]["aligns_to"] = [
        {"unit": "Product", "title": "ship safely - fast", "how": "a"}
    ]
    message = rejected(tmp_path, data)
    assert "objectives[3].aligns_to[0].title:" in message
    assert '"Ship safely, fast" (Product, objectives[0])' in message
    assert '"Ship safely fast!" (Product, objectives[1])' in message


def test_team_aligned_two_levels_up(tmp_path):
    data = org(
        ("Payments", "Product"),
        objectives=[
            {"ref": "trust", "unit": "Acme", "title": "Merchants trust us"},
            {
                "unit": "Product",
                "title": "Reliable product",
                "aligns_to": [{"ref": "trust", "how": "a"}],
            },
            {
                "unit": "Payments",
                "title": "No failed payments",
                "aligns_to": [{"unit": "Acme", "title": "Merchants trust us", "how": "directly"}],
            },
        ],
    )
    import_data(tmp_path, data)

    assert parents_of(objective("No failed payments")) == {("Acme", "Merchants trust us")}


def test_duplicate_titles_in_one_unit_use_refs_and_stay_two(tmp_path):
    data = org(
        ("Payments", "Product"),
        objectives=[
            {
                "ref": "first",
                "unit": "Payments",
                "title": "Improve reliability",
                "description": "Card payments",
            },
            {
                "ref": "second",
                "unit": "Payments",
                "title": "Improve reliability",
                "description": "Bank transfers",
            },
            {
                "unit": "Product",
                "title": "Reliable product",
                "aligns_to": [{"ref": "second", "how": "transfers"}],
            },
        ],
    )
    import_data(tmp_path, data)

    twins = list(Objective.objects.filter(title="Improve reliability").order_by("order"))
    assert [o.description for o in twins] == ["Card payments", "Bank transfers"]
    link = AlignmentLink.objects.get()
    assert link.child == objective("Reliable product") and link.parent == twins[1]
    # Matched by order: the second import finds both, creates nothing.
    assert "0 change(s)" in import_data(tmp_path, data)

    # By title alone the twins are ambiguous.
    data["objectives"][2]["aligns_to"] = [
        {"unit": "Payments", "title": "Improve reliability", "how": "x"}
    ]
    message = rejected(tmp_path, data)
    assert "2 objectives" in message and '"ref"' in message


def test_the_export_of_duplicate_titles_round_trips(tmp_path):
    test_duplicate_titles_in_one_unit_use_refs_and_stay_two(tmp_path)
    first = export()
    assert '"ref": "payments-improve-reliability-2"' in first

    wipe()
    import_data(tmp_path, first)

    assert export() == first


def test_units_with_the_same_name_under_different_parents(tmp_path):
    data = org(
        ("Payments", "Product"),
        ("Payments", "Platform"),
        objectives=[
            {"unit": "Product / Payments", "title": "Checkout payments"},
            {"unit": "Acme / Platform / Payments", "title": "Payment infrastructure"},
        ],
    )
    data["people"] = [
        {
            "email": "a@example.com",
            "name": "A",
            "memberships": [{"unit": "Platform / Payments", "role": "lead"}],
        }
    ]
    import_data(tmp_path, data)

    assert objective("Checkout payments").unit.parent.name == "Product"
    assert objective("Payment infrastructure").unit.parent.name == "Platform"
    assert Membership.objects.get().unit.parent.name == "Platform"
    assert json.loads(export())["objectives"][0]["unit"] in {
        "Product / Payments",
        "Platform / Payments",
    }

    data["objectives"][0]["unit"] = "Payments"
    message = rejected(tmp_path, data)
    assert 'objectives[0].unit: "Payments" could be "Acme / Platform / Payments" and ' in message


def test_children_may_come_before_their_parents(tmp_path):
    data = {
        "units": [
            {"name": "Payments", "parent": "Product"},
            {"name": "Product", "parent": "Acme"},
            {"name": "Acme", "kind": "company"},
        ]
    }
    import_data(tmp_path, data)

    assert OrgUnit.objects.get(name="Payments").parent.parent.name == "Acme"


def test_numbers_in_their_common_spellings(tmp_path):
    krs = [
        {"statement": "a", "baseline": "42", "target": " 30 "},
        {"statement": "b", "baseline": 0.8, "target": "0.95", "confidence": "70"},
        {"statement": "c", "baseline": {"value": 12}, "target": 1e1},
    ]
    data = org(objectives=[{"unit": "Product", "title": "Numbers", "key_results": krs}])
    import_data(tmp_path, data)

    stored = {kr.statement: kr for kr in KeyResult.objects.all()}
    assert (stored["a"].baseline_value, stored["a"].target) == (Decimal(42), Decimal(30))
    assert stored["a"].direction == "decrease"
    assert (stored["b"].baseline_value, stored["b"].target) == (Decimal("0.8"), Decimal("0.95"))
    assert stored["b"].direction == "increase" and stored["b"].confidence == 70
    assert stored["c"].target == Decimal(10)
    assert "0 change(s)" in import_data(tmp_path, data)


def test_a_file_can_build_on_what_is_stored(tmp_path, org):
    """Units, people and parent objectives may already be in the database (conftest's org)."""
    data = {
        "cycle": {"name": "2026 Q4", "starts_on": "2026-10-01", "ends_on": "2026-12-31"},
        "objectives": [
            {
                "unit": "Search",
                "title": "Results in under 200 ms",
                "owner": "Outsider@Example.com",
                "aligns_to": [{"unit": "Acme", "title": "Customers trust us", "how": "speed"}],
                "key_results": [
                    {"statement": "p95 from 450 to 200 ms", "owner": "engineer@example.com"}
                ],
            }
        ],
    }
    import_data(tmp_path, data)

    new = objective("Results in under 200 ms")
    assert new.cycle == org.cycle and new.unit == org.other_team
    assert new.owner == org.outsider
    assert parents_of(new) == {("Acme", "Customers trust us")}


# Bad input: every case names the item and the field, and nothing is imported -----------------


@pytest.fixture
def stored(tmp_path) -> dict[str, Any]:
    """The doc example, already imported: bad files below also carry valid changes to it, so
    "nothing imported" covers updates as well as creations."""
    data = doc_example()
    import_data(tmp_path, data)
    data = copy.deepcopy(data)
    data["objectives"][0]["kind"] = "aspirational"  # a valid change that must not be saved
    data["units"].append({"name": "Mobile", "parent": "Engineering"})  # likewise a creation
    return data


def test_unknown_parent_unit(tmp_path, stored):
    stored["units"].append({"name": "Search", "parent": "Enginering"})

    message = rejected(tmp_path, stored)

    assert 'units[5].parent: no unit "Enginering" in the file or the database (in unit ' in message
    assert '"Search")' in message
    assert "Nothing was imported" in message


def test_alignment_to_a_missing_objective(tmp_path, stored):
    stored["objectives"][2]["aligns_to"][0]["title"] = "Ship quickly"

    message = rejected(tmp_path, stored)

    assert (
        'objectives[2].aligns_to[0].title: no objective titled "Ship quickly" in '
        '"Acme / Engineering"' in message
    )
    assert 'objective "Card payments never fail on our side" of Payments' in message


def test_alignment_to_a_missing_ref(tmp_path, stored):
    stored["objectives"][1]["aligns_to"] = [{"ref": "nope", "how": "x"}]

    message = rejected(tmp_path, stored)

    assert 'objectives[1].aligns_to[0].ref: no objective in the file has the ref "nope"' in message


def test_alignment_cycle_in_the_file(tmp_path, stored):
    stored["objectives"][0]["aligns_to"] = [
        {"unit": "Payments", "title": "Card payments never fail on our side", "how": "x"}
    ]

    message = rejected(tmp_path, stored)

    # Payments -> Acme is stored already, so the new link Acme -> Payments closes the loop.
    assert "objectives[0].aligns_to[0]: aligning" in message
    assert "would make a loop" in message
    assert '"Shops can rely on us to take every payment" (Acme)' in message
    assert '"Card payments never fail on our side" (Payments)' in message


def test_alignment_cycle_through_a_stored_link(tmp_path, stored):
    """The link Payments -> Engineering is in the database; a file that only adds
    Engineering -> Payments closes a loop with it."""
    slim = {
        "cycle": stored["cycle"],
        "objectives": [
            {
                "unit": "Engineering",
                "title": "Ship small changes, safely, every day",
                "aligns_to": [
                    {
                        "unit": "Payments",
                        "title": "Card payments never fail on our side",
                        "how": "x",
                    }
                ],
            }
        ],
    }

    message = rejected(tmp_path, slim)

    assert "objectives[0].aligns_to[0]: aligning" in message and "loop" in message


def test_alignment_to_itself(tmp_path, stored):
    stored["objectives"][1]["aligns_to"] = [
        {"unit": "Engineering", "title": "Ship small changes, safely, every day", "how": "x"}
    ]

    message = rejected(tmp_path, stored)

    assert "objectives[1].aligns_to[0]: an objective cannot align to itself" in message


def test_non_numeric_target(tmp_path, stored):
    stored["objectives"][1]["key_results"][0]["target"] = "abc"

    message = rejected(tmp_path, stored)

    assert 'objectives[1].key_results[0].target: "abc" is not a number' in message
    assert 'key result "Cut the change failure rate from 17% to 10%"' in message


def test_comma_decimal_is_refused_not_guessed(tmp_path, stored):
    stored["objectives"][2]["key_results"][0]["baseline"]["value"] = "0,6"

    message = rejected(tmp_path, stored)

    assert (
        'objectives[2].key_results[0].baseline.value: "0,6" is not a number: write decimals '
        "with a point" in message
    )


@pytest.mark.parametrize(
    ("score", "complaint"),
    [
        (1.5, "1.5 is not a score"),
        (-0.1, "-0.1 is not a score"),
        (0.75, "0.75 is not a score"),
        ("high", '"high" is not a number'),
        (True, "true is not a number"),
    ],
)
def test_score_is_validated(tmp_path, stored, score, complaint):
    stored["objectives"][2]["key_results"][0]["score"] = score

    message = rejected(tmp_path, stored)

    assert f"objectives[2].key_results[0].score: {complaint}" in message


def test_valid_score_is_kept_and_exported(tmp_path):
    data = doc_example()
    data["objectives"][2]["key_results"][0]["score"] = "0.7"
    data["objectives"][2]["key_results"][1]["score"] = 1

    import_data(tmp_path, data)

    first, second = data["objectives"][2]["key_results"][:2]
    assert KeyResult.objects.get(statement=first["statement"]).score == Decimal("0.7")
    assert KeyResult.objects.get(statement=second["statement"]).score == Decimal("1.0")


@pytest.mark.parametrize(
    ("field", "value", "complaint"),
    [
        ("confidence", 140, "140 is not a whole number from 0 to 100"),
        ("confidence", 0.7, "0.7 is not a whole number from 0 to 100"),
        ("direction", "up", '"up" is not one of: increase, decrease, stay_above, stay_below'),
        ("measurement_ends_on", "31/03/2027", '"31/03/2027" is not a date: write it as YYYY-MM-DD'),
        ("target", "NaN", '"NaN" is not a number'),
        ("target", "42%", '"42%" is not a number'),
        ("current_value", 1e20, "is too large"),
        ("target", "0.123456", '"0.123456" has more than 4 decimal places'),
        ("owner", "not-an-email", '"not-an-email" is not an email address'),
        ("taget", 3, "unknown field"),
    ],
)
def test_bad_key_result_values(tmp_path, stored, field, value, complaint):
    stored["objectives"][1]["key_results"][1][field] = value

    message = rejected(tmp_path, stored)

    assert f"objectives[1].key_results[1].{field}: " in message
    assert complaint in message
    assert 'key result "Reduce p95 CI pipeline duration from 38 to 15 minutes"' in message


def test_unknown_owner(tmp_path, stored):
    stored["objectives"][1]["key_results"][0]["owner"] = "ghost@example.com"

    message = rejected(tmp_path, stored)

    assert (
        "objectives[1].key_results[0].owner: no person ghost@example.com in the file or the "
        "database" in message
    )


def test_missing_statement_and_title(tmp_path, stored):
    stored["objectives"][1]["key_results"][0]["statement"] = "  "
    del stored["objectives"][2]["title"]

    message = rejected(tmp_path, stored)

    assert "objectives[1].key_results[0].statement: is required and may not be blank" in message
    assert "objectives[2].title: is required" in message


def test_a_second_company_is_refused(tmp_path, stored):
    stored["units"].append({"name": "Other Corp", "kind": "company"})

    message = rejected(tmp_path, stored)

    assert 'units[5].name: the organisation\'s company is "Acme"' in message


def test_a_team_under_the_company_is_refused(tmp_path, stored):
    stored["units"].append({"name": "Rogue", "kind": "team", "parent": "Acme"})

    message = rejected(tmp_path, stored)

    assert 'units[5].parent: a team cannot sit under "Acme", a company' in message


def test_conflicting_metric_definitions(tmp_path, stored):
    kr = stored["objectives"][1]["key_results"][1]
    kr["metric"] = {"name": "checkout availability", "source": "somewhere else"}

    message = rejected(tmp_path, stored)

    assert "objectives[1].key_results[1].metric.source:" in message
    assert '"somewhere else" differs from "Grafana: SLO / checkout"' in message


def test_duplicate_emails_and_refs(tmp_path, stored):
    stored["people"].append({"email": "SAM.LEE@example.com", "name": "Sam again"})
    stored["objectives"][1]["ref"] = "reliable"

    message = rejected(tmp_path, stored)

    assert "people[4].email: sam.lee@example.com is also people[2]" in message
    assert 'objectives[1].ref: "reliable" is also the ref of objectives[0]' in message


def test_all_problems_are_listed_one_per_line(tmp_path, stored):
    stored["objectives"][1]["key_results"][0]["target"] = "abc"
    stored["objectives"][1]["key_results"][1]["baseline"] = "1,5"
    stored["cycle"]["ends_on"] = "2026-09-01"

    message = rejected(tmp_path, stored)

    lines = message.splitlines()
    assert lines[0].endswith("3 problem(s).")
    assert len(lines) == 4
    assert any(line.startswith("cycle.ends_on: 2026-09-01 is not after") for line in lines)


def test_not_json(tmp_path):
    with pytest.raises(CommandError, match=r"okrs\.json: not valid JSON: .* line 1, column 12"):
        import_data(tmp_path, '{"units": [}')
    assert OrgUnit.objects.count() == 0


def test_missing_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read it"):
        run_import(tmp_path / "nope.json")


# The demo organisation ------------------------------------------------------------------------

DEMO = ROOT / "okrs" / "demo" / "demo-organisation.json"


def test_demo_file_imports_cleanly_with_the_documented_logins():
    output = run_import(DEMO)

    assert counts(output)["objectives"][0] == Objective.objects.count() >= 40
    admin = User.objects.get(email="admin@example.com")
    assert admin.is_superuser and admin.is_staff and not admin.memberships.exists()
    leader = User.objects.get(email="leader@example.com")
    assert [(m.unit.kind, m.role) for m in leader.memberships.all()] == [("company", "lead")]
    lead = User.objects.get(email="lead@example.com")
    (team,) = [m.unit for m in lead.memberships.all() if m.role == "lead"]
    assert team.kind == "team" and team.parent.kind == "function"
    engineer = User.objects.get(email="engineer@example.com")
    assert Membership.objects.get(user=engineer, unit=team).role == "member"
    assert engineer.owned_key_results.count() >= 3


def test_demo_organisation_has_the_shape_the_product_checks_need():
    run_import(DEMO)
    cycle = Cycle.objects.get(name="2026 Q4")
    units = OrgUnit.objects.all()
    teams = units.filter(kind="team")

    assert Cycle.objects.current(date(2026, 11, 22)) == cycle and cycle.phase == "running"
    assert units.filter(kind="function").count() == 4 and 10 <= teams.count() <= 14
    assert 35 <= User.objects.count() <= 45
    assert User.objects.values("time_zone").distinct().count() >= 8
    # Every team has a lead.
    assert not teams.exclude(memberships__role="lead").exists()
    # The company has 3 objectives; every function aligns 2-3 to the company's.
    assert Objective.objects.filter(unit__kind="company").count() == 3
    for function in units.filter(kind="function"):
        objectives = Objective.objects.filter(unit=function)
        assert 2 <= objectives.count() <= 3
        assert all(o.links_up.filter(parent__unit__kind="company").exists() for o in objectives)
    # One team over the five-objective line, the others three to five.
    per_team = sorted(Objective.objects.filter(unit=t).count() for t in teams)
    assert per_team[-1] == 6 and per_team[-2] <= 5 and per_team[0] >= 3
    # Alignment: one team objective straight to the company, exactly one aligned to nothing.
    team_objectives = Objective.objects.filter(unit__kind="team")
    assert team_objectives.filter(links_up__parent__unit__kind="company").exists()
    assert team_objectives.filter(links_up__isnull=True).count() == 1
    # Something for the key-result checks to find, and for progress bars to show.
    assert KeyResult.objects.filter(statement="Migrate the auth service to OAuth 2.0").exists()
    assert KeyResult.objects.filter(baseline_value__isnull=True, target__isnull=False).exists()
    assert KeyResult.objects.filter(current_value__isnull=False).count() >= 50
    assert Objective.objects.filter(kind="committed").count() >= 2
    assert Dependency.objects.count() >= 2
    assert all(2 <= o.key_results.count() <= 4 for o in Objective.objects.all())
    assert not KeyResult.objects.filter(owner__isnull=True).exists()


def test_demo_round_trips(tmp_path):
    run_import(DEMO)
    first = export()

    wipe()
    import_data(tmp_path, first)

    assert export() == first


def test_imported_key_results_date_from_their_cycles_setting_window(tmp_path):
    """A key result imported mid-quarter was set with its cycle: one never checked in is due
    from the first due date, not from the day of the import."""
    import_data(tmp_path, doc_example())
    kr = KeyResult.objects.select_related("objective__cycle").first()
    assert kr.created_at.date() == kr.objective.cycle.setting_opens_on
