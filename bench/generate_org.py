"""Build a large, realistic organisation on PostgreSQL for the alignment tree benchmark.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qd_tree_bench \
        .venv/bin/python bench/generate_org.py --reset

Defaults (the sizes issue 6 asks for): one company, 40 functions, 1,500 teams (some nested
under other teams), about 9,000 people, one running cycle with 6,000 objectives, 24,000 key
results, 150,000 check-ins and the alignment links between them; `--scale 0.1` builds a tenth
of it. Deterministic for a given --seed. Takes a minute or two: rows go in with bulk_create
in large batches, inside one transaction.

What the data looks like, so the tree has something to show at every level:
- company objectives have function objectives contributing (one has none: the "nothing
  contributes" flag); most team objectives align to an objective of their own function, some
  to two parents, some straight to the company, nested teams to their parent team's, and a
  few to nothing (the "unaligned" bucket);
- some teams have six or seven objectives (the "more than five" flag);
- key results mix directions; a few lack a baseline; about one in seven is phrased as an
  output; about one in twenty carries an open blocker naming another unit; check-ins are
  weekly, and about one key result in six has missed its last due date (stale).

Check-ins are real cycles.CheckIn rows (weekly, by the key result's owner); the latest one's
figures are also written onto the key result's denormalised fields (current_value, confidence,
checked_in_at, blocker, blocker_unit, check_in_due_on), as cycles.services.check_in_create does.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._django import ensure_database, setup  # noqa: E402

FUNCTION_NAMES = [
    "Payments", "Checkout", "Merchant Experience", "Mobile", "Web Platform", "Developer Tools",
    "Cloud Infrastructure", "Site Reliability", "Data Platform", "Analytics", "Machine Learning",
    "Fraud & Risk", "Identity", "Application Security", "Security Operations", "Compliance",
    "Billing", "Ledger", "Treasury", "Payouts", "Onboarding", "Growth", "Search",
    "Notifications", "Messaging", "Support Tooling", "Internal Tools", "Quality Engineering",
    "Release Engineering", "Networking", "Storage", "Databases", "Observability", "API Platform",
    "Partner Integrations", "Localisation", "Accessibility", "Design Systems", "Performance",
    "Edge & CDN",
]  # fmt: skip
THEMES = [
    ("latency", "p95 {} latency", "ms", "decrease"),
    ("availability", "{} availability", "%", "increase"),
    ("errors", "{} error rate", "%", "decrease"),
    ("lead time", "{} deployment lead time", "hours", "decrease"),
    ("incidents", "{} incidents a month", "incidents", "decrease"),
    ("conversion", "{} conversion", "%", "increase"),
    ("adoption", "merchants using {}", "merchants", "increase"),
    ("cost", "{} cloud cost per 1,000 payments", "EUR", "decrease"),
    ("tickets", "{} support tickets a week", "tickets", "decrease"),
    ("coverage", "{} alert coverage", "%", "stay_above"),
    ("budget", "{} error budget burn", "x", "stay_below"),
]
OBJECTIVE_TEMPLATES = [
    "Make {area} something merchants never think about",
    "{Area} is fast enough that nobody waits for it",
    "Teams ship {area} changes without fear",
    "Cut the toil of running {area}",
    "Merchants trust {area} with their busiest day",
    "Know where {area} stands before customers tell us",
    "Grow {area} adoption in regulated markets",
    "Keep {area} costs flat while volume doubles",
    "Make {area} <safe> & boring to change",
]
OUTPUT_STATEMENTS = [
    "Launch the new {area} dashboard",
    "Migrate {area} jobs to the new scheduler",
    "Ship v2 of the {area} API",
    "Write runbooks for every {area} alert",
    "Hire two engineers for {area}",
]
BLOCKERS = [
    "Waiting for a database upgrade window",
    "Needs an API change from another team",
    "Vendor contract not signed yet",
    "On-call load left no time this fortnight",
    "Blocked on a security review",
]


@dataclass
class Sizes:
    functions: int
    teams: int
    objectives: int
    key_results: int
    check_ins: int
    members_per_team: int
    company_objectives: int = 6
    objectives_per_function: int = 4

    @classmethod
    def scaled(cls, scale: float) -> Sizes:
        return cls(
            functions=max(2, round(40 * scale)),
            teams=max(4, round(1500 * scale)),
            objectives=max(30, round(6000 * scale)),
            key_results=max(120, round(24000 * scale)),
            check_ins=round(150000 * scale),
            members_per_team=5,
        )


def split(total: int, parts: int, rng: random.Random, low: int, high: int) -> list[int]:
    """`parts` whole numbers between low and high (roughly) that add up to `total`."""
    counts = [rng.randint(low, high) for _ in range(parts)]
    while sum(counts) != total:
        i = rng.randrange(parts)
        if sum(counts) < total:
            counts[i] += 1
        elif counts[i] > 0:
            counts[i] -= 1
    return counts


def store_check_ins(
    rows: list[tuple[int, datetime, Decimal, int, str]], krs: list, now: datetime, batch: int
) -> int:
    """Insert the simulated check-ins as CheckIn rows. Each row: (index of the key result in
    `krs`, plus one; at; value; confidence; blocker). The author is the key result's owner.
    The key results' denormalised latest-check-in fields are written by `generate` from the
    same simulation, as cycles.services.check_in_create would have written them."""
    from cycles.models import CheckIn

    CheckIn.objects.bulk_create(
        (
            CheckIn(
                key_result_id=krs[n - 1].pk,
                author_id=krs[n - 1].owner_id,
                created_at=min(at, now),
                value=value,
                confidence=confidence,
                what_changed="Weekly update.",
                blocker=blocker,
                via=CheckIn.Via.IMPORT,
            )
            for n, at, value, confidence, blocker in rows
        ),
        batch_size=batch,
    )
    return len(rows)


def generate(sizes: Sizes, seed: int) -> dict[str, int]:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from accounts.models import Membership, OrgUnit, User
    from cycles.models import Cycle
    from okrs.models import AlignmentLink, KeyResult, Metric, Objective

    rng = random.Random(seed)
    today = datetime.now(UTC).date()
    now = datetime.now(UTC)
    batch = 2000

    with transaction.atomic():
        # Units ------------------------------------------------------------------------------
        company = OrgUnit.objects.create(name="Meridian", kind=OrgUnit.Kind.COMPANY)
        functions = OrgUnit.objects.bulk_create(
            [
                OrgUnit(
                    name=FUNCTION_NAMES[i % len(FUNCTION_NAMES)]
                    + (f" {i // len(FUNCTION_NAMES) + 1}" if i >= len(FUNCTION_NAMES) else ""),
                    kind=OrgUnit.Kind.FUNCTION,
                    parent=company,
                )
                for i in range(sizes.functions)
            ]
        )
        per_function = split(sizes.teams, sizes.functions, rng, 30, 45)
        top_teams: list[OrgUnit] = []
        nested_plan: list[tuple[OrgUnit, int]] = []  # (function, how many nested teams)
        for function, count in zip(functions, per_function, strict=True):
            nested = count // 10
            nested_plan.append((function, nested))
            top_teams += [
                OrgUnit(
                    name=f"{function.name} team {n + 1}", kind=OrgUnit.Kind.TEAM, parent=function
                )
                for n in range(count - nested)
            ]
        top_teams = OrgUnit.objects.bulk_create(top_teams, batch_size=batch)
        by_function: dict[int, list[OrgUnit]] = {}
        for team in top_teams:
            by_function.setdefault(team.parent_id, []).append(team)
        nested_teams: list[OrgUnit] = []
        for function, nested in nested_plan:
            for n in range(nested):
                parent = rng.choice(by_function[function.pk])
                nested_teams.append(
                    OrgUnit(
                        name=f"{parent.name}, squad {n + 1}", kind=OrgUnit.Kind.TEAM, parent=parent
                    )
                )
        nested_teams = OrgUnit.objects.bulk_create(nested_teams, batch_size=batch)
        teams = top_teams + nested_teams
        function_of = {f.pk: f.pk for f in functions}
        for team in top_teams:
            function_of[team.pk] = team.parent_id
        for team in nested_teams:
            function_of[team.pk] = function_of[team.parent_id]
        units = [company, *functions, *teams]

        # People -----------------------------------------------------------------------------
        password = make_password("bench")
        people = [User(email="leader@example.com", name="Lena Leader", password=password)]
        for unit in units[1:]:
            people.append(User(email=f"lead{unit.pk}@example.com", name=f"Lead of {unit.name}"))
        for team in teams:
            for m in range(sizes.members_per_team):
                people.append(
                    User(email=f"m{team.pk}-{m}@example.com", name=f"Member {m} of {team.name}")
                )
        for person in people:
            person.password = password
        people = User.objects.bulk_create(people, batch_size=batch)
        leads = {unit.pk: person for unit, person in zip(units, people, strict=False)}
        members: dict[int, list[User]] = {}
        memberships = [
            Membership(user=leads[u.pk], unit=u, role=Membership.Role.LEAD) for u in units
        ]
        cursor = len(units)
        for team in teams:
            chunk = people[cursor : cursor + sizes.members_per_team]
            cursor += sizes.members_per_team
            members[team.pk] = chunk
            memberships += [
                Membership(user=p, unit=team, role=Membership.Role.MEMBER) for p in chunk
            ]
        Membership.objects.bulk_create(memberships, batch_size=batch)

        # Cycle ------------------------------------------------------------------------------
        starts = today - timedelta(days=40)
        ends = today + timedelta(days=50)
        cycle = Cycle.objects.create(
            name=f"Bench {today:%Y}",
            starts_on=starts,
            ends_on=ends,
            phase=Cycle.Phase.RUNNING,
            **Cycle.default_dates(starts, ends),
        )

        # Objectives -------------------------------------------------------------------------
        def objective(unit: OrgUnit, order: int) -> Objective:
            area = unit.name.split(" team")[0].split(",")[0].lower()
            template = rng.choice(OBJECTIVE_TEMPLATES)
            status = rng.choices(["agreed", "proposed", "draft"], [80, 15, 5])[0]
            return Objective(
                unit=unit,
                cycle=cycle,
                title=template.format(area=area, Area=area.capitalize())[:200],
                kind=rng.choices(["aspirational", "committed"], [70, 30])[0],
                status=status,
                owner=leads[unit.pk],
                order=order,
            )

        objectives = [objective(company, i) for i in range(sizes.company_objectives)]
        for function in functions:
            objectives += [objective(function, i) for i in range(sizes.objectives_per_function)]
        remaining = sizes.objectives - len(objectives)
        per_team = split(remaining, len(teams), rng, 2, 5)
        for i in rng.sample(range(len(teams)), k=max(1, len(teams) // 12)):
            per_team[i] += 2  # some teams overcommit (the "more than five" flag)
        while sum(per_team) > remaining:
            i = rng.randrange(len(teams))
            if per_team[i] > 1:
                per_team[i] -= 1
        for team, count in zip(teams, per_team, strict=True):
            objectives += [objective(team, i) for i in range(count)]
        objectives = Objective.objects.bulk_create(objectives, batch_size=batch)
        company_objs = [o for o in objectives if o.unit_id == company.pk]
        function_objs: dict[int, list[Objective]] = {}
        team_objs: dict[int, list[Objective]] = {}
        for o in objectives:
            if o.unit_id in function_of and o.unit_id != company.pk:
                if o.unit_id == function_of[o.unit_id]:
                    function_objs.setdefault(o.unit_id, []).append(o)
                else:
                    team_objs.setdefault(o.unit_id, []).append(o)
        # Parents answer the sufficiency question about half the time.
        answered = []
        for o in company_objs + [o for objs in function_objs.values() for o in objs]:
            if rng.random() < 0.5:
                o.sufficiency = rng.choice(["yes", "partly", "no"])
                o.sufficiency_note = "" if o.sufficiency == "yes" else "Nobody covers cost yet."
                answered.append(o)
        Objective.objects.bulk_update(
            answered, ["sufficiency", "sufficiency_note"], batch_size=batch
        )

        # Alignment links --------------------------------------------------------------------
        links: list[AlignmentLink] = []
        seen: set[tuple[int, int]] = set()

        def link(child: Objective, parent: Objective) -> None:
            if (child.pk, parent.pk) in seen:
                return
            seen.add((child.pk, parent.pk))
            links.append(
                AlignmentLink(
                    child=child,
                    parent=parent,
                    how="Moves the parent's main metric through our part of the system.",
                    expected_contribution=rng.choice(["", "", "", "about a third", "+2 points"]),
                )
            )

        contributed = company_objs[:-1]  # the last company objective: nothing contributes
        for objs in function_objs.values():
            for o in objs:
                r = rng.random()
                if r < 0.05:
                    continue  # unaligned function objective
                link(o, rng.choice(contributed))
                if r > 0.9:
                    link(o, rng.choice(contributed))
        team_parent = {t.pk: t.parent_id for t in nested_teams}
        all_function_objs = [o for objs in function_objs.values() for o in objs]
        for team_id, objs in team_objs.items():
            own = function_objs[function_of[team_id]]
            for o in objs:
                r = rng.random()
                if r < 0.06:
                    continue  # unaligned: the bucket
                if team_id in team_parent and r < 0.5 and team_objs.get(team_parent[team_id]):
                    link(o, rng.choice(team_objs[team_parent[team_id]]))
                elif r < 0.11:
                    link(o, rng.choice(contributed))
                else:
                    link(o, rng.choice(own))
                if r > 0.88:
                    link(o, rng.choice(all_function_objs))
        AlignmentLink.objects.bulk_create(links, batch_size=batch)

        # Key results and their check-ins ----------------------------------------------------
        metrics = Metric.objects.bulk_create(
            [
                Metric(name=theme[1].format(f.name), unit=theme[2])
                for f in functions
                for theme in THEMES[:4]
            ]
        )
        per_objective = split(sizes.key_results, len(objectives), rng, 2, 6)
        per_kr_check_ins = split(sizes.check_ins, sizes.key_results, rng, 0, 12)
        all_units = [u.pk for u in units]
        krs: list[KeyResult] = []
        simulated: list[tuple[int, datetime, Decimal, int, str]] = []
        n = 0
        for o, count in zip(objectives, per_objective, strict=True):
            owners = members.get(o.unit_id) or [leads[o.unit_id]]
            area = rng.choice(FUNCTION_NAMES).lower()
            for order in range(count):
                theme = rng.choice(THEMES)
                direction = theme[3]
                base = Decimal(rng.randint(20, 400))
                if direction in ("increase", "stay_above"):
                    target = base * Decimal("1.5")
                else:
                    target = (base * Decimal("0.6")).quantize(Decimal("1"))
                statement = (
                    rng.choice(OUTPUT_STATEMENTS).format(area=area)
                    if rng.random() < 0.14
                    else f"{'Raise' if direction == 'increase' else 'Bring'} "
                    f"{theme[1].format(area)} from {base} {theme[2]} to {target} {theme[2]}"
                )
                kr = KeyResult(
                    objective=o,
                    statement=statement[:500],
                    metric=rng.choice(metrics) if rng.random() < 0.3 else None,
                    unit=theme[2],
                    direction=direction,
                    baseline_value=None if rng.random() < 0.06 else base,
                    baseline_measured_on=starts - timedelta(days=1),
                    target=None if rng.random() < 0.02 else target,
                    owner=rng.choice(owners),
                    order=order,
                )
                # Weekly check-ins from the start; the last one decides the fields the tree reads.
                k = per_kr_check_ins[n]
                n += 1
                value, confidence, blocker, at = base, rng.randint(40, 80), "", None
                for week in range(k):
                    at = datetime.combine(
                        starts + timedelta(days=7 * week + rng.randint(0, 2)),
                        datetime.min.time(),
                        tzinfo=UTC,
                    )
                    value = base + (target - base) * Decimal(
                        rng.uniform(0, 1.15) * (week + 1) / max(k, 1)
                    )
                    value = value.quantize(Decimal("0.01"))
                    confidence = max(0, min(100, confidence + rng.randint(-15, 12)))
                    blocker = rng.choice(BLOCKERS) if rng.random() < 0.05 else ""
                    simulated.append((n, at, value, confidence, blocker))
                if at is not None:
                    kr.current_value = value
                    kr.confidence = confidence
                    kr.checked_in_at = min(at, now)
                    kr.blocker = blocker
                    kr.blocker_unit_id = rng.choice(all_units) if blocker else None
                    # Weekly cadence; about one in six has let a due date pass (stale).
                    kr.check_in_due_on = (
                        today - timedelta(days=rng.randint(1, 10))
                        if rng.random() < 0.17
                        else today + timedelta(days=rng.randint(0, 6))
                    )
                krs.append(kr)
        KeyResult.objects.bulk_create(krs, batch_size=batch)
        stored = store_check_ins(simulated, krs, now, batch)

    return {
        "units": len(units),
        "functions": len(functions),
        "teams": len(teams),
        "people": len(people),
        "objectives": len(objectives),
        "key_results": len(krs),
        "check_ins": stored,
        "links": len(links),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = the issue's sizes")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--reset", action="store_true", help="drop and recreate the database first")
    args = parser.parse_args()
    url = setup()
    if args.reset:
        import psycopg
        from psycopg import sql

        name = url.rstrip("/").rsplit("/", 1)[1].split("?")[0]
        admin_url = url.rstrip("/").rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    ensure_database(url)

    from django.core.management import call_command

    from okrs.models import Objective

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    if Objective.objects.exists():
        sys.exit("The database already has objectives: run with --reset to start again.")
    sizes = Sizes.scaled(args.scale)
    counts = generate(sizes, args.seed)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    elapsed = time.perf_counter() - started
    print(f"Generated in {elapsed:.1f} s on {connection.settings_dict['NAME']}:")
    for name, value in counts.items():
        print(f"  {name:12} {value:>8,}")


if __name__ == "__main__":
    main()
