"""The whole permission matrix, for the five personas of tests/conftest.py.

Each row names a permission and the object it is asked about; each column says whether that
persona holds it. Adding a rule to accounts/rules.py without a row here fails
test_every_rule_is_in_the_matrix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import rules
from django.contrib.auth.models import AnonymousUser

from accounts.rules import forget_access
from okrs.models import Dependency
from tests.conftest import PERSONAS, Org

T, F = True, False

# permission, object (from the org), and who holds it:
#                                                  admin leader lead engineer outsider
MATRIX: list[tuple[str, str, Callable[[Org], Any], tuple[bool, ...]]] = [
    ("okrs.view", "nothing", lambda o: None, (T, T, T, T, T)),
    ("okrs.edit_unit", "the team", lambda o: o.team, (T, T, T, F, F)),
    ("okrs.edit_unit", "another team", lambda o: o.other_team, (T, T, F, F, F)),
    ("okrs.edit_unit", "the company", lambda o: o.company, (T, T, F, F, F)),
    ("okrs.change_objective", "team objective", lambda o: o.objective, (T, T, T, F, F)),
    ("okrs.change_objective", "company objective", lambda o: o.company_objective, (T, T, F, F, F)),
    # A lead proposes; leads above agree. The company's own objectives: its lead agrees.
    ("okrs.agree_objective", "team objective", lambda o: o.objective, (T, T, F, F, F)),
    ("okrs.agree_objective", "company objective", lambda o: o.company_objective, (T, T, F, F, F)),
    # Everyone who reads an objective may join its debate.
    ("okrs.comment_objective", "team objective", lambda o: o.objective, (T, T, T, T, T)),
    ("okrs.answer_sufficiency", "team objective", lambda o: o.objective, (T, T, T, F, F)),
    (
        "okrs.answer_sufficiency",
        "company objective",
        lambda o: o.company_objective,
        (T, T, F, F, F),
    ),
    (
        "okrs.answer_dependency",
        "asked of the team",
        lambda o: Dependency(objective=o.function_objective, provider=o.team),
        (T, T, T, F, F),
    ),
    (
        "okrs.answer_dependency",
        "asked of another team",
        lambda o: Dependency(objective=o.objective, provider=o.other_team),
        (T, T, F, F, F),
    ),
    # The engineer owns the key result; the outsider is in another team.
    ("cycles.check_in", "the engineer's key result", lambda o: o.key_result, (T, T, T, T, F)),
    ("cycles.edit_cadence", "the team", lambda o: o.team, (T, T, T, F, F)),
    ("cycles.edit_cadence", "another team", lambda o: o.other_team, (T, T, F, F, F)),
    ("cycles.view_reminder_delivery", "the team", lambda o: o.team, (T, T, T, F, F)),
    ("cycles.view_reminder_delivery", "another team", lambda o: o.other_team, (T, T, F, F, F)),
    # Scores and retrospectives: the unit's leads and the leads above; everyone reads.
    ("cycles.score_unit", "the team", lambda o: o.team, (T, T, T, F, F)),
    ("cycles.score_unit", "the engineer's key result", lambda o: o.key_result, (T, T, T, F, F)),
    ("cycles.score_unit", "another team", lambda o: o.other_team, (T, T, F, F, F)),
    ("cycles.score_unit", "the company", lambda o: o.company, (T, T, F, F, F)),
    ("cycles.edit_retro", "the team", lambda o: o.team, (T, T, T, F, F)),
    ("cycles.edit_retro", "another team", lambda o: o.other_team, (T, T, F, F, F)),
    ("accounts.invite", "nothing", lambda o: None, (T, F, F, F, F)),
    ("cycles.manage_cycles", "nothing", lambda o: None, (T, F, F, F, F)),
]


def test_the_whole_matrix(org: Org) -> None:
    mismatches = []
    for perm, label, get_obj, expected in MATRIX:
        obj = get_obj(org)
        for persona, allowed in zip(PERSONAS, expected, strict=True):
            user = org.persona(persona)
            if user.has_perm(perm, obj) != allowed:
                mismatches.append(
                    f"{persona} {'should' if allowed else 'should not'} have {perm} on {label}"
                )
        assert not AnonymousUser().has_perm(perm, obj), f"anonymous has {perm} on {label}"
    assert not mismatches, "\n".join(mismatches)


def test_every_rule_is_in_the_matrix() -> None:
    covered = {perm for perm, *_ in MATRIX}
    defined = set(rules.permissions.permissions)
    assert defined - covered == set(), "rules without a row in MATRIX"


def test_function_lead_edits_teams_below_but_not_other_functions(org: Org) -> None:
    assert org.function_lead.has_perm("okrs.edit_unit", org.team)
    assert org.function_lead.has_perm("okrs.agree_objective", org.objective)
    assert not org.function_lead.has_perm("okrs.edit_unit", org.company)
    assert not org.function_lead.has_perm("okrs.agree_objective", org.function_objective)


def test_a_deactivated_lead_loses_every_right(org: Org) -> None:
    org.lead.is_active = False
    forget_access(org.lead)
    assert not org.lead.has_perm("okrs.view")
    assert not org.lead.has_perm("okrs.edit_unit", org.team)


@pytest.mark.parametrize("persona", PERSONAS)
def test_checking_many_objects_costs_two_queries(
    org: Org, persona: str, django_assert_max_num_queries
) -> None:
    user = org.persona(persona)
    forget_access(user)
    units = [org.team, org.other_team, org.company, org.function] * 50
    with django_assert_max_num_queries(2):
        for unit in units:
            user.has_perm("okrs.edit_unit", unit)
