"""Check-in histories for the demo organisation (manage.py load_demo).

Deterministic (seeded per key result, so two machines show the same demo) and consistent with
the demo file: every key result with a current value and confidence in the file gets one
check-in per due date that has passed, at a plausible hour after it, moving from its baseline
to the file's current value and ending exactly there, so a second import finds nothing to
change. Key results without a current value or confidence in the file stay without check-ins
(nobody has measured them yet). Dates follow the real clock: run the demo any day of the
quarter and the history reaches up to that day.

Two people have not checked in for the current period (engineer@example.com, who the demo
logins print, and one more), and two key results carry an open blocker naming another unit.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Exists, OuterRef

from accounts.models import OrgUnit
from cycles import services
from cycles.models import CadenceMap, CheckIn, Cycle
from okrs.models import KeyResult

# Not yet checked in for the current period.
LATE = ("engineer@example.com", "marta.nowak@example.com")
# (unit of the key result, its owner, the unit that could unblock it, what blocks it)
OPEN_BLOCKERS = [
    (
        "Payments Platform",
        "noah.williams@example.com",
        "Cloud Infrastructure",
        "The failover drill needs the second acquirer's IP range on the egress allow-list; "
        "the change request has waited on Cloud Infrastructure for nine days.",
    ),
    (
        "Checkout",
        "arjun.nair@example.com",
        "Identity & Access",
        "Challenge completion needs the new device-binding API from Identity & Access; "
        "their release slipped to December.",
    ),
]
EARLIER_BLOCKER = (
    "Waiting for the data team's backfill of last quarter's refunds; "
    "the numbers before it are not comparable."
)

FIRST = "First check-in of the quarter: baseline confirmed, plan agreed with the team."
WHAT_CHANGED = [
    "Shipped the first of the planned changes; the number moved about as expected.",
    "A quieter fortnight: the work landed late in the period, the effect shows next time.",
    "An incident cost us three days, but the trend is back where it was.",
    "Re-measured with the cleaned-up dashboard query: a little less progress than we thought.",
    "Two of the three changes are live; the last one is in review.",
    "The pilot with two merchants went better than planned, so we are widening it.",
    "Holiday traffic hid the effect; we will know more after the next release.",
    "Paired with the neighbouring team on the hard part; it unblocked most of the rest.",
]


@dataclass
class DemoHistory:
    created: int
    key_results: int
    due_people: int


def _places(kr: KeyResult) -> int:
    """As many decimal places as the key result's own numbers use."""
    values = [v for v in (kr.baseline_value, kr.target, kr.current_value) if v is not None]
    return max((max(0, -v.normalize().as_tuple().exponent) for v in values), default=0)


def _path(kr: KeyResult, n: int, rng: random.Random) -> list[tuple[Decimal, int]]:
    """n (value, confidence) pairs from near the baseline to exactly the file's current state."""
    final_value, final_confidence = kr.current_value, kr.confidence
    assert final_value is not None and final_confidence is not None
    start = kr.baseline_value if kr.baseline_value is not None else final_value
    quantum = Decimal(1).scaleb(-_places(kr))
    span = final_value - start
    first_confidence = max(10, min(90, final_confidence + rng.choice([-15, -10, -5, 5, 10, 15])))
    pairs = []
    for i in range(1, n + 1):
        if i == n:
            pairs.append((final_value, final_confidence))
            break
        share = Decimal(i) / Decimal(n)
        wobble = Decimal(str(rng.uniform(-0.08, 0.08))) * abs(span)
        value = (start + span * share + wobble).quantize(quantum)
        confidence = (
            round(
                (first_confidence + (final_confidence - first_confidence) * (i - 1) / max(1, n - 1))
                / 5
            )
            * 5
        )
        pairs.append((value, int(confidence)))
    return pairs


def demo_check_ins_create(*, cycle_name: str, now: datetime) -> DemoHistory:
    """Give the demo cycle's key results their check-in history, where they have none."""
    cycle = Cycle.objects.filter(name=cycle_name).first()
    if cycle is None:
        return DemoHistory(created=0, key_results=0, due_people=0)
    krs = list(
        KeyResult.objects.filter(objective__cycle=cycle, owner__isnull=False)
        .annotate(has_check_ins=Exists(CheckIn.objects.filter(key_result=OuterRef("pk"))))
        .select_related("objective__cycle", "objective__unit", "owner")
        .order_by("pk")
    )
    # An import resets current values to the file's: make them the latest check-in's again.
    services.key_results_sync_from_check_ins(
        key_result_ids=[kr.pk for kr in krs if kr.has_check_ins]
    )
    units = {u.name: u for u in OrgUnit.objects.all()}
    cadences = CadenceMap.load()
    created = touched = 0
    used: list[tuple[str, str, str, str]] = []
    for kr in krs:
        if kr.has_check_ins or kr.current_value is None or kr.confidence is None:
            continue
        rng = random.Random(zlib.crc32(f"{kr.objective.unit.name}/{kr.statement}".encode()))
        _, times = services.key_result_due_times(kr, cadences)
        passed = [t for t in times if t <= now - timedelta(hours=1)]
        if kr.owner.email in LATE and len(passed) > 1:
            passed = passed[:-1]  # not yet checked in for the current period
        moments = []
        for due in passed:
            moment = due + timedelta(hours=rng.randint(1, 40), minutes=rng.randint(0, 59))
            moments.append(min(moment, now - timedelta(minutes=30)))
        if not moments:
            continue
        blocker = next(
            (
                b
                for b in OPEN_BLOCKERS
                if (b[0], b[1]) == (kr.objective.unit.name, kr.owner.email) and b not in used
            ),
            None,
        )
        if blocker is not None:
            used.append(blocker)  # one key result each
        earlier_blocker_at = 1 if rng.random() < 0.1 and len(moments) > 2 else None
        for i, (moment, (value, confidence)) in enumerate(
            zip(moments, _path(kr, len(moments), rng), strict=True)
        ):
            last = i == len(moments) - 1
            text, unit = "", None
            if last and blocker is not None and blocker[2] in units:
                text, unit = blocker[3], units[blocker[2]]
            elif i == earlier_blocker_at:
                text = EARLIER_BLOCKER
            services.check_in_create(
                key_result=kr,
                by=None,
                author=kr.owner,
                at=moment,
                confidence=confidence,
                value=value,
                what_changed=WHAT_CHANGED[rng.randrange(len(WHAT_CHANGED))] if i else FIRST,
                blocker=text,
                blocker_unit=unit,
                notify=False,
            )
            created += 1
        touched += 1
    due_people = {
        kr.owner_id
        for kr in KeyResult.objects.filter(
            objective__cycle=cycle, owner__isnull=False
        ).select_related("objective__cycle", "owner")
        if services.due_state(kr, cadences, now).is_due(now)
    }
    return DemoHistory(created=created, key_results=touched, due_people=len(due_people))
