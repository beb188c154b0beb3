"""Writes about OKRs. Keyword-only, validated, one transaction, permission checked.

`by` is the person acting. Management commands (import, demo data) pass `by=None`: they run
with the operator's authority and check nothing.

Setting-page rules that every write here keeps:
- Closed cycles are read-only (for people; commands may still write).
- Concurrent edits: objective_update and key_result_update take the `version` the editor
  started from and save with a compare-and-set UPDATE ... WHERE version = <that>; when someone
  saved in between, nothing is written and StaleEdit carries the stored row, so the page can
  show both versions.
- Locked objectives (agreed, quarter started; Objective.is_locked) still change, but only with
  a reason, and each change is written to ObjectiveChange, field by field.
- An agreed objective changed before its quarter starts by someone who could not have agreed
  it goes back to "proposed", so the agreement always covers what is written.
- Emails go through the outbox (accounts.services.email_queue): the row is written in this
  transaction and sent after commit. Keys name the event and the person, so a retried request
  never mails twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, ProtectedError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, OrgUnit, User
from accounts.rules import UnitTree, require_perm
from accounts.services import absolute_url, email_queue
from okrs.models import (
    AlignmentLink,
    Dependency,
    FocusReason,
    KeyResult,
    Metric,
    Objective,
    ObjectiveChange,
    ObjectiveComment,
    cycle_is_closed,
)

# What the setting page edits, in the order the history lists changes.
OBJECTIVE_FIELDS = ("title", "description", "kind", "owner")
KEY_RESULT_FIELDS = (
    "statement",
    "metric",
    "unit",
    "direction",
    "baseline_value",
    "baseline_measured_on",
    "baseline_source",
    "target",
    "owner",
    "measurement_ends_on",
)
FIELD_LABELS = {
    "title": "Title",
    "description": "Description",
    "kind": "Kind",
    "owner": "Owner",
    "statement": "Statement",
    "metric": "Metric",
    "unit": "Unit",
    "direction": "Direction",
    "baseline_value": "Baseline",
    "baseline_measured_on": "Baseline measured on",
    "baseline_source": "Baseline source",
    "target": "Target",
    "measurement_ends_on": "Measured until",
    "objective": "Objective",
}


class StaleEdit(Exception):
    """Someone saved this objective or key result after the editor opened it. `current` is
    the stored row (with owner, metric and updated_by loaded) to show beside the edit."""

    def __init__(self, current: Objective | KeyResult) -> None:
        super().__init__("Changed by someone else since this edit started.")
        self.current = current


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


def require_open_cycle(by: User | None, cycle: Any) -> None:
    """People do not change a closed cycle's OKRs (commands, by=None, may)."""
    if by is not None and cycle_is_closed(cycle):
        raise ValidationError(f"{cycle.name} is closed: its OKRs are read-only.")


def _lock_reason(objective: Objective, reason: str) -> str:
    """The reason for changing a locked objective, required; "" when it is not locked."""
    if not objective.is_locked():
        return ""
    reason = reason.strip()
    if not reason:
        raise ValidationError(
            {
                "reason": "This objective was agreed and its quarter has started: say why it "
                "changes. The reason is kept in its history for everyone to read."
            }
        )
    return reason


def _shown(instance: Any, name: str) -> str:
    """A field's value in the words the page shows, for the history."""
    from okrs.templatetags.okrs import number

    value = getattr(instance, name)
    if value is None or value == "":
        return ""
    if name in ("owner", "metric", "objective"):
        return str(value)
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, date):
        return value.isoformat()
    display = getattr(instance, f"get_{name}_display", None)
    return str(display()) if display else str(value)


def _unchanged(model: Any, fields: dict[str, Any]) -> list[str]:
    """Every concrete field of `model` that an edit does not set (full_clean skips them)."""
    return [f.name for f in model._meta.concrete_fields if f.name not in fields]


def _diff(before: Any, after: Any, names: Sequence[str]) -> list[dict[str, str]]:
    changes = []
    for name in names:
        old, new = _shown(before, name), _shown(after, name)
        if old != new:
            changes.append(
                {"field": name, "label": FIELD_LABELS.get(name, name), "before": old, "after": new}
            )
    return changes


def _record(
    *,
    objective: Objective,
    action: str,
    reason: str,
    by: User | None,
    key_result: KeyResult | None = None,
    subject: str = "",
    changes: list[dict[str, str]] | None = None,
) -> ObjectiveChange:
    change = ObjectiveChange(
        objective=objective,
        key_result=key_result if key_result is not None and key_result.pk else None,
        action=action,
        subject=subject[:500],
        changes=changes or [],
        reason=reason,
        by=by,
    )
    change.full_clean()
    change.save()
    return change


# Who hears about what -------------------------------------------------------------------------


def _leads_of(unit_ids: Iterable[int]) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            memberships__unit_id__in=list(unit_ids),
            memberships__role=Membership.Role.LEAD,
        ).distinct()
    )


def approvers_of(objective: Objective) -> list[User]:
    """Who agrees this objective: the leads of the nearest unit above that has any (the
    parent's lead, or leadership above when the parent has none); for the company's own
    objectives, the company's leads."""
    tree = UnitTree.load()
    for ancestor in tree.ancestors(objective.unit_id):
        leads = _leads_of([ancestor])
        if leads:
            return leads
    if tree.parent_of.get(objective.unit_id) is None:
        return _leads_of([objective.unit_id])
    return []


def involved_in(objective: Objective) -> list[User]:
    """Everyone in an objective's debate: its owner, the unit's leads, the approvers and
    whoever has written in its thread."""
    people: dict[int, User] = {}
    if objective.owner_id and objective.owner and objective.owner.is_active:
        people[objective.owner.pk] = objective.owner
    for user in _leads_of([objective.unit_id]) + approvers_of(objective):
        people[user.pk] = user
    commenters = User.objects.filter(
        is_active=True, pk__in=objective.comments.exclude(author=None).values("author_id")
    )
    for user in commenters:
        people[user.pk] = user
    return list(people.values())


def _notify(
    *,
    people: Iterable[User],
    key: str,
    template: str,
    context: dict[str, Any],
    by: User | None,
) -> int:
    """Queue one email per person (never to the person acting), keyed `<key>:<person>`."""
    sent = 0
    seen: set[int] = set()
    for person in people:
        if person.pk in seen or (by is not None and person.pk == by.pk) or not person.email:
            continue
        seen.add(person.pk)
        email_queue(
            key=f"{key}:{person.pk}",
            to=person.email,
            user=person,
            template=template,
            context={**context, "recipient": person, "by": by},
        )
        sent += 1
    return sent


def _objective_urls(objective: Objective) -> dict[str, str]:
    return {
        "objective_url": absolute_url(reverse("okrs:objective-detail", args=[objective.pk])),
        "setting_url": absolute_url(
            reverse("okrs:unit-setting", args=[objective.unit_id])
            + f"?cycle={objective.cycle_id}#objective-{objective.pk}"
        ),
    }


def _comment(*, objective: Objective, kind: str, body: str, by: User | None) -> ObjectiveComment:
    comment = ObjectiveComment(objective=objective, kind=kind, body=body.strip(), author=by)
    comment.full_clean()
    comment.save()
    return comment


def _reopen_if_agreed(objective: Objective, by: User | None) -> None:
    """An agreed objective whose content changes before its quarter starts goes back to
    "proposed", unless the person changing it could agree it themselves: an agreement covers
    what was agreed, not what was written afterwards."""
    if by is None or objective.is_locked() or by.has_perm("okrs.agree_objective", objective):
        return
    if objective.status == Objective.Status.PROPOSED:
        _note_change_while_proposed(objective, by)
        return
    if objective.status != Objective.Status.AGREED:
        return
    Objective.objects.filter(pk=objective.pk, status=Objective.Status.AGREED).update(
        status=Objective.Status.PROPOSED
    )
    objective.status = Objective.Status.PROPOSED
    comment = _comment(
        objective=objective,
        kind=ObjectiveComment.Kind.REOPENED,
        body="Changed after it was agreed: back to proposed for another look.",
        by=by,
    )
    _notify(
        people=approvers_of(objective),
        key=f"objective-proposed:{comment.pk}",
        template="objective_proposed",
        context={"objective": objective, "comment": comment, **_objective_urls(objective)},
        by=by,
    )


def _note_change_while_proposed(objective: Objective, by: User) -> None:
    """The people asked to agree should agree to what is there now, not to what was proposed:
    the first change after a proposal says so in the thread and tells them (once per
    proposal; later changes ride on the same note)."""
    latest = (
        objective.comments.filter(
            kind__in=[ObjectiveComment.Kind.PROPOSED, ObjectiveComment.Kind.COMMENT]
        )
        .order_by("-created_at", "-pk")
        .values_list("pk", "kind", "body")
        .first()
    )
    if (
        latest is not None
        and latest[1] == ObjectiveComment.Kind.COMMENT
        and latest[2].startswith(CHANGED_WHILE_PROPOSED)
    ):
        return
    comment = _comment(
        objective=objective,
        kind=ObjectiveComment.Kind.COMMENT,
        body=f"{CHANGED_WHILE_PROPOSED} look again before agreeing.",
        by=by,
    )
    _notify(
        people=approvers_of(objective),
        key=f"objective-proposed:{comment.pk}",
        template="objective_proposed",
        context={"objective": objective, "comment": comment, **_objective_urls(objective)},
        by=by,
    )


CHANGED_WHILE_PROPOSED = "Changed while waiting for agreement:"


# Objectives -----------------------------------------------------------------------------------


@transaction.atomic
def objective_create(
    *, unit: OrgUnit, cycle: Any, title: str, by: User | None, **fields: Any
) -> Objective:
    """Add an objective at the end of the unit's list for the cycle, as a draft."""
    require_perm(by, "okrs.edit_unit", unit, "Only leads of this unit edit its objectives.")
    require_open_cycle(by, cycle)
    last = Objective.objects.filter(unit=unit, cycle=cycle).aggregate(m=Max("order"))["m"]
    objective = Objective(
        unit=unit,
        cycle=cycle,
        title=title.strip(),
        order=last + 1 if last is not None else 0,
        updated_by=by,
        **fields,
    )
    objective.full_clean()
    objective.save()
    return objective


@transaction.atomic
def objective_update(
    *, objective: Objective, by: User | None, version: int, reason: str = "", **fields: Any
) -> Objective:
    """Change an objective's title, description, kind or owner (any of OBJECTIVE_FIELDS).

    Refused with StaleEdit when the stored version is no longer `version`; with a
    ValidationError on `reason` when the objective is locked and no reason is given. Returns
    the stored objective (unchanged, and its version not bumped, when nothing changed).
    """
    require_perm(by, "okrs.change_objective", objective, "Only leads of this unit edit it.")
    unknown = set(fields) - set(OBJECTIVE_FIELDS)
    if unknown:
        raise TypeError(f"objective_update cannot change {sorted(unknown)}")
    stored = Objective.objects.select_related("cycle", "owner", "updated_by").get(pk=objective.pk)
    require_open_cycle(by, stored.cycle)
    if stored.version != version:
        raise StaleEdit(stored)
    candidate = Objective.objects.select_related("cycle", "owner").get(pk=objective.pk)
    for name, value in fields.items():
        setattr(candidate, name, value.strip() if isinstance(value, str) else value)
    # Validate what this edit sets; the rest was valid when it was saved.
    candidate.full_clean(exclude=_unchanged(Objective, fields))
    changes = _diff(stored, candidate, OBJECTIVE_FIELDS)
    if not changes:
        return stored
    reason = _lock_reason(stored, reason)
    saved = Objective.objects.filter(pk=stored.pk, version=version).update(
        **{name: getattr(candidate, name) for name in OBJECTIVE_FIELDS},
        version=F("version") + 1,
        updated_at=timezone.now(),
        updated_by=by,
    )
    if not saved:
        # Someone saved between our read and our write (the UPDATE waited for their commit).
        raise StaleEdit(
            Objective.objects.select_related("cycle", "owner", "updated_by").get(pk=stored.pk)
        )
    if reason:
        _record(
            objective=stored,
            action=ObjectiveChange.Action.OBJECTIVE_EDITED,
            subject=stored.title,
            changes=changes,
            reason=reason,
            by=by,
        )
    _reopen_if_agreed(stored, by)
    return Objective.objects.select_related("cycle", "owner", "updated_by").get(pk=stored.pk)


@transaction.atomic
def objective_delete(*, objective: Objective, by: User | None) -> None:
    """Delete a draft, proposed or not-yet-started objective with its key results, links,
    dependencies and thread. A locked one is refused: it is part of the quarter's record."""
    require_perm(by, "okrs.change_objective", objective, "Only leads of this unit delete it.")
    require_open_cycle(by, objective.cycle)
    if objective.is_locked():
        raise ValidationError(
            "This objective was agreed and its quarter has started, so it stays on the record. "
            "Change it (with a reason), or let it score low and say why in the retrospective."
        )
    _delete_unless_checked_in(objective, "One of its key results has")


def _delete_unless_checked_in(obj: Objective | KeyResult, subject: str) -> None:
    """Delete, unless check-ins (cycles' append-only history, which protects its key results
    from deletion) would go with it: then say so instead of failing."""
    try:
        obj.delete()
    except ProtectedError as exc:
        raise ValidationError(
            f"{subject} check-ins, and check-ins stay on the record. Change it with a reason, "
            "or let it score low and say why in the retrospective."
        ) from exc


@transaction.atomic
def objectives_reorder(
    *, unit: OrgUnit, cycle: Any, ordered_ids: Sequence[int], by: User | None
) -> None:
    """Put the unit's objectives for the cycle in this order. `ordered_ids` names each of
    them exactly once (a list that is out of date is refused, not half applied)."""
    require_perm(by, "okrs.edit_unit", unit, "Only leads of this unit reorder its objectives.")
    require_open_cycle(by, cycle)
    rows = list(Objective.objects.select_for_update().filter(unit=unit, cycle=cycle).order_by("pk"))
    if sorted(ordered_ids) != [o.pk for o in rows]:
        raise ValidationError("The list of objectives changed meanwhile: reload the page.")
    position = {pk: index for index, pk in enumerate(ordered_ids)}
    moved = [o for o in rows if o.order != position[o.pk]]
    for o in moved:
        o.order = position[o.pk]
    Objective.objects.bulk_update(moved, ["order"])


def objective_move(*, objective: Objective, direction: str, by: User | None) -> bool:
    """Move an objective one place up or down its unit's list. False at either end."""
    ids = list(
        Objective.objects.filter(unit_id=objective.unit_id, cycle_id=objective.cycle_id)
        .order_by("order", "pk")
        .values_list("pk", flat=True)
    )
    if not _shift(ids, objective.pk, direction):
        return False
    objectives_reorder(unit=objective.unit, cycle=objective.cycle, ordered_ids=ids, by=by)
    return True


def _shift(ids: list[int], pk: int, direction: str) -> bool:
    """Swap `pk` with its neighbour in place; False when it is already at that end."""
    index = ids.index(pk)
    other = index - 1 if direction == "up" else index + 1
    if other < 0 or other >= len(ids):
        return False
    ids[index], ids[other] = ids[other], ids[index]
    return True


@transaction.atomic
def objective_propose(*, objective: Objective, by: User | None, comment: str = "") -> Objective:
    """The unit's lead proposes a draft for agreement; the approvers hear about it."""
    require_perm(by, "okrs.change_objective", objective, "Only leads of this unit propose it.")
    require_open_cycle(by, objective.cycle)
    if not objective.key_results.exists():
        raise ValidationError("Add at least one key result before proposing: how will we know?")
    if not Objective.objects.filter(pk=objective.pk, status=Objective.Status.DRAFT).update(
        status=Objective.Status.PROPOSED
    ):
        raise ValidationError("Only a draft can be proposed; this one already is, or is agreed.")
    objective.status = Objective.Status.PROPOSED
    event = _comment(objective=objective, kind=ObjectiveComment.Kind.PROPOSED, body=comment, by=by)
    _notify(
        people=approvers_of(objective),
        key=f"objective-proposed:{event.pk}",
        template="objective_proposed",
        context={"objective": objective, "comment": event, **_objective_urls(objective)},
        by=by,
    )
    return objective


@transaction.atomic
def objective_agree(*, objective: Objective, by: User | None, comment: str = "") -> Objective:
    """A lead above the unit agrees a proposed objective."""
    require_perm(
        by,
        "okrs.agree_objective",
        objective,
        "Only the lead of the unit above (or leadership) agrees this objective.",
    )
    require_open_cycle(by, objective.cycle)
    if not Objective.objects.filter(pk=objective.pk, status=Objective.Status.PROPOSED).update(
        status=Objective.Status.AGREED
    ):
        raise ValidationError("Only a proposed objective can be agreed.")
    objective.status = Objective.Status.AGREED
    event = _comment(objective=objective, kind=ObjectiveComment.Kind.AGREED, body=comment, by=by)
    _notify(
        people=involved_in(objective),
        key=f"objective-agreed:{event.pk}",
        template="objective_agreed",
        context={"objective": objective, "comment": event, **_objective_urls(objective)},
        by=by,
    )
    return objective


@transaction.atomic
def objective_send_back(*, objective: Objective, by: User | None, comment: str) -> Objective:
    """A lead above sends a proposed objective (or an agreed one whose quarter has not
    started) back to draft, saying what should change."""
    require_perm(
        by,
        "okrs.agree_objective",
        objective,
        "Only the lead of the unit above (or leadership) sends this objective back.",
    )
    require_open_cycle(by, objective.cycle)
    if not comment.strip():
        raise ValidationError({"comment": "Say what should change, so the team can act on it."})
    if objective.is_locked():
        raise ValidationError(
            "The quarter has started: this agreement stands. Change the objective with a reason."
        )
    if not Objective.objects.filter(
        pk=objective.pk, status__in=[Objective.Status.PROPOSED, Objective.Status.AGREED]
    ).update(status=Objective.Status.DRAFT):
        raise ValidationError("This objective is a draft already.")
    objective.status = Objective.Status.DRAFT
    event = _comment(objective=objective, kind=ObjectiveComment.Kind.SENT_BACK, body=comment, by=by)
    _notify(
        people=involved_in(objective),
        key=f"objective-sent-back:{event.pk}",
        template="objective_sent_back",
        context={"objective": objective, "comment": event, **_objective_urls(objective)},
        by=by,
    )
    return objective


@transaction.atomic
def objective_comment_add(*, objective: Objective, by: User, body: str) -> ObjectiveComment:
    """Add to an objective's debate; everyone involved (but the writer) is told."""
    require_perm(by, "okrs.comment_objective", objective, "Sign in to join the debate.")
    if not body.strip():
        raise ValidationError({"body": "Write something to comment."})
    comment = _comment(objective=objective, kind=ObjectiveComment.Kind.COMMENT, body=body, by=by)
    _notify(
        people=involved_in(objective),
        key=f"objective-comment:{comment.pk}",
        template="objective_comment",
        context={"objective": objective, "comment": comment, **_objective_urls(objective)},
        by=by,
    )
    return comment


def previous_cycle(cycle: Any) -> Any:
    """The cycle before this one (the latest that starts earlier), or None."""
    return type(cycle).objects.filter(starts_on__lt=cycle.starts_on).order_by("-starts_on").first()


@transaction.atomic
def objective_carry_forward(
    *, source: Objective, cycle: Any, key_results: Iterable[KeyResult], by: User | None
) -> Objective:
    """Bring an unfinished objective into a later cycle as a draft, with the key results the
    lead chose. Each carried key result starts where the old one ended: its last checked-in
    value becomes the new baseline (else the old baseline stays)."""
    require_perm(by, "okrs.edit_unit", source.unit, "Only leads of this unit carry it forward.")
    if source.cycle.starts_on >= cycle.starts_on:
        raise ValidationError("Objectives carry forward into a later cycle only.")
    if Objective.objects.filter(carried_from=source, cycle=cycle).exists():
        raise ValidationError(f"“{source.title}” is already carried into {cycle.name}.")
    chosen = list(key_results)
    if any(kr.objective_id != source.pk for kr in chosen):
        raise ValidationError({"key_results": "Pick key results of this objective only."})
    objective = objective_create(
        unit=source.unit,
        cycle=cycle,
        title=source.title,
        by=by,
        description=source.description,
        kind=source.kind,
        owner=source.owner,
        carried_from=source,
    )
    for kr in sorted(chosen, key=lambda k: (k.order, k.pk)):
        ended = kr.current_value is not None
        key_result_create(
            objective=objective,
            statement=kr.statement,
            by=by,
            metric=kr.metric,
            unit=kr.unit,
            direction=kr.direction,
            baseline_value=kr.current_value if ended else kr.baseline_value,
            baseline_measured_on=(
                timezone.localdate(kr.checked_in_at)
                if ended and kr.checked_in_at
                else kr.baseline_measured_on
            ),
            baseline_source=(
                f"Last check-in of {source.cycle.name}" if ended else kr.baseline_source
            ),
            target=kr.target,
            owner=kr.owner,
        )
    return objective


@transaction.atomic
def focus_reason_set(*, unit: OrgUnit, cycle: Any, reason: str, by: User | None) -> FocusReason:
    """Say why the unit keeps more than five objectives this cycle."""
    require_perm(by, "okrs.edit_unit", unit, "Only leads of this unit give the reason.")
    require_open_cycle(by, cycle)
    row = FocusReason.objects.filter(unit=unit, cycle=cycle).first() or FocusReason(
        unit=unit, cycle=cycle
    )
    row.reason = reason.strip()
    row.updated_by = by
    row.full_clean()
    row.save()
    return row


# Key results ----------------------------------------------------------------------------------


@transaction.atomic
def key_result_create(
    *, objective: Objective, statement: str, by: User | None, reason: str = "", **fields: Any
) -> KeyResult:
    """Add a key result at the end of the objective's list. On a locked objective it needs
    a reason and goes into the history."""
    require_perm(
        by, "okrs.change_objective", objective, "Only leads of this unit edit its key results."
    )
    if by is not None:
        require_open_cycle(by, objective.cycle)
        reason = _lock_reason(objective, reason)
    last = objective.key_results.aggregate(m=Max("order"))["m"]
    kr = KeyResult(
        objective=objective,
        statement=statement.strip(),
        order=(last + 1) if last is not None else 0,
        updated_by=by,
        **fields,
    )
    kr.full_clean()
    kr.save()
    if kr.metric_id and kr.baseline_value is not None:
        metric_record_measurement(
            metric=kr.metric, value=kr.baseline_value, measured_on=kr.baseline_measured_on
        )
    if by is not None and reason:
        _record(
            objective=objective,
            key_result=kr,
            action=ObjectiveChange.Action.KEY_RESULT_ADDED,
            subject=kr.statement,
            changes=_diff(KeyResult(), kr, KEY_RESULT_FIELDS),
            reason=reason,
            by=by,
        )
    _reopen_if_agreed(objective, by)
    return kr


def _stored_key_result(pk: int) -> KeyResult:
    return KeyResult.objects.select_related(
        "objective__cycle", "objective__unit", "owner", "metric", "updated_by"
    ).get(pk=pk)


@transaction.atomic
def key_result_update(
    *, key_result: KeyResult, by: User | None, version: int, reason: str = "", **fields: Any
) -> KeyResult:
    """Change a key result's statement, metric, numbers or owner (any of KEY_RESULT_FIELDS).

    Compare-and-set on `version` like objective_update: a stale edit raises StaleEdit with
    the stored key result and writes nothing. Only the setting fields are written, so a
    check-in saved meanwhile (current value, confidence) is never overwritten.
    """
    require_perm(
        by, "okrs.change_objective", key_result, "Only leads of this unit edit its key results."
    )
    unknown = set(fields) - set(KEY_RESULT_FIELDS)
    if unknown:
        raise TypeError(f"key_result_update cannot change {sorted(unknown)}")
    stored = _stored_key_result(key_result.pk)
    objective = stored.objective
    require_open_cycle(by, objective.cycle)
    if stored.version != version:
        raise StaleEdit(stored)
    candidate = _stored_key_result(key_result.pk)
    for name, value in fields.items():
        setattr(candidate, name, value.strip() if isinstance(value, str) else value)
    candidate.full_clean(exclude=_unchanged(KeyResult, fields))
    changes = _diff(stored, candidate, KEY_RESULT_FIELDS)
    if not changes:
        return stored
    reason = _lock_reason(objective, reason)
    saved = KeyResult.objects.filter(pk=stored.pk, version=version).update(
        **{name: getattr(candidate, name) for name in KEY_RESULT_FIELDS},
        version=F("version") + 1,
        updated_at=timezone.now(),
        updated_by=by,
    )
    if not saved:
        raise StaleEdit(_stored_key_result(stored.pk))
    if candidate.metric_id and candidate.baseline_value is not None:
        metric_record_measurement(
            metric=candidate.metric,
            value=candidate.baseline_value,
            measured_on=candidate.baseline_measured_on,
        )
    if reason:
        _record(
            objective=objective,
            key_result=stored,
            action=ObjectiveChange.Action.KEY_RESULT_EDITED,
            subject=stored.statement,
            changes=changes,
            reason=reason,
            by=by,
        )
    _reopen_if_agreed(objective, by)
    return _stored_key_result(stored.pk)


@transaction.atomic
def key_result_delete(*, key_result: KeyResult, by: User | None, reason: str = "") -> None:
    """Delete a key result. From a locked objective it needs a reason, and the history keeps
    everything it said."""
    require_perm(
        by, "okrs.change_objective", key_result, "Only leads of this unit edit its key results."
    )
    stored = _stored_key_result(key_result.pk)
    objective = stored.objective
    require_open_cycle(by, objective.cycle)
    reason = _lock_reason(objective, reason)
    if reason:
        _record(
            objective=objective,
            action=ObjectiveChange.Action.KEY_RESULT_DELETED,
            subject=stored.statement,
            changes=_diff(stored, KeyResult(), KEY_RESULT_FIELDS),
            reason=reason,
            by=by,
        )
    _delete_unless_checked_in(stored, "This key result has")
    _reopen_if_agreed(objective, by)


@transaction.atomic
def key_result_move(
    *, key_result: KeyResult, to: Objective, by: User | None, reason: str = ""
) -> KeyResult:
    """Move a key result to another objective of the same unit and cycle (at its end).
    A reason is needed when either objective is locked; both histories record the move."""
    require_perm(
        by, "okrs.change_objective", key_result, "Only leads of this unit move its key results."
    )
    require_perm(by, "okrs.change_objective", to, "Only leads of that unit edit its key results.")
    stored = _stored_key_result(key_result.pk)
    source = stored.objective
    require_open_cycle(by, source.cycle)
    if to.pk == source.pk:
        raise ValidationError({"to": "It is already under that objective."})
    if to.unit_id != source.unit_id or to.cycle_id != source.cycle_id:
        raise ValidationError(
            {"to": "A key result moves only between objectives of the same unit and cycle."}
        )
    reason = _lock_reason(source, reason) or _lock_reason(to, reason)
    last = to.key_results.aggregate(m=Max("order"))["m"]
    KeyResult.objects.filter(pk=stored.pk).update(
        objective=to,
        order=(last + 1) if last is not None else 0,
        version=F("version") + 1,
        updated_at=timezone.now(),
        updated_by=by,
    )
    if reason:
        moved = [{"field": "objective", "label": "Objective", "before": source.title,
                  "after": to.title}]  # fmt: skip
        for objective, action in (
            (source, ObjectiveChange.Action.KEY_RESULT_MOVED_OUT),
            (to, ObjectiveChange.Action.KEY_RESULT_MOVED_IN),
        ):
            _record(
                objective=objective,
                key_result=stored,
                action=action,
                subject=stored.statement,
                changes=moved,
                reason=reason,
                by=by,
            )
    _reopen_if_agreed(source, by)
    _reopen_if_agreed(to, by)
    return _stored_key_result(stored.pk)


@transaction.atomic
def key_results_reorder(
    *, objective: Objective, ordered_ids: Sequence[int], by: User | None
) -> None:
    """Put an objective's key results in this order (each named exactly once)."""
    require_perm(
        by, "okrs.change_objective", objective, "Only leads of this unit reorder key results."
    )
    require_open_cycle(by, objective.cycle)
    rows = list(KeyResult.objects.select_for_update().filter(objective=objective).order_by("pk"))
    if sorted(ordered_ids) != [kr.pk for kr in rows]:
        raise ValidationError("The list of key results changed meanwhile: reload the page.")
    position = {pk: index for index, pk in enumerate(ordered_ids)}
    moved = [kr for kr in rows if kr.order != position[kr.pk]]
    for kr in moved:
        kr.order = position[kr.pk]
    KeyResult.objects.bulk_update(moved, ["order"])


def key_result_shift(*, key_result: KeyResult, direction: str, by: User | None) -> bool:
    """Move a key result one place up or down its objective's list. False at either end."""
    ids = list(
        KeyResult.objects.filter(objective_id=key_result.objective_id)
        .order_by("order", "pk")
        .values_list("pk", flat=True)
    )
    if not _shift(ids, key_result.pk, direction):
        return False
    key_results_reorder(objective=key_result.objective, ordered_ids=ids, by=by)
    return True


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
def alignment_link_delete(*, link: AlignmentLink, by: User | None) -> None:
    """The contributing team stops saying its objective contributes to that one."""
    require_perm(
        by,
        "okrs.change_objective",
        link.child,
        "Only leads of the contributing unit change what it aligns to.",
    )
    link.delete()


# Dependencies ---------------------------------------------------------------------------------


@transaction.atomic
def dependency_create(
    *, objective: Objective, provider: OrgUnit, description: str, by: User | None
) -> Dependency:
    """Record that an objective needs something from another unit; that unit's leads are
    told, and see it on their setting page."""
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
    if by is not None:
        _notify(
            people=_leads_of([provider.pk]),
            key=f"dependency-requested:{dependency.pk}",
            template="dependency_requested",
            context={
                "dependency": dependency,
                "objective": objective,
                "provider": provider,
                "setting_url": absolute_url(
                    reverse("okrs:unit-setting", args=[provider.pk])
                    + f"?cycle={objective.cycle_id}#dependency-{dependency.pk}"
                ),
                "objective_url": absolute_url(
                    reverse("okrs:objective-detail", args=[objective.pk])
                ),
            },
            by=by,
        )
    return dependency


DEPENDENCY_ANSWERS = (
    Dependency.Status.ACCEPTED,
    Dependency.Status.DECLINED,
    Dependency.Status.DONE,
)


@transaction.atomic
def dependency_answer(
    *, dependency: Dependency, status: str, note: str, by: User | None
) -> Dependency:
    """The unit asked for help accepts, declines (saying why) or marks it done; the team that
    asked is told."""
    require_perm(
        by, "okrs.answer_dependency", dependency, "Only leads of the unit asked answer this."
    )
    if status not in DEPENDENCY_ANSWERS:
        raise ValidationError({"status": "Accept, decline or mark it done."})
    note = note.strip()
    if status == Dependency.Status.DECLINED and not note:
        raise ValidationError({"note": "Say why you decline, so the team can plan around it."})
    dependency.status = status
    dependency.response = note
    dependency.answered_by = by
    dependency.full_clean()
    dependency.save(update_fields=["status", "response", "answered_by", "updated_at"])
    objective = dependency.objective
    people: dict[int, User] = {u.pk: u for u in _leads_of([objective.unit_id])}
    if dependency.requested_by_id and dependency.requested_by.is_active:
        people[dependency.requested_by_id] = dependency.requested_by
    # One email per distinct answer: a double-submitted form does not mail twice.
    answer = hashlib.sha256(f"{status}\n{note}".encode()).hexdigest()[:12]
    _notify(
        people=people.values(),
        key=f"dependency-answered:{dependency.pk}:{answer}",
        template="dependency_answered",
        context={
            "dependency": dependency,
            "objective": objective,
            "provider": dependency.provider,
            **_objective_urls(objective),
        },
        by=by,
    )
    return dependency
