"""What the current phase asks of the person looking: the personal part of the cycle banner
(templates/_cycle_banner.html), on every page.

One query whatever the phase and whoever looks (the person's row, annotated with their key
results due in the current cycle, their first led and member units, and an earlier cycle still
being scored or looked back on), so every page's pinned query count grows by exactly one.

An earlier cycle matters in January: the new quarter is current (it holds today's date) while
the last one is still being scored and its retrospective held; a lead is asked to do both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, User
from cycles.models import Cycle


@dataclass(frozen=True)
class Hint:
    text: str
    link_text: str = ""
    url: str = ""


def _row(user: User, cycle: Cycle) -> dict[str, Any]:
    today = timezone.localdate(timezone=user.zone)
    mine = Q(owned_key_results__objective__cycle=cycle)
    leads = Membership.objects.filter(user=OuterRef("pk"), role=Membership.Role.LEAD).order_by(
        "unit__name"
    )
    member = Membership.objects.filter(user=OuterRef("pk")).order_by("unit__name")
    closing = (
        Cycle.objects.filter(phase__in=[Cycle.Phase.SCORING, Cycle.Phase.RETRO])
        .exclude(pk=cycle.pk)
        .order_by("starts_on")
    )
    lead_count = (
        Membership.objects.filter(user=OuterRef("pk"), role=Membership.Role.LEAD)
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        User.objects.filter(pk=user.pk)
        .annotate(
            krs=Count("owned_key_results", filter=mine),
            due=Count(
                "owned_key_results",
                filter=mine & Q(owned_key_results__check_in_due_on__lte=today),
            ),
            lead_unit=Subquery(leads.values("unit_id")[:1]),
            lead_unit_name=Subquery(leads.values("unit__name")[:1]),
            leads_n=Subquery(lead_count, output_field=IntegerField()),
            member_unit=Subquery(member.values("unit_id")[:1]),
            member_unit_name=Subquery(member.values("unit__name")[:1]),
            closing_pk=Subquery(closing.values("pk")[:1]),
            closing_name=Subquery(closing.values("name")[:1]),
            closing_phase=Subquery(closing.values("phase")[:1]),
        )
        .values(
            "krs",
            "due",
            "lead_unit",
            "lead_unit_name",
            "leads_n",
            "member_unit",
            "member_unit_name",
            "closing_pk",
            "closing_name",
            "closing_phase",
        )
        .get()
    )


def _more(n: int | None) -> str:
    extra = (n or 1) - 1
    return f" (and {extra} more unit{'s' if extra > 1 else ''})" if extra > 0 else ""


def _closing_hint(row: dict[str, Any], *, pk: int, phase: str, prefix: str) -> Hint:
    view = "cycles:unit-scoring" if phase == Cycle.Phase.SCORING else "cycles:unit-retro"
    query = f"?cycle={pk}"
    if row["lead_unit"]:
        verb = "Score" if phase == Cycle.Phase.SCORING else "Run the retrospective of"
        return Hint(
            prefix,
            f"{verb} {row['lead_unit_name']}{_more(row['leads_n'])}",
            reverse(view, args=[row["lead_unit"]]) + query,
        )
    what = "scores" if phase == Cycle.Phase.SCORING else "retrospective"
    return Hint(
        prefix,
        f"{row['member_unit_name']}'s {what}",
        reverse(view, args=[row["member_unit"]]) + query,
    )


def hints_for(user: Any, cycle: Cycle | None) -> list[Hint]:
    if cycle is None or not getattr(user, "is_authenticated", False):
        return []
    if cycle.phase == Cycle.Phase.CLOSED:
        return [Hint("", "How the quarters scored", reverse("cycles:calibration"))]
    row = _row(user, cycle)
    hints: list[Hint] = []
    phase = cycle.phase
    has_unit = bool(row["lead_unit"] or row["member_unit"])
    if phase in (Cycle.Phase.SCORING, Cycle.Phase.RETRO) and has_unit:
        hints.append(_closing_hint(row, pk=cycle.pk, phase=phase, prefix=""))
    elif phase == Cycle.Phase.RUNNING:
        if row["due"]:
            n = row["due"]
            hints.append(
                Hint(
                    f"{n} of your key results {'is' if n == 1 else 'are'} due.",
                    "Check in",
                    reverse("cycles:my-key-results"),
                )
            )
        elif row["krs"]:
            hints.append(
                Hint(
                    "Your key results are checked in.",
                    "My key results",
                    reverse("cycles:my-key-results"),
                )
            )
    elif phase == Cycle.Phase.SETTING and has_unit:
        query = f"?cycle={cycle.pk}"
        if row["lead_unit"]:
            hints.append(
                Hint(
                    "",
                    f"Draft {row['lead_unit_name']}'s OKRs{_more(row['leads_n'])}",
                    reverse("okrs:unit-setting", args=[row["lead_unit"]]) + query,
                )
            )
        else:
            hints.append(
                Hint(
                    "Your lead drafts the team's OKRs: join the debate.",
                    f"{row['member_unit_name']}'s draft",
                    reverse("okrs:unit-setting", args=[row["member_unit"]]) + query,
                )
            )
    if row["closing_pk"] and has_unit:
        label = "being scored" if row["closing_phase"] == Cycle.Phase.SCORING else "looking back"
        hints.append(
            _closing_hint(
                row,
                pk=row["closing_pk"],
                phase=row["closing_phase"],
                prefix=f"{row['closing_name']} is {label}:",
            )
        )
    return hints
