"""Writes about OKRs. Keyword-only, validated, one transaction, permission checked.

`by` is the person acting. Management commands (import, demo data) pass `by=None`: they run
with the operator's authority and check nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import OrgUnit, User
from okrs.models import AlignmentLink, Dependency, KeyResult, Metric, Objective


def require_perm(by: User | None, perm: str, obj: Any, message: str) -> None:
    if by is not None and not by.has_perm(perm, obj):
        raise PermissionDenied(message)


@transaction.atomic
def metric_get_or_create(
    *, name: str, unit: str = "", definition: str = "", source: str = ""
) -> Metric:
    """The organisation's metric with this name (any case), created if new."""
    name = " ".join(name.split())
    metric = Metric.objects.filter(name__iexact=name).first()
    if metric is None:
        metric = Metric(name=name, unit=unit, definition=definition, source=source)
        metric.full_clean()
        metric.save()
    return metric


@transaction.atomic
def objective_create(
    *, unit: OrgUnit, cycle: Any, title: str, by: User | None, **fields: Any
) -> Objective:
    """Add an objective at the end of the unit's list for the cycle."""
    require_perm(by, "okrs.edit_unit", unit, "Only leads of this unit edit its objectives.")
    last = Objective.objects.filter(unit=unit, cycle=cycle).aggregate(m=Max("order"))["m"]
    objective = Objective(
        unit=unit,
        cycle=cycle,
        title=title.strip(),
        order=last + 1 if last is not None else 0,
        **fields,
    )
    objective.full_clean()
    objective.save()
    return objective


@transaction.atomic
def key_result_create(
    *, objective: Objective, statement: str, by: User | None, **fields: Any
) -> KeyResult:
    """Add a key result at the end of the objective's list."""
    require_perm(
        by, "okrs.change_objective", objective, "Only leads of this unit edit its key results."
    )
    last = objective.key_results.aggregate(m=Max("order"))["m"]
    kr = KeyResult(
        objective=objective,
        statement=statement.strip(),
        order=(last + 1) if last is not None else 0,
        **fields,
    )
    kr.full_clean()
    kr.save()
    if kr.metric_id and kr.baseline_value is not None:
        metric_record_measurement(
            metric=kr.metric, value=kr.baseline_value, measured_on=kr.baseline_measured_on
        )
    return kr


def metric_record_measurement(*, metric: Metric, value: Decimal, measured_on: Any) -> None:
    """Remember a metric's latest known value, unless a newer one is already recorded."""
    if measured_on is None:
        return
    if metric.last_measured_on is None or measured_on >= metric.last_measured_on:
        Metric.objects.filter(pk=metric.pk).update(last_value=value, last_measured_on=measured_on)
        metric.last_value, metric.last_measured_on = value, measured_on


def alignment_creates_cycle(
    links: Iterable[tuple[int, int]], child_id: int, parent_id: int
) -> bool:
    """Would adding child -> parent close a loop? True when the child is already reachable
    upward from the parent (or is the parent)."""
    ups: dict[int, list[int]] = {}
    for c, p in links:
        ups.setdefault(c, []).append(p)
    stack, seen = [parent_id], set()
    while stack:
        node = stack.pop()
        if node == child_id:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(ups.get(node, []))
    return False


def alignment_link_validate(*, child: Objective, parent: Objective) -> None:
    """Same cycle, not itself, not twice, no loop. Raises ValidationError naming the problem."""
    if child.pk == parent.pk:
        raise ValidationError({"parent": "An objective cannot contribute to itself."})
    if child.cycle_id != parent.cycle_id:
        raise ValidationError(
            {"parent": "Alignment stays within one cycle: that objective belongs to another."}
        )
    if AlignmentLink.objects.filter(child=child, parent=parent).exists():
        raise ValidationError({"parent": "This objective already contributes to that one."})
    links = AlignmentLink.objects.filter(child__cycle_id=child.cycle_id).values_list(
        "child_id", "parent_id"
    )
    if alignment_creates_cycle(links, child.pk, parent.pk):
        raise ValidationError(
            {
                "parent": f"“{parent.title}” already contributes to “{child.title}”, directly or "
                "through others: linking back would make a loop."
            }
        )


@transaction.atomic
def alignment_link_create(
    *,
    child: Objective,
    parent: Objective,
    how: str,
    by: User | None,
    expected_contribution: str = "",
) -> AlignmentLink:
    """The child's team says its objective contributes to `parent`, and how."""
    require_perm(
        by,
        "okrs.change_objective",
        child,
        "Only leads of the contributing unit choose what it aligns to.",
    )
    cycle_model = Objective._meta.get_field("cycle").related_model  # okrs imports no cycles code
    # Serialise link changes within the cycle: two concurrent links could each pass the loop
    # check and together close a loop.
    list(cycle_model.objects.select_for_update().filter(pk=child.cycle_id))
    alignment_link_validate(child=child, parent=parent)
    link = AlignmentLink(
        child=child,
        parent=parent,
        how=how.strip(),
        expected_contribution=expected_contribution.strip(),
        created_by=by,
    )
    link.full_clean()
    link.save()
    return link


@transaction.atomic
def objective_answer_sufficiency(
    *, objective: Objective, answer: str, note: str = "", by: User | None
) -> Objective:
    """The parent's answer to "if everything that contributes were achieved, would this
    objective's key results reach their targets?": yes, partly or no, with a note saying what
    would still be missing (required unless the answer is yes).

    Saves only these two fields and leaves `version` alone: the answer is not an edit of the
    objective, and must not make a lead's open edit of its title or key results go stale.
    """
    require_perm(
        by,
        "okrs.answer_sufficiency",
        objective,
        "Only the objective's owner or its unit's leads answer for it.",
    )
    if not answer:
        raise ValidationError({"sufficiency": "Choose yes, partly or no."})
    objective.sufficiency = answer
    objective.sufficiency_note = note.strip()
    # Validates the choice (and the note's type) without re-checking the rest of the row.
    objective.full_clean(
        exclude=[
            f.name
            for f in Objective._meta.fields
            if f.name not in ("sufficiency", "sufficiency_note")
        ],
        validate_constraints=False,
    )
    if answer != Objective.Sufficiency.YES and not objective.sufficiency_note:
        raise ValidationError({"sufficiency_note": "Say what would still be missing."})
    objective.updated_at = timezone.now()
    Objective.objects.filter(pk=objective.pk).update(
        sufficiency=objective.sufficiency,
        sufficiency_note=objective.sufficiency_note,
        updated_at=objective.updated_at,
    )
    return objective


@transaction.atomic
def dependency_create(
    *, objective: Objective, provider: OrgUnit, description: str, by: User | None
) -> Dependency:
    """Record that an objective needs something from another unit."""
    require_perm(
        by, "okrs.change_objective", objective, "Only leads of this unit record its dependencies."
    )
    if provider.pk == objective.unit_id:
        raise ValidationError({"provider": "A dependency is on another unit."})
    dependency = Dependency(
        objective=objective, provider=provider, description=description.strip(), requested_by=by
    )
    dependency.full_clean()
    dependency.save()
    return dependency
