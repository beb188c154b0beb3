"""Shared fixtures: a small organisation with the five personas every permission test uses.

company "Acme" (lead: leader)          <- leadership
  function "Engineering" (lead: function_lead)
    team "Payments" (lead: lead, member: engineer)   <- the unit under test
    team "Search" (member: outsider)                 <- another unit
admin: org admin (superuser), in no unit
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from accounts.models import Membership, OrgUnit, User
from cycles.models import Cycle
from okrs import tree_memo
from okrs.models import KeyResult, Objective
from tests.accounts.factories import MembershipFactory, OrgUnitFactory, UserFactory
from tests.cycles.factories import CycleFactory
from tests.okrs.factories import KeyResultFactory, ObjectiveFactory

# Service detection, the report header and skip-or-fail for integration and browser tests.
pytest_plugins = ["tests.plugins.services"]


@pytest.fixture(autouse=True)
def _tree_memo_cold():
    """Each test starts as a fresh process would, with nothing of the alignment tree
    remembered: a test's writes roll back with it, so the next test can reach the same data
    version with other data (okrs.tree_memo)."""
    tree_memo.forget()
    yield
    tree_memo.forget()


@dataclass
class Org:
    company: OrgUnit
    function: OrgUnit
    team: OrgUnit
    other_team: OrgUnit
    cycle: Cycle
    admin: User
    leader: User
    function_lead: User
    lead: User
    engineer: User
    outsider: User
    objective: Objective
    key_result: KeyResult
    company_objective: Objective
    function_objective: Objective

    def persona(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


PERSONAS = ["admin", "leader", "lead", "engineer", "outsider"]


@pytest.fixture
def org(db) -> Org:
    company = OrgUnitFactory(name="Acme", kind=OrgUnit.Kind.COMPANY)
    function = OrgUnitFactory(name="Engineering", kind=OrgUnit.Kind.FUNCTION, parent=company)
    team = OrgUnitFactory(name="Payments", kind=OrgUnit.Kind.TEAM, parent=function)
    other_team = OrgUnitFactory(name="Search", kind=OrgUnit.Kind.TEAM, parent=function)
    admin = UserFactory(
        email="admin@example.com", name="Ada Admin", is_staff=True, is_superuser=True
    )
    leader = UserFactory(email="leader@example.com", name="Lee Leader")
    function_lead = UserFactory(email="vpe@example.com", name="Fran Function")
    lead = UserFactory(email="lead@example.com", name="Lena Lead")
    engineer = UserFactory(email="engineer@example.com", name="Eli Engineer")
    outsider = UserFactory(email="outsider@example.com", name="Otto Outsider")
    MembershipFactory(user=leader, unit=company, role=Membership.Role.LEAD)
    MembershipFactory(user=function_lead, unit=function, role=Membership.Role.LEAD)
    MembershipFactory(user=lead, unit=team, role=Membership.Role.LEAD)
    MembershipFactory(user=engineer, unit=team, role=Membership.Role.MEMBER)
    MembershipFactory(user=outsider, unit=other_team, role=Membership.Role.MEMBER)
    cycle = CycleFactory(name="2026 Q4")
    company_objective = ObjectiveFactory(unit=company, cycle=cycle, title="Customers trust us")
    function_objective = ObjectiveFactory(unit=function, cycle=cycle, title="Ship safely, fast")
    objective = ObjectiveFactory(unit=team, cycle=cycle, title="Payments never fail", owner=lead)
    key_result = KeyResultFactory(
        objective=objective, owner=engineer, statement="Reduce 5xx on payments from 0.8% to 0.2%"
    )
    return Org(
        company=company,
        function=function,
        team=team,
        other_team=other_team,
        cycle=cycle,
        admin=admin,
        leader=leader,
        function_lead=function_lead,
        lead=lead,
        engineer=engineer,
        outsider=outsider,
        objective=objective,
        key_result=key_result,
        company_objective=company_objective,
        function_objective=function_objective,
    )
