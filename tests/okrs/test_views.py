"""Reading pages: what each role sees, and a query count that does not grow with the data."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership
from okrs.models import AlignmentLink, Dependency
from tests.accounts.factories import MembershipFactory, OrgUnitFactory, UserFactory
from tests.conftest import Org
from tests.okrs.factories import KeyResultFactory, ObjectiveFactory


def grow(org: Org, n: int) -> None:
    """n more objectives in the team, each with three key results, an alignment link, a
    dependency; n more people and sub-teams."""
    for _ in range(n):
        objective = ObjectiveFactory(unit=org.team, cycle=org.cycle, owner=org.lead)
        for _ in range(3):
            KeyResultFactory(objective=objective, owner=UserFactory())
        AlignmentLink.objects.create(child=objective, parent=org.function_objective, how="h")
        Dependency.objects.create(objective=objective, provider=org.other_team, description="d")
        Dependency.objects.create(
            objective=org.function_objective, provider=org.team, description="asked"
        )
        MembershipFactory(unit=org.team, role=Membership.Role.MEMBER)
        OrgUnitFactory(parent=org.function)
        KeyResultFactory(objective=org.objective, owner=org.engineer)
        child = ObjectiveFactory(unit=org.other_team, cycle=org.cycle)
        KeyResultFactory(objective=child)
        AlignmentLink.objects.create(child=child, parent=org.objective, how="helps")
        company = ObjectiveFactory(unit=org.company, cycle=org.cycle)
        KeyResultFactory(objective=company, owner=org.leader)


def _count(client, url, django_assert_num_queries, n: int):
    with django_assert_num_queries(n):
        response = client.get(url)
    assert response.status_code == 200
    return response


# session, user, then the page's own queries (see each view's docstring), and the cycle
# banner's personal hint (cycles.hints: one query on every full page).
PAGES = {
    # cycles, memberships (access), memberships (list), the cycle being set (for leads), my
    # key results, unit objectives + their key results, company objectives + their key results,
    # proposals and dependency requests waiting for this lead
    "home": (lambda o: reverse("home"), 14),
    # cycles, units with counts
    "unit-list": (lambda o: reverse("okrs:unit-list"), 5),
    # unit, membership+units for can_edit (2), cycles, objectives, key results, links up,
    # dependencies, incoming, people, sub-units, cycle picker
    "unit-detail": (lambda o: reverse("okrs:unit-detail", args=[o.team.pk]), 15),
    # objective, memberships + unit tree (can_edit), key results, links up, links down,
    # their key results, dependencies, the debate, the history, cycles (banner)
    "objective-detail": (lambda o: reverse("okrs:objective-detail", args=[o.objective.pk]), 14),
}


@pytest.mark.parametrize("page_name", PAGES)
def test_pages_cost_the_same_queries_at_two_sizes(
    client, org: Org, page_name: str, django_assert_num_queries
) -> None:
    url, n = PAGES[page_name]
    client.force_login(org.leader)
    grow(org, 1)  # one of everything, so every prefetch has rows to fetch
    small = _count(client, url(org), django_assert_num_queries, n)
    grow(org, 12)
    big = _count(client, url(org), django_assert_num_queries, n)
    assert len(big.content) > len(small.content)


def test_home_page_for_an_engineer_lists_their_key_results(client, org: Org) -> None:
    client.force_login(org.engineer)
    page = client.get("/").content.decode()
    assert "Your key results" in page
    assert org.key_result.statement in page
    assert "Organisation admin" not in page and "Company objectives" not in page


def test_home_page_for_leadership_shows_the_company_objectives(client, org: Org) -> None:
    AlignmentLink.objects.create(
        child=org.function_objective, parent=org.company_objective, how="Fewer failures"
    )
    client.force_login(org.leader)
    page = client.get("/").content.decode()
    assert "Company objectives, 2026 Q4" in page
    assert org.company_objective.title in page
    assert "1 objective contributes to it" in page


def test_home_page_for_the_org_admin_offers_the_admin_tasks(client, org: Org) -> None:
    client.force_login(org.admin)
    page = client.get("/").content.decode()
    assert "Invite people" in page and reverse("admin:cycles_cycle_changelist") in page


def test_unit_page_shows_objectives_key_results_and_what_they_align_to(client, org: Org) -> None:
    AlignmentLink.objects.create(
        child=org.objective,
        parent=org.function_objective,
        how="Fewer failed payments is safer shipping",
    )
    client.force_login(org.outsider)
    page = client.get(reverse("okrs:unit-detail", args=[org.team.pk])).content.decode()
    assert org.objective.title in page and org.key_result.statement in page
    assert "Contributes to" in page and org.function_objective.title in page
    assert "Lena Lead" in page and "Eli Engineer" in page


def test_more_than_five_objectives_are_flagged(client, org: Org) -> None:
    client.force_login(org.lead)
    url = reverse("okrs:unit-detail", args=[org.team.pk])
    assert "more than five" not in client.get(url).content.decode()
    for _ in range(5):
        ObjectiveFactory(unit=org.team, cycle=org.cycle)
    assert "6 objectives: more than five" in client.get(url).content.decode()


def test_parent_shows_its_children_beside_its_own_progress(client, org: Org) -> None:
    AlignmentLink.objects.create(
        child=org.objective, parent=org.function_objective, how="Fewer failed payments"
    )
    client.force_login(org.leader)
    page = client.get(
        reverse("okrs:objective-detail", args=[org.function_objective.pk])
    ).content.decode()
    assert "What contributes to it" in page
    assert org.objective.title in page and "Fewer failed payments" in page
    assert "never averaged into it" in page


def test_user_text_is_escaped(client, org: Org) -> None:
    org.objective.title = '<script>alert("x")</script>'
    org.objective.save()
    client.force_login(org.engineer)
    page = client.get(reverse("okrs:unit-detail", args=[org.team.pk])).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


@pytest.mark.parametrize("bad", ["abc", "999999"])
def test_an_unknown_cycle_is_a_404_not_a_500(client, org: Org, bad: str) -> None:
    client.force_login(org.lead)
    url = reverse("okrs:unit-detail", args=[org.team.pk])
    assert client.get(f"{url}?cycle={bad}").status_code == 404


def test_unit_list_counts_objectives_and_people_separately(client, org: Org) -> None:
    ObjectiveFactory(unit=org.team, cycle=org.cycle)
    MembershipFactory(unit=org.team)
    client.force_login(org.engineer)
    rows = {unit.name: unit for unit, _ in client.get(reverse("okrs:unit-list")).context["rows"]}
    # Two objectives and three people: the counts must not multiply each other.
    assert (rows["Payments"].objective_count, rows["Payments"].people_count) == (2, 3)


def test_home_lists_what_waits_for_the_lead(client, org: Org) -> None:
    from okrs.models import Objective

    org.objective.status = Objective.Status.PROPOSED
    org.objective.save()
    Dependency.objects.create(
        objective=org.objective, provider=org.function, description="Review the retry design"
    )
    client.force_login(org.function_lead)
    page = client.get("/").content.decode()
    assert "Waiting for you" in page
    assert "Proposed for your agreement" in page and org.objective.title in page
    assert "Asked of your unit" in page and "Review the retry design" in page
    # The team's own lead is not asked to agree their own proposal.
    client.force_login(org.lead)
    assert "Proposed for your agreement" not in client.get("/").content.decode()


def test_home_counts_key_results_due(client, org: Org) -> None:
    import datetime

    from django.utils import timezone

    org.key_result.check_in_due_on = timezone.localdate() - datetime.timedelta(days=1)
    org.key_result.save()
    client.force_login(org.engineer)
    page = client.get("/").content.decode()
    assert "1 due</span>" in page


def test_leaderships_home_does_not_call_the_company_empty(client, org: Org) -> None:
    client.force_login(org.leader)
    page = client.get("/").content.decode()
    assert "have no objectives" not in page
    assert "The company's objectives are shown above." in page


def test_a_page_about_another_quarter_shows_that_quarters_phase(client, org: Org) -> None:
    import datetime

    from tests.cycles.factories import CycleFactory

    following = CycleFactory(
        name="2027 Q1",
        starts_on=datetime.date(2027, 1, 1),
        ends_on=datetime.date(2027, 3, 31),
        phase="setting",
    )
    objective = ObjectiveFactory(unit=org.team, cycle=following)
    client.force_login(org.lead)
    page = client.get(reverse("okrs:objective-detail", args=[objective.pk])).content.decode()
    banner = page.split('<div class="cycle-banner', 1)[1].split("</div>")[0]
    assert "<strong>2027 Q1</strong>" in banner and "Setting" in banner
    assert "The current quarter is 2026 Q4 (running)." in banner
    home = client.get("/").content.decode()
    assert "<strong>2026 Q4</strong>" in home.split('<div class="cycle-banner', 1)[1]
