"""Who may do what: every permission rule of Quarterdeck, in this one module.

Rights derive from memberships, down the organisation tree:
- every signed-in person reads every OKR (transparency);
- leads of a unit and of its ancestors edit the unit's OKRs, its cadence, its scores and retro;
- a key result's owner checks in on it (so do the leads who may edit it);
- leads above a unit agree its proposed objectives (the company's own, its lead);
- org admins (superusers) may do everything: Django's `has_perm` says yes to them first.

Views ask `request.user.has_perm("okrs.edit_unit", unit)`; nothing else decides access, and
templates only show what a view already decided. Rules take any object that names its unit
(`unit_of` below), so this module needs no import from okrs or cycles, which build on accounts.

Membership and tree lookups happen once per user object (see `access_for`), so a page that checks
a permission for each of a thousand rows still costs two queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import rules
from django.core.exceptions import PermissionDenied

from accounts.models import Membership, OrgUnit, User


@dataclass
class UnitTree:
    """The organisation tree as (id -> parent id), loaded in one query."""

    parent_of: dict[int, int | None]
    children_of: dict[int | None, list[int]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> UnitTree:
        parent_of = dict(OrgUnit.objects.order_by().values_list("id", "parent_id"))
        children_of: dict[int | None, list[int]] = {}
        for unit_id, parent_id in parent_of.items():
            children_of.setdefault(parent_id, []).append(unit_id)
        return cls(parent_of=parent_of, children_of=children_of)

    def ancestors(self, unit_id: int) -> list[int]:
        """Parent first, the company last. Stops on a (corrupt) loop instead of hanging."""
        found: list[int] = []
        node = self.parent_of.get(unit_id)
        while node is not None and node not in found and node != unit_id:
            found.append(node)
            node = self.parent_of.get(node)
        return found

    def descendants(self, unit_id: int) -> set[int]:
        found: set[int] = set()
        stack = list(self.children_of.get(unit_id, []))
        while stack:
            node = stack.pop()
            if node not in found:
                found.add(node)
                stack.extend(self.children_of.get(node, []))
        return found


class Access:
    """One user's memberships and the units they may edit, computed once."""

    def __init__(self, user: User) -> None:
        self.user = user
        rows = list(
            Membership.objects.filter(user_id=user.pk).values_list("unit_id", "role", "unit__kind")
        )
        self.member_unit_ids = {unit_id for unit_id, _, _ in rows}
        self.lead_unit_ids = {unit_id for unit_id, role, _ in rows if role == Membership.Role.LEAD}
        self.is_leadership = any(
            role == Membership.Role.LEAD and kind in (OrgUnit.Kind.COMPANY, OrgUnit.Kind.FUNCTION)
            for _, role, kind in rows
        )

    @cached_property
    def tree(self) -> UnitTree:
        return UnitTree.load()

    @cached_property
    def led_unit_ids(self) -> frozenset[int]:
        """Units this person leads, directly or through an ancestor."""
        if not self.lead_unit_ids:
            return frozenset()
        found = set(self.lead_unit_ids)
        for unit_id in self.lead_unit_ids:
            found |= self.tree.descendants(unit_id)
        return frozenset(found)

    def leads(self, unit_id: int | None) -> bool:
        return unit_id is not None and unit_id in self.led_unit_ids

    def leads_above(self, unit_id: int | None) -> bool:
        """Leads a strict ancestor of the unit."""
        if unit_id is None or not self.lead_unit_ids:
            return False
        return any(a in self.lead_unit_ids for a in self.tree.ancestors(unit_id))


_CACHE_ATTR = "_quarterdeck_access"


def access_for(user: Any) -> Access | None:
    """The user's Access, cached on the user object for the rest of the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    access = getattr(user, _CACHE_ATTR, None)
    if access is None:
        access = Access(user)
        setattr(user, _CACHE_ATTR, access)
    return access


def forget_access(user: Any) -> None:
    """Call after changing someone's memberships within the same request or test."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def unit_of(obj: Any) -> int | None:
    """The org unit an object belongs to: a unit itself, an objective's unit, a key result's
    objective's unit (load it with select_related("objective"))."""
    if obj is None:
        return None
    if isinstance(obj, OrgUnit):
        return obj.pk
    if hasattr(obj, "unit_id"):
        return obj.unit_id
    if hasattr(obj, "objective"):
        return obj.objective.unit_id
    raise TypeError(f"No rule knows the unit of {type(obj).__name__}")


# Predicates ----------------------------------------------------------------------------------


@rules.predicate
def is_org_admin(user: Any) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "is_superuser", False))


@rules.predicate
def is_leadership(user: Any) -> bool:
    access = access_for(user)
    return bool(access and access.is_leadership)


@rules.predicate
def leads_unit(user: Any, obj: Any) -> bool:
    """Leads the object's unit or one of its ancestors."""
    access = access_for(user)
    return bool(access and access.leads(unit_of(obj)))


@rules.predicate
def leads_above_unit(user: Any, obj: Any) -> bool:
    access = access_for(user)
    return bool(access and access.leads_above(unit_of(obj)))


@rules.predicate
def in_company_unit(user: Any, obj: Any) -> bool:
    """The object belongs to the company unit itself (nothing above it to agree)."""
    access = access_for(user)
    unit_id = unit_of(obj)
    return bool(access and unit_id is not None and access.tree.parent_of.get(unit_id) is None)


@rules.predicate
def owns(user: Any, obj: Any) -> bool:
    return obj is not None and getattr(obj, "owner_id", None) == user.pk


@rules.predicate
def leads_providing_unit(user: Any, dependency: Any) -> bool:
    """A dependency is answered by the unit asked for help (its `provider_id`)."""
    access = access_for(user)
    return bool(access and access.leads(getattr(dependency, "provider_id", None)))


signed_in = rules.is_authenticated & rules.is_active

# Reading is open to everyone signed in.
rules.add_perm("okrs.view", signed_in)
# Setting: drafting and editing a unit's objectives and key results.
rules.add_perm("okrs.edit_unit", signed_in & leads_unit)
rules.add_perm("okrs.change_objective", signed_in & leads_unit)
rules.add_perm(
    "okrs.agree_objective", signed_in & (leads_above_unit | (in_company_unit & leads_unit))
)
# The debate on an objective is open to everyone who reads it.
rules.add_perm("okrs.comment_objective", signed_in)
rules.add_perm("okrs.answer_sufficiency", signed_in & (owns | leads_unit))
rules.add_perm("okrs.answer_dependency", signed_in & leads_providing_unit)
# Running the quarter.
rules.add_perm("cycles.check_in", signed_in & (owns | leads_unit))
rules.add_perm("cycles.edit_cadence", signed_in & leads_unit)
# Which reminder emails to a unit's people could not be delivered (the outbox's failures).
rules.add_perm("cycles.view_reminder_delivery", signed_in & leads_unit)
rules.add_perm("cycles.score_unit", signed_in & leads_unit)
rules.add_perm("cycles.edit_retro", signed_in & leads_unit)
# Administration: only org admins (superusers pass every has_perm before rules are asked).
rules.add_perm("accounts.invite", is_org_admin)
rules.add_perm("cycles.manage_cycles", is_org_admin)


def require_perm(by: User | None, perm: str, obj: Any, message: str) -> None:
    """What every service that writes calls first: PermissionDenied with `message` unless
    `by` holds `perm` on `obj`. `by=None` is the system (a management command, a Celery
    job), which the rules do not limit."""
    if by is not None and not by.has_perm(perm, obj):
        raise PermissionDenied(message)
