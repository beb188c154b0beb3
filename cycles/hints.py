"""What the current phase asks of the person looking: the personal line of the cycle banner
(templates/_cycle_banner.html), on every page.

One query whatever the phase (none for a closed cycle), so every page's pinned query count
grows by exactly one: the person's memberships (setting, scoring, retrospective) or their key
results' due counts (running).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, User
from cycles.models import Cycle
from okrs.models import KeyResult


@dataclass(frozen=True)
class Hint:
    text: str
    link_text: str = ""
    url: str = ""


def _units(user: User) -> tuple[list[Membership], list[Membership]]:
    rows = list(Membership.objects.filter(user=user).select_related("unit").order_by("unit__name"))
    return [m for m in rows if m.role == Membership.Role.LEAD], rows


def _more(items: list[Any]) -> str:
    return (
        f" (and {len(items) - 1} more unit{'s' if len(items) > 2 else ''})"
        if len(items) > 1
        else ""
    )


def hint_for(user: Any, cycle: Cycle | None) -> Hint | None:
    if cycle is None or not getattr(user, "is_authenticated", False):
        return None
    phase = cycle.phase
    if phase == Cycle.Phase.CLOSED:
        return Hint("", "How the quarters scored", reverse("cycles:calibration"))
    query = f"?cycle={cycle.pk}"
    if phase == Cycle.Phase.RUNNING:
        counts = KeyResult.objects.filter(owner=user, objective__cycle=cycle).aggregate(
            total=Count("pk"),
            due=Count("pk", filter=Q(check_in_due_on__lte=timezone.localdate(timezone=user.zone))),
        )
        if counts["due"]:
            n = counts["due"]
            return Hint(
                f"{n} of your key results {'is' if n == 1 else 'are'} due.",
                "Check in",
                reverse("cycles:my-key-results"),
            )
        if counts["total"]:
            return Hint(
                "Your key results are checked in.",
                "My key results",
                reverse("cycles:my-key-results"),
            )
        return None
    leads, memberships = _units(user)
    if phase == Cycle.Phase.SETTING:
        if leads:
            unit = leads[0].unit
            return Hint(
                "",
                f"Draft {unit.name}'s OKRs{_more(leads)}",
                reverse("okrs:unit-setting", args=[unit.pk]) + query,
            )
        if memberships:
            unit = memberships[0].unit
            return Hint(
                "Your lead drafts the team's OKRs: join the debate.",
                f"{unit.name}'s draft",
                reverse("okrs:unit-setting", args=[unit.pk]) + query,
            )
        return None
    name = "cycles:unit-scoring" if phase == Cycle.Phase.SCORING else "cycles:unit-retro"
    if leads:
        unit = leads[0].unit
        verb = "Score" if phase == Cycle.Phase.SCORING else "Run the retrospective of"
        return Hint("", f"{verb} {unit.name}{_more(leads)}", reverse(name, args=[unit.pk]) + query)
    if memberships:
        unit = memberships[0].unit
        what = "scores" if phase == Cycle.Phase.SCORING else "retrospective"
        return Hint("", f"{unit.name}'s {what}", reverse(name, args=[unit.pk]) + query)
    return None
