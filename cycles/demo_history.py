"""Two closed quarters before the demo's current one (2026 Q2 and 2026 Q3), so that scoring,
retrospectives and calibration have a history to show (manage.py load_demo).

Generated, deterministically, from the demo file's current quarter: each unit's past
objectives (the company's and the functions' too, linked as their successors are, so the
past quarters' alignment trees have the same shape) pursue the same themes on the same
metrics, and the numbers chain (a key result's final value in Q3 is the baseline its
successor in Q4 starts from). Each team has a profile
that shapes its scores, its confidence and its check-in habits, so the calibration pages tell
something true:

* Checkout sets safe aspirational targets: it averages 0.9 or more in both quarters (flagged).
* Identity & Access sets targets far out of reach: it averages 0.2 or less in both (flagged),
  and stops checking in half-way.
* Payments Platform (lead@example.com's team) is over-confident: it says about 80% and reaches
  its line about a third of the time.
* Site Reliability is well calibrated; Mobile SDK played it safe in Q3 only (not flagged: one
  quarter is not a pattern); the other teams are ordinary.

Everything is written with bulk inserts (about a hundred key results, six hundred check-ins):
a second run finds the quarters there and does nothing. Check-ins are history written by an
operator's command, like cycles.demo's; scores and retrospectives are rows, as the services
would write them, with KeyResult.score and its note set alongside.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Prefetch

from accounts.models import Membership, OrgUnit, User
from cycles.cadence import due_times
from cycles.closing import signals_for
from cycles.demo import FIRST, WHAT_CHANGED
from cycles.models import (
    CadenceMap,
    CheckIn,
    Cycle,
    RetroAction,
    RetroMark,
    Retrospective,
    Score,
    score_note,
)
from cycles.scoring import SUCCESS_LINE, suggest
from okrs.models import AlignmentLink, KeyResult, Objective, ObjectiveComment

PAST = [
    ("2026 Q2", date(2026, 4, 1), date(2026, 6, 30)),
    ("2026 Q3", date(2026, 7, 1), date(2026, 9, 30)),
]

# Profile: the scores it aims its key results at, per quarter, and how it forecasts.
NORMAL, OVERCONFIDENT, SANDBAG, DISCONNECTED, CALIBRATED, LATE_SAFE = (
    "normal",
    "overconfident",
    "sandbag",
    "disconnected",
    "calibrated",
    "late_safe",
)
PROFILE = {
    "Payments Platform": OVERCONFIDENT,
    "Checkout": SANDBAG,
    "Identity & Access": DISCONNECTED,
    "Site Reliability": CALIBRATED,
    "Mobile SDK": LATE_SAFE,
}
SCORES = {
    NORMAL: ([0.7, 0.5, 0.8, 0.6, 0.4], [0.6, 0.8, 0.5, 0.7, 0.9]),
    OVERCONFIDENT: ([0.3, 0.5, 0.6, 0.4, 0.2], [0.4, 0.6, 0.3, 0.5, 0.7]),
    SANDBAG: ([1.0, 1.0, 0.9, 1.0, 1.0], [1.0, 0.9, 1.0, 1.0, 1.0]),
    DISCONNECTED: ([0.1, 0.0, 0.2, 0.1, 0.2], [0.2, 0.1, 0.0, 0.2, 0.1]),
    CALIBRATED: ([0.9, 0.5, 0.7, 0.3, 0.8], [0.6, 1.0, 0.4, 0.8, 0.7]),
    LATE_SAFE: ([0.7, 0.4, 0.8, 0.6, 0.5], [1.0, 0.9, 1.0, 1.0, 0.9]),
}
# Chance that a due check-in is missed, and that one is made late (beyond two days).
HABITS = {
    NORMAL: (0.08, 0.1),
    OVERCONFIDENT: (0.05, 0.05),
    SANDBAG: (0.0, 0.05),
    DISCONNECTED: (0.35, 0.25),
    CALIBRATED: (0.03, 0.05),
    LATE_SAFE: (0.1, 0.1),
}
# Q2 still had key results written as outputs, without a baseline; by Q3 most teams had
# stopped (a trend the calibration page shows).
OUTPUTS = {
    "2026 Q2": {
        "Payments Platform": "Migrate refunds to the new ledger service",
        "Identity & Access": "Roll out the new SSO provider to all internal tools",
        "Developer Experience": "Build a self-service preview environment platform",
        "Data Platform": "Launch the data catalogue",
        "Security Operations": "Deploy the new SIEM agents",
    },
    "2026 Q3": {"Identity & Access": "Complete the OAuth 2.0 migration design"},
}

RETRO_TEXT = {
    OVERCONFIDENT: {
        "learned": "We kept saying 80% when the numbers said 50%. The plan looked good in week "
        "one and we never re-read it against the data.",
        "badly_calibrated": "{kr} was set from the plan, not from what moved last quarter.",
        "mattered_less": "The dashboard work mattered less than we thought; merchants never "
        "asked for it.",
        "wrong_assumptions": "That the second acquirer would be live by mid-quarter.",
        "actions": [
            "Set confidence from the last two weeks' numbers, not from the plan",
            "Agree the acquirer dates with Cloud Infrastructure before we set targets",
        ],
        "note": "Confidence was high all quarter and the number moved half as far: set the "
        "target from last quarter's real pace.",
    },
    SANDBAG: {
        "learned": "Everything landed. Looking back, most of it would have landed without a plan.",
        "badly_calibrated": "{kr} was reached in the first month.",
        "mattered_less": "None really: they were all safe bets.",
        "wrong_assumptions": "That a target we were sure of would still stretch us.",
        "actions": [
            "Set each aspirational target where we are 50-60% sure, not 90%",
            "Bring one target that scares us to the setting workshop",
        ],
        "note": "Reached early: next time aim at least twice as far.",
    },
    DISCONNECTED: {
        "learned": "We set targets from where we wanted to be, not from where we were. After "
        "week six nobody looked at them.",
        "badly_calibrated": "{kr}: the target assumed a tool we did not have yet.",
        "mattered_less": "The migration design work: it did not move any number we track.",
        "wrong_assumptions": "That the vendor's API would be ready in July.",
        "actions": [
            "Set each target from last quarter's measured change, at most double it",
            "Check in every two weeks even when nothing moved",
        ],
        "note": "The target was five times what we had ever moved in a quarter.",
    },
    CALIBRATED: {
        "learned": "Our confidence tracked reality: when it dropped we re-planned in time.",
        "badly_calibrated": "{kr} was a little too hard: the alerting work took longer.",
        "mattered_less": "Postmortem hygiene mattered less than detection.",
        "wrong_assumptions": "That the on-call rota could absorb the SLO work.",
        "actions": ["Keep the fortnightly confidence review; it works"],
        "note": "About right: keep the same pace.",
    },
    NORMAL: {
        "learned": "Most of the plan worked; the parts that did not were the ones waiting on "
        "other teams.",
        "badly_calibrated": "{kr} was about right; the rest too.",
        "mattered_less": "",
        "wrong_assumptions": "That dependencies agreed in setting would hold all quarter.",
        "actions": ["Confirm each dependency again at the mid-quarter check-in"],
        "note": "",
    },
}
RETRO_TEXT[LATE_SAFE] = RETRO_TEXT[NORMAL]


@dataclass
class PastHistory:
    cycles: int
    key_results: int
    check_ins: int


def _rng(*parts: str) -> random.Random:
    return random.Random(zlib.crc32("/".join(parts).encode()))


def _places(*values: Decimal | None) -> int:
    known = [v for v in values if v is not None]
    return max((max(0, -v.normalize().as_tuple().exponent) for v in known), default=0)


def _q(value: float, places: int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


PROPER = {"Kubernetes"}


def _lower_first(name: str) -> str:
    """“Payments API 5xx rate” -> “the payments API 5xx rate”; “SDK crash-free sessions” keeps
    its capitals."""
    first = name.split(" ", 1)[0]
    if len(name) > 1 and name[1].islower() and first not in PROPER:
        name = name[0].lower() + name[1:]
    return name


def _statement(direction: str, metric: str, baseline: Decimal, target: Decimal, unit: str) -> str:
    def show(v: Decimal) -> str:
        text = format(v.normalize(), "f")
        return f"{text}{unit}" if unit in ("%", "‰") else f"{text} {unit}".rstrip()

    what = _lower_first(metric)
    if direction == "increase":
        return f"Raise {what} from {show(baseline)} to {show(target)}"
    if direction == "decrease":
        return f"Cut {what} from {show(baseline)} to {show(target)}"
    line = "at or above" if direction == "stay_above" else "at or below"
    return f"Keep {what} {line} {show(target)}"


@dataclass
class Plan:
    """One past key result, before it is written."""

    source: KeyResult
    statement: str
    direction: str
    baseline: Decimal | None
    target: Decimal | None
    final: Decimal | None
    judged: Decimal | None = None  # a score given by judgement (no suggestion possible)


def _plan(source: KeyResult, final: Decimal, aim: float, rng: random.Random) -> Plan:
    """A past key result on `source`'s metric that ended at `final` and scores about `aim`."""
    direction = source.direction
    places = _places(source.baseline_value, source.target)
    step = abs(float(source.target - source.baseline_value)) or abs(float(final)) * 0.1 or 1.0
    if direction in ("stay_above", "stay_below"):
        line = source.target
        held = aim >= 0.5
        # A held line keeps the final value on the right side; a lost one crosses it.
        sign = 1 if direction == "stay_above" else -1
        if held != ((final - line) * sign >= 0):
            final = _q(float(line) + sign * step * (0.1 if held else -0.1), places)
        baseline = _q(float(line) + sign * step * 0.2, places)
        return Plan(source, "", direction, baseline, line, final)
    dirn = 1 if direction == "increase" else -1
    moved = step * (rng.uniform(0.1, 0.2) if aim <= 0.2 else rng.uniform(0.35, 0.6))
    percent = (source.unit or (source.metric.unit if source.metric else "")) == "%"
    if 0 < aim < 1:
        # Keep the target inside what the metric can reach (no "from 1272 to 0 seconds", no
        # "to 104%"): shrink the movement until baseline + movement / aim fits.
        if dirn < 0:
            room = 0.9 * float(final) / (1 / aim - 0.9) if 1 / aim > 0.9 else moved
            moved = min(moved, room)
        elif percent:
            limit = float(final) + 0.9 * (100.0 - float(final))  # short of 100%
            moved = min(moved, (limit - float(final)) / (1 / aim - 1))
    baseline_f = float(final) - dirn * moved
    if aim >= 1.0:
        target_f = baseline_f + dirn * moved * rng.uniform(0.75, 0.95)
    elif aim <= 0.0:
        baseline_f = float(final) + dirn * moved * 0.1
        target_f = baseline_f + dirn * moved
    else:
        target_f = baseline_f + dirn * moved / aim
    target_f = max(0.0, min(100.0, target_f)) if percent else max(0.0, target_f)
    baseline_f = max(0.0, baseline_f)
    # A share may take a decimal to show a small movement; counts of things stay whole.
    extra = 1 if percent and step < 10 ** (-places) * 5 else 0
    baseline, target = _q(baseline_f, places + extra), _q(target_f, places + extra)
    if baseline == target:
        target = baseline + dirn * Decimal(1).scaleb(-(places + extra))
    return Plan(source, "", direction, baseline, target, _q(float(final), places + extra))


def _confidence_path(profile: str, reached: bool, n: int, rng: random.Random) -> list[int]:
    # Early forecasts cannot know the outcome: a calibrated or ordinary team starts where it
    # starts and moves toward what is happening as the quarter goes on.
    opening = rng.choice([55, 60, 65, 70])
    start, end = {
        OVERCONFIDENT: (80, 75),
        SANDBAG: (90, 95),
        DISCONNECTED: (55, 20),
        CALIBRATED: (opening, 85) if reached else (opening, 25),
        LATE_SAFE: (70, 85) if reached else (opening, 45),
        NORMAL: (opening, 80) if reached else (opening, 40),
    }[profile]
    path = []
    for i in range(n):
        share = i / max(1, n - 1)
        value = start + (end - start) * share + rng.choice([-5, 0, 0, 5])
        path.append(int(max(5, min(100, round(value / 5) * 5))))
    return path


def _value_path(plan: Plan, n: int, rng: random.Random) -> list[Decimal]:
    start = plan.baseline if plan.baseline is not None else plan.final
    assert start is not None and plan.final is not None
    places = _places(plan.baseline, plan.target, plan.final)
    span = float(plan.final - start)
    values = []
    for i in range(1, n + 1):
        if i == n:
            values.append(plan.final)
            break
        wobble = rng.uniform(-0.1, 0.1) * abs(span)
        values.append(_q(float(start) + span * i / n + wobble, places))
    return values


def _at(day: date, hours: float) -> datetime:
    return datetime.combine(day, time(9), tzinfo=UTC) + timedelta(hours=hours)


@transaction.atomic
def demo_past_cycles_create(*, current_cycle_name: str) -> PastHistory:
    """Create 2026 Q2 and Q3, closed, with scores, check-ins and retrospectives, unless they
    exist already."""
    if Cycle.objects.filter(name__in=[name for name, _, _ in PAST]).exists():
        return PastHistory(cycles=0, key_results=0, check_ins=0)
    current = Cycle.objects.filter(name=current_cycle_name).first()
    if current is None:
        return PastHistory(cycles=0, key_results=0, check_ins=0)
    # Every unit, the company and its functions included, so the past quarters' alignment
    # trees have tops.
    units = list(
        OrgUnit.objects.prefetch_related(
            Prefetch(
                "objectives",
                queryset=Objective.objects.filter(cycle=current)
                .order_by("order", "pk")
                .prefetch_related(
                    Prefetch(
                        "key_results",
                        queryset=KeyResult.objects.select_related("metric", "owner").order_by(
                            "order", "pk"
                        ),
                    )
                ),
            ),
            Prefetch("memberships", queryset=Membership.objects.select_related("user")),
        ).order_by("name")
    )
    cadences = CadenceMap.load()
    # The numbers chain backwards: Q3 ends where Q4 began, Q2 where Q3 began.
    finals: dict[tuple[int, int], Decimal] = {}  # (unit, metric) -> the next quarter's baseline
    created_krs = created_check_ins = 0
    cycles = []
    links = list(
        AlignmentLink.objects.filter(child__cycle=current).values_list(
            "child_id", "parent_id", "how", "expected_contribution"
        )
    )
    for name, starts_on, ends_on in reversed(PAST):
        cycle = Cycle(name=name, starts_on=starts_on, ends_on=ends_on, **_dates(starts_on, ends_on))
        cycle.phase = Cycle.Phase.CLOSED
        cycle.full_clean()
        cycle.save()
        cycles.append(cycle)
        Cycle.objects.filter(pk=cycle.pk).update(created_at=_at(cycle.setting_opens_on, -24))
        copies: dict[int, Objective] = {}  # this quarter's objective -> its past one
        for unit in units:
            n_krs, n_check_ins = _team_quarter(unit, cycle, cadences, finals, copies)
            created_krs += n_krs
            created_check_ins += n_check_ins
        # The links of the current quarter, where both ends have a past counterpart.
        AlignmentLink.objects.bulk_create(
            AlignmentLink(
                child=copies[child],
                parent=copies[parent],
                how=how,
                expected_contribution=expected,
            )
            for child, parent, how, expected in links
            if child in copies and parent in copies
        )
    return PastHistory(cycles=len(cycles), key_results=created_krs, check_ins=created_check_ins)


def _dates(starts_on: date, ends_on: date) -> dict[str, date]:
    return Cycle.default_dates(starts_on, ends_on)


def _team_quarter(
    team: OrgUnit,
    cycle: Cycle,
    cadences: CadenceMap,
    finals: dict[tuple[int, int], Decimal],
    copies: dict[int, Objective],
) -> tuple[int, int]:
    """One unit's quarter (`team` may be the company or a function too): its objectives,
    key results, check-ins, scores and retrospective. Adds each new objective to `copies`
    under the current quarter's objective it was made from."""
    profile = PROFILE.get(team.name, NORMAL)
    quarter = 0 if cycle.name.endswith("Q2") else 1
    aims = SCORES[profile][quarter]
    rng = _rng(team.name, cycle.name)
    memberships = list(team.memberships.all())
    lead = next((m.user for m in memberships if m.role == Membership.Role.LEAD), None)
    people = [m.user for m in memberships] or ([lead] if lead else [])
    sources = list(team.objectives.all())
    if not sources or lead is None:
        return 0, 0
    # Two objectives a quarter, on themes the team still pursues in Q4.
    picked = [sources[0], sources[1 % len(sources)]] if quarter else [sources[-1], sources[0]]
    if picked[0].pk == picked[1].pk:
        picked = picked[:1]
    setting_at = _at(cycle.setting_opens_on, 24 * 3)
    objectives, plans_by_objective = [], []
    aim_index = 0
    for order, source in enumerate(picked):
        objective = Objective(
            unit=team,
            cycle=cycle,
            title=source.title,
            description=source.description,
            kind=source.kind,
            status=Objective.Status.AGREED,
            owner=source.owner,
            order=order,
        )
        plans = []
        for kr in source.key_results.all():
            if kr.metric is None or kr.baseline_value is None or kr.target is None:
                continue
            final = finals.get((team.pk, kr.metric_id), kr.baseline_value)
            plan = _plan(kr, final, aims[aim_index % len(aims)], rng)
            aim_index += 1
            plan.statement = _statement(
                plan.direction, kr.metric.name, plan.baseline, plan.target, kr.unit
            )
            finals[(team.pk, kr.metric_id)] = plan.baseline
            plans.append(plan)
        output = OUTPUTS.get(cycle.name, {}).get(team.name)
        if output and order == 0:
            plans.append(
                Plan(
                    source=source.key_results.all()[0],
                    statement=output,
                    direction="increase",
                    baseline=None,
                    target=None,
                    final=None,
                    judged=Decimal("1.0") if profile != DISCONNECTED else Decimal("0.1"),
                )
            )
        if plans:
            objectives.append(objective)
            plans_by_objective.append(plans)
            copies[source.pk] = objective
    Objective.objects.bulk_create(objectives)
    Objective.objects.filter(pk__in=[o.pk for o in objectives]).update(
        created_at=setting_at, updated_at=setting_at + timedelta(days=6)
    )
    comments = []
    for objective in objectives:
        comments += [
            ObjectiveComment(
                objective=objective,
                author=lead,
                kind=ObjectiveComment.Kind.COMMENT,
                body="Baselines checked against last quarter's dashboard.",
                created_at=setting_at + timedelta(days=2),
            ),
            ObjectiveComment(
                objective=objective,
                author=lead,
                kind=ObjectiveComment.Kind.PROPOSED,
                created_at=setting_at + timedelta(days=4),
            ),
            ObjectiveComment(
                objective=objective,
                kind=ObjectiveComment.Kind.AGREED,
                created_at=setting_at + timedelta(days=7),
            ),
        ]
    ObjectiveComment.objects.bulk_create(comments)

    krs: list[KeyResult] = []
    for objective, plans in zip(objectives, plans_by_objective, strict=True):
        for order, plan in enumerate(plans):
            source = plan.source
            krs.append(
                KeyResult(
                    objective=objective,
                    statement=plan.statement,
                    metric=source.metric if plan.baseline is not None else None,
                    unit=source.unit if plan.baseline is not None else "",
                    direction=plan.direction,
                    baseline_value=plan.baseline,
                    baseline_measured_on=cycle.starts_on - timedelta(days=1)
                    if plan.baseline is not None
                    else None,
                    baseline_source=source.baseline_source if plan.baseline is not None else "",
                    target=plan.target,
                    owner=source.owner or lead,
                    order=order,
                )
            )
    KeyResult.objects.bulk_create(krs)
    KeyResult.objects.filter(pk__in=[kr.pk for kr in krs]).update(
        created_at=setting_at, updated_at=setting_at + timedelta(days=6)
    )
    plans_flat = [p for plans in plans_by_objective for p in plans]
    cadence = cadences.for_unit(team.pk)
    miss, late = HABITS[profile]
    check_ins: list[CheckIn] = []
    scores: list[Score] = []
    marks: list[tuple[KeyResult, str, list[int], Decimal]] = []
    for kr, plan, objective in (
        (kr, plan, kr.objective) for kr, plan in zip(krs, plans_flat, strict=True)
    ):
        owner = kr.owner or lead
        times = due_times(
            starts_on=cycle.starts_on,
            ends_on=cycle.ends_on,
            cadence=cadence,
            zone_name=owner.time_zone or "UTC",
        )
        krng = _rng(team.name, cycle.name, plan.statement)
        moments = []
        for i, due in enumerate(times):
            if i and krng.random() < miss:
                continue
            hours = krng.uniform(1, 40) if krng.random() >= late else krng.uniform(80, 120)
            moments.append(due + timedelta(hours=hours))
        if plan.final is None:
            moments = moments[:2]  # an output: a couple of "in progress" notes
        if plan.judged is not None:
            score_value, suggested = plan.judged, None
            confidences = _confidence_path(profile, True, len(moments), krng)
            # An output: "how much of it is done", from nothing to done.
            values = [Decimal(i) for i in range(len(moments))]
        else:
            suggestion = suggest(
                direction=plan.direction,
                baseline=plan.baseline,
                target=plan.target,
                final=plan.final,
            ).score
            assert suggestion is not None
            score_value = suggested = suggestion
            reached = suggestion >= SUCCESS_LINE[objective.kind]
            confidences = _confidence_path(profile, reached, len(moments), krng)
            values = _value_path(plan, len(moments), krng)
        for i, (moment, confidence, value) in enumerate(
            zip(moments, confidences, values, strict=True)
        ):
            check_ins.append(
                CheckIn(
                    key_result=kr,
                    author=owner,
                    created_at=moment,
                    confidence=confidence,
                    value=value,
                    what_changed=krng.choice(WHAT_CHANGED) if i else FIRST,
                    via=CheckIn.Via.IMPORT,
                )
            )
        reason, reason_text = "", ""
        if (
            suggested is not None
            and profile in (NORMAL, OVERCONFIDENT)
            and krng.random() < 0.25
            and suggested <= Decimal("0.8")
        ):
            score_value = suggested + Decimal("0.1")
            reason = Score.Reason.DATA_LATE
            reason_text = "the last week's numbers arrived after the quarter closed"
        scored_at = _at(cycle.ends_on, 24 * 4 + krng.uniform(0, 48))
        scores.append(
            Score(
                key_result=kr,
                score=score_value,
                suggested=suggested,
                final_value=plan.final,
                reason=reason,
                reason_text=reason_text,
                scored_by=lead,
                scored_at=scored_at,
            )
        )
        marks.append((kr, plan.statement, confidences, score_value))
    CheckIn.objects.bulk_create(check_ins)
    Score.objects.bulk_create(scores)
    last: dict[int, CheckIn] = {}
    for ci in check_ins:
        last[ci.key_result_id] = ci
    for kr, score in zip(krs, scores, strict=True):
        ci = last.get(kr.pk)
        KeyResult.objects.filter(pk=kr.pk).update(
            current_value=ci.value if ci else None,
            confidence=ci.confidence if ci else None,
            checked_in_at=ci.created_at if ci else None,
            score=score.score,
            score_note=score_note(
                score=score.score,
                suggested=score.suggested,
                reason=score.reason,
                reason_text=score.reason_text,
            ),
        )
    _retrospective(team, cycle, profile, lead, people, marks, rng)
    return len(krs), len(check_ins)


def _retrospective(
    team: OrgUnit,
    cycle: Cycle,
    profile: str,
    lead: User,
    people: list[User],
    marks: list[tuple[KeyResult, str, list[int], Decimal]],
    rng: random.Random,
) -> None:
    text = RETRO_TEXT[profile]
    worst = min(marks, key=lambda m: m[3])[1] if marks else ""
    held_at = _at(cycle.retro_date, 24 * rng.randint(1, 5))
    retro = Retrospective.objects.create(
        unit=team,
        cycle=cycle,
        learned=text["learned"],
        badly_calibrated=text["badly_calibrated"].format(kr=f"“{worst}”"),
        mattered_less=text["mattered_less"],
        wrong_assumptions=text["wrong_assumptions"],
        done_at=held_at,
        updated_by=lead,
        created_at=held_at,
    )
    rows = []
    for i, (kr, _, confidences, score) in enumerate(marks):
        signals = signals_for(score, confidences)
        calibration = {
            "too_safe": RetroMark.Calibration.TOO_EASY,
            "over_reach": RetroMark.Calibration.TOO_HARD,
        }.get(signals[0] if signals else "", RetroMark.Calibration.ABOUT_RIGHT)
        # In Q2 the sandbagging team did not see it yet: it called its safe targets right.
        if profile == SANDBAG and cycle.name.endswith("Q2"):
            calibration = RetroMark.Calibration.ABOUT_RIGHT
        rows.append(
            RetroMark(
                retrospective=retro,
                key_result=kr,
                calibration=calibration,
                moved_not_objective=profile == OVERCONFIDENT and i == 1,
                note=text["note"] if i == 0 and kr.metric_id else "",
            )
        )
    RetroMark.objects.bulk_create(rows)
    owners = [lead, *[p for p in people if p != lead]]
    RetroAction.objects.bulk_create(
        [
            RetroAction(
                retrospective=retro,
                text=action,
                owner=owners[i % len(owners)],
                created_by=lead,
                created_at=held_at,
                done=cycle.name.endswith("Q2"),
            )
            for i, action in enumerate(text["actions"])
        ]
    )


def past_cycles_loaded() -> bool:
    return Cycle.objects.filter(name__in=[name for name, _, _ in PAST]).exists()
