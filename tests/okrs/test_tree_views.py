"""Leadership's alignment tree as its readers meet it: the page, the fragments that open it,
the filters, the SVG map, and a query count that does not grow with the organisation."""

from __future__ import annotations

import datetime
import re
from xml.etree import ElementTree

import pytest
import time_machine
from django.urls import reverse

from accounts.models import OrgUnit
from okrs.models import AlignmentLink, KeyResult
from tests.accounts.factories import OrgUnitFactory
from tests.conftest import PERSONAS, Org
from tests.cycles.factories import CycleFactory
from tests.okrs.factories import KeyResultFactory, ObjectiveFactory

NOW = datetime.datetime(2026, 11, 10, 9, 0, tzinfo=datetime.UTC)
TODAY = NOW.date()
OVERDUE = TODAY - datetime.timedelta(days=3)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def link(child, parent, **fields) -> AlignmentLink:
    return AlignmentLink.objects.create(child=child, parent=parent, how="It moves it.", **fields)


@pytest.fixture
def tree_org(org: Org) -> Org:
    """The company objective <- the function's <- Payments' (blocked, stale) <- Search's."""
    link(org.function_objective, org.company_objective, expected_contribution="most of it")
    link(org.objective, org.function_objective)
    org.key_result.current_value = KeyResult.objects.get(pk=org.key_result.pk).target
    org.key_result.confidence = 30
    org.key_result.blocker = "Waiting for the acquiring bank"
    org.key_result.blocker_unit = org.other_team
    org.key_result.check_in_due_on = OVERDUE
    org.key_result.save()
    KeyResultFactory(
        objective=org.company_objective,
        statement="Raise card acceptance from 90% to 95%",
        direction="increase",
        baseline_value=90,
        target=95,
        current_value=91,
        confidence=70,
    )
    return org


def grow(org: Org, n: int) -> None:
    """n more of everything the tree reads: function and team objectives under the company
    objective (more than the first paint shows), key results with flags, a contributor two
    levels down, an objective in two places, an unaligned one, and units."""
    for i in range(n):
        function = OrgUnitFactory(kind=OrgUnit.Kind.FUNCTION, parent=org.company)
        team = OrgUnitFactory(kind=OrgUnit.Kind.TEAM, parent=function)
        f_obj = ObjectiveFactory(unit=function, cycle=org.cycle)
        link(f_obj, org.company_objective)
        t_obj = ObjectiveFactory(unit=team, cycle=org.cycle)
        link(t_obj, f_obj)
        link(t_obj, org.function_objective)  # a repeat
        KeyResultFactory(objective=f_obj, confidence=60, check_in_due_on=TODAY)
        KeyResultFactory(objective=t_obj, blocker="Needs a review", check_in_due_on=OVERDUE)
        KeyResultFactory(objective=t_obj, baseline_value=None)
        deep = ObjectiveFactory(unit=team, cycle=org.cycle)
        link(deep, t_obj)
        KeyResultFactory(objective=deep)
        ObjectiveFactory(unit=org.other_team, cycle=org.cycle)  # aligned to nothing
        for _ in range(9):
            link(ObjectiveFactory(unit=team, cycle=org.cycle), org.company_objective)
        ObjectiveFactory(unit=org.company, cycle=org.cycle, order=100 + i)


def count(client, url: str, django_assert_num_queries, n: int, **headers: str):
    with django_assert_num_queries(n):
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response


# session, user, then each view's own (see its docstring). The first number: a process that
# has read nothing yet; the second: the same page again with nothing changed (tree_memo).
PAGES = {
    # cycle with the data version, units with their objectives, links, flagged key results,
    # shown key results, direct contributors' progress; the cycle banner's hint (full pages)
    "tree": (lambda o: reverse("okrs:tree"), 9, 4, {}),
    "tree-search": (lambda o: reverse("okrs:tree") + "?q=payments&flag=stale", 10, 4, {}),
    # cycle, units with their objectives, links, flagged key results, company objectives'
    # key results, the banner's hint
    "tree-org": (lambda o: reverse("okrs:tree") + "?view=org", 8, 4, {}),
    # the data version, the subtree (one recursive query), key results of the objective and
    # its contributors
    "children": (
        lambda o: reverse("okrs:tree-children", args=[o.company_objective.pk]),
        5,
        3,
        {"HX-Request": "true"},
    ),
    "children-filtered": (
        lambda o: (
            reverse("okrs:tree-children", args=[o.function_objective.pk])
            + f"?function={o.company.pk}&q=objective"
        ),
        7,
        3,
        {"HX-Request": "true"},
    ),
    # cycle with the data version, units with their objectives, links, flagged key results,
    # their key results
    "unaligned": (lambda o: reverse("okrs:tree-unaligned"), 7, 3, {"HX-Request": "true"}),
    # cycle with the data version, units, the objectives below the unit, the unit's own
    # objectives' key results
    "unit": (
        lambda o: reverse("okrs:tree-unit", args=[o.function.pk]),
        6,
        3,
        {"HX-Request": "true"},
    ),
    # the data version, the subtree, with each objective's figures
    "map": (lambda o: reverse("okrs:tree-map-svg", args=[o.company_objective.pk]), 4, 3, {}),
}


@pytest.mark.parametrize("page_name", PAGES)
def test_tree_pages_cost_the_same_queries_at_two_sizes(
    client, tree_org: Org, page_name: str, django_assert_num_queries
) -> None:
    url, n, again, headers = PAGES[page_name]
    client.force_login(tree_org.leader)
    grow(tree_org, 1)
    small = count(client, url(tree_org), django_assert_num_queries, n, **headers)
    small_again = count(client, url(tree_org), django_assert_num_queries, again, **headers)
    grow(tree_org, 6)
    big = count(client, url(tree_org), django_assert_num_queries, n, **headers)
    big_again = count(client, url(tree_org), django_assert_num_queries, again, **headers)
    assert len(big.content) > len(small.content), page_name
    # Remembered rows make the same page, byte for byte (but for the CSRF token's mask).
    assert without_csrf(small_again.content) == without_csrf(small.content)
    assert without_csrf(big_again.content) == without_csrf(big.content)


def without_csrf(content: bytes) -> bytes:
    return re.sub(rb'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', rb"\1", content)


@pytest.mark.parametrize("persona", PERSONAS)
def test_everyone_signed_in_reads_the_tree(client, tree_org: Org, persona: str) -> None:
    client.force_login(tree_org.persona(persona))
    page = client.get(reverse("okrs:tree")).content.decode()
    assert tree_org.company_objective.title in page
    assert tree_org.function_objective.title in page
    assert '<a href="/alignment/" aria-current="page">Alignment</a>' in page


def test_signed_out_visitors_are_sent_to_sign_in(client, tree_org: Org) -> None:
    response = client.get(reverse("okrs:tree"))
    assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"]


def test_a_company_objective_shows_what_is_at_risk_who_contributes_and_what_blocks(
    client, tree_org: Org
) -> None:
    org = tree_org
    client.force_login(org.leader)
    page = client.get(reverse("okrs:tree")).content.decode()
    # Its own key result: 91 on the way from 90 to 95 is 20%.
    assert "Raise card acceptance from 90% to 95%" in page
    assert "Now 91%; target up to 95%" in page
    # Who contributes, with what they expect to move.
    assert "Expected contribution: most of it" in page
    assert "2 objectives below in 2 units" in page
    # What blocks it, two levels down, and who could unblock it.
    assert "What blocks it" in page
    assert "Waiting for the acquiring bank" in page and "Could unblock: Search" in page
    assert "1 open blocker · 1 stale check-in" in page


def test_a_parent_s_progress_is_its_own_never_its_children_s(client, tree_org: Org) -> None:
    """The function objective has no key results: however well its contributor does (100%
    here), the function's own progress stays unknown."""
    org = tree_org
    client.force_login(org.leader)
    page = client.get(reverse("okrs:tree")).content.decode()
    function_row = page.split(org.function_objective.title, 1)[1].split("</li>", 1)[0]
    assert "No progress yet" in function_row
    fragment = client.get(
        reverse("okrs:tree-children", args=[org.function_objective.pk]),
        headers={"HX-Request": "true"},
    ).content.decode()
    assert org.objective.title in fragment
    assert "Its contributor&#x27;s own progress: 100%." in fragment
    assert "Never averaged into its own." in fragment


def test_opening_a_node_loads_its_key_results_and_contributors(client, tree_org: Org) -> None:
    org = tree_org
    client.force_login(org.engineer)
    fragment = client.get(
        reverse("okrs:tree-children", args=[org.objective.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "<html" not in fragment
    assert org.key_result.statement in fragment
    assert "Check-in due since 7 Nov" in fragment
    assert "Blocked:</strong> Waiting for the acquiring bank" in fragment
    assert "No key results yet" not in fragment


def test_each_node_links_to_its_objective_and_loads_its_subtree_on_demand(
    client, tree_org: Org
) -> None:
    org = tree_org
    client.force_login(org.leader)
    page = client.get(reverse("okrs:tree")).content.decode()
    objective_url = reverse("okrs:objective-detail", args=[org.function_objective.pk])
    assert f'<a class="node__title" href="{objective_url}">' in page
    children_url = reverse("okrs:tree-children", args=[org.function_objective.pk])
    assert f'hx-get="{children_url}" hx-trigger="toggle once"' in page
    # Below the second level, nothing is rendered until asked for.
    assert org.objective.title not in page.split("What blocks it")[0]


def test_an_objective_in_two_places_is_marked_as_a_repeat(client, tree_org: Org) -> None:
    org = tree_org
    link(org.objective, org.company_objective)  # second parent: a repeat under the company
    client.force_login(org.leader)
    page = client.get(reverse("okrs:tree")).content.decode()
    assert page.count(org.objective.title) >= 1
    assert "Repeat: it contributes elsewhere too" in page
    fragment = client.get(
        reverse("okrs:tree-children", args=[org.function_objective.pk]),
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "Repeat" not in fragment  # under its first parent it is not a repeat


def test_show_more_pages_through_many_contributors(client, tree_org: Org) -> None:
    org = tree_org
    grow(org, 1)  # ten more direct contributors to the company objective
    client.force_login(org.leader)
    page = client.get(reverse("okrs:tree")).content.decode()
    more = re.search(r'hx-get="([^"]+offset=7[^"]*)"', page)
    assert more and "Show 4 more contributors" in page
    rest = client.get(more.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert rest.content.decode().count('<li class="node') == 4


def test_filter_to_stale_check_ins(client, tree_org: Org) -> None:
    org = tree_org
    client.force_login(org.leader)
    page = client.get(reverse("okrs:tree") + "?flag=stale").content.decode()
    assert "Showing <strong>stale check-ins</strong>" in page
    # The company and function objectives hold the stale one below: shown, dimmed.
    assert "node--context" in page and "1 match" in page
    fragment = client.get(
        reverse("okrs:tree-children", args=[org.function_objective.pk]) + "?flag=stale",
        headers={"HX-Request": "true"},
    ).content.decode()
    assert org.objective.title in fragment and "1 stale check-in" in fragment


def test_filter_that_matches_nothing_says_so(client, tree_org: Org) -> None:
    client.force_login(tree_org.leader)
    page = client.get(reverse("okrs:tree") + "?flag=over-five").content.decode()
    assert "Nothing matches these filters." in page


def test_search_finds_key_result_text(client, tree_org: Org) -> None:
    client.force_login(tree_org.leader)
    page = client.get(reverse("okrs:tree") + "?q=acceptance").content.decode()
    assert tree_org.company_objective.title in page
    assert "matching <strong>“acceptance”</strong>" in page


def test_filtering_with_htmx_swaps_the_tree_and_nothing_else(client, tree_org: Org) -> None:
    client.force_login(tree_org.leader)
    response = client.get(reverse("okrs:tree") + "?flag=blocked", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="tree-body"')
    assert "<html" not in body and "tree-filters" not in body
    # A history restore (back button) asks for the whole page.
    full = client.get(
        reverse("okrs:tree") + "?flag=blocked",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in full.content.decode()
    # The address bar gets the filter's own URL, so a reload or a shared link shows the same.
    assert response["HX-Push-Url"] == reverse("okrs:tree") + "?flag=blocked"
    # And the browser keeps the fragment apart from the page: Back shows the whole page.
    assert "HX-Request" in response["Vary"] and "HX-Request" in full["Vary"]


def test_junk_in_the_query_string_is_ignored(client, tree_org: Org) -> None:
    client.force_login(tree_org.leader)
    for query in ("?function=abc&flag=<b>", "?offset=-1", "?q=" + "x" * 500):
        assert client.get(reverse("okrs:tree") + query).status_code == 200
    children = reverse("okrs:tree-children", args=[tree_org.company_objective.pk])
    assert client.get(children + "?offset=abc").status_code == 200


def test_function_filter_lists_functions(client, tree_org: Org) -> None:
    client.force_login(tree_org.leader)
    page = client.get(reverse("okrs:tree") + f"?function={tree_org.function.pk}").content.decode()
    assert f'<option value="{tree_org.function.pk}" selected>Engineering</option>' in page
    assert "in <strong>Engineering</strong>" in page


def test_the_bucket_holds_objectives_aligned_to_nothing(client, tree_org: Org) -> None:
    org = tree_org
    lonely = ObjectiveFactory(unit=org.other_team, cycle=org.cycle, title="Tidy the runbooks")
    client.force_login(org.leader)
    page = client.get(reverse("okrs:tree")).content.decode()
    assert "1 objective below company level contributes to nothing" in page
    bucket = client.get(reverse("okrs:tree-unaligned"), headers={"HX-Request": "true"})
    body = bucket.content.decode()
    assert lonely.title in body and "Aligned to nothing" in body
    assert org.company_objective.title not in body
    # Its objectives contribute to nothing, so the bucket does not say they do.
    assert "What contributes to it" not in body


def test_the_quarter_picker_opens_another_quarter(client, tree_org: Org) -> None:
    org = tree_org
    earlier = CycleFactory(
        name="2026 Q3",
        starts_on=datetime.date(2026, 7, 1),
        ends_on=datetime.date(2026, 9, 30),
        phase="closed",
    )
    ObjectiveFactory(unit=org.company, cycle=earlier, title="Last quarter's bet")
    client.force_login(org.leader)
    page = client.get(reverse("okrs:tree")).content.decode()
    assert f'<option value="{org.cycle.pk}" selected>{org.cycle.name} (' in page
    assert f'<option value="{earlier.pk}">2026 Q3 (closed)</option>' in page
    assert "Last quarter&#x27;s bet" not in page
    other = client.get(reverse("okrs:tree") + f"?cycle={earlier.pk}").content.decode()
    assert "Alignment, 2026 Q3" in other and "Last quarter&#x27;s bet" in other
    # Clearing the filters keeps the quarter.
    filtered = client.get(reverse("okrs:tree") + f"?cycle={earlier.pk}&flag=stale").content
    assert f'class="view-toggle__clear" href="?cycle={earlier.pk}"' in filtered.decode()
    assert client.get(reverse("okrs:tree") + "?cycle=999999").status_code == 404
    assert client.get(reverse("okrs:tree") + "?cycle=abc").status_code == 404


def test_flags_show_on_the_nodes(client, tree_org: Org) -> None:
    org = tree_org
    for _ in range(5):
        ObjectiveFactory(unit=org.team, cycle=org.cycle)
    bare = ObjectiveFactory(unit=org.function, cycle=org.cycle, title="Nobody builds on this")
    link(bare, org.company_objective)
    client.force_login(org.leader)
    fragment = client.get(
        reverse("okrs:tree-children", args=[org.function_objective.pk]),
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "1 stale check-in" in fragment and "1 open blocker" in fragment
    assert "6 objectives in Payments" in fragment
    assert "At risk: confidence 30%, 1 blocker" in fragment
    page = client.get(reverse("okrs:tree")).content.decode()
    bare_row = page.split("Nobody builds on this", 1)[1].split("</li>", 1)[0]
    assert "Nothing contributes" in bare_row


def test_sufficiency_and_expected_contribution_show_in_the_tree(client, tree_org: Org) -> None:
    org = tree_org
    org.company_objective.sufficiency = "partly"
    org.company_objective.sufficiency_note = "Nobody covers fraud"
    org.company_objective.save()
    client.force_login(org.leader)
    page = client.get(reverse("okrs:tree")).content.decode()
    assert "Enough if every contribution lands? <strong>Partly</strong>: Nobody covers fraud" in (
        page
    )
    assert "Expected contribution: most of it" in page


def test_the_organisation_view_shows_units_and_opens_them(client, tree_org: Org) -> None:
    org = tree_org
    client.force_login(org.leader)
    page = client.get(reverse("okrs:tree") + "?view=org").content.decode()
    assert "By organisation</a>" in page and 'aria-current="page">By organisation' in page
    assert "Engineering" in page and org.company_objective.title in page
    unit = client.get(
        reverse("okrs:tree-unit", args=[org.function.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert org.function_objective.title in unit
    assert "Payments" in unit and "Search" in unit and "1 open blocker" in unit


def test_unknown_objects_are_404(client, tree_org: Org) -> None:
    client.force_login(tree_org.leader)
    for name in ("okrs:tree-children", "okrs:tree-map-svg", "okrs:tree-unit"):
        assert client.get(reverse(name, args=[999_999])).status_code == 404, name


def test_user_text_is_escaped_in_the_tree(client, tree_org: Org) -> None:
    org = tree_org
    org.function_objective.title = '<script>alert("x")</script>'
    org.function_objective.save()
    client.force_login(org.leader)
    page = client.get(reverse("okrs:tree")).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_the_alignment_map_is_an_svg_download(client, tree_org: Org) -> None:
    org = tree_org
    org.objective.title = 'Payments <never> fail & "stay" up'
    org.objective.save()
    client.force_login(org.engineer)
    response = client.get(reverse("okrs:tree-map-svg", args=[org.company_objective.pk]))
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="customers-trust-us-alignment-map.svg"'
    )
    svg = ElementTree.fromstring(response.content)  # well-formed, so the text was escaped
    texts = " ".join(t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text"))
    for title in (org.company_objective.title, org.function_objective.title, "Payments"):
        assert title in texts
    assert "Payments &lt;never&gt; fail &amp; &quot;stay&quot;" in response.content.decode()
    boxes = [g for g in svg.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "box"]
    assert len(boxes) == 3
    assert len(list(svg.iter("{http://www.w3.org/2000/svg}path"))) == 2


def test_the_tree_links_from_the_main_navigation(client, tree_org: Org) -> None:
    client.force_login(tree_org.engineer)
    page = client.get(reverse("home")).content.decode()
    assert f'<a href="{reverse("okrs:tree")}">Alignment</a>' in page


def test_filter_to_output_key_results(client, tree_org: Org) -> None:
    org = tree_org
    KeyResultFactory(objective=org.objective, statement="Launch the new payments dashboard")
    client.force_login(org.leader)
    page = client.get(reverse("okrs:tree") + "?flag=output").content.decode()
    assert "Showing <strong>output key results</strong>" in page
    assert "1 match" in page
    fragment = client.get(
        reverse("okrs:tree-children", args=[org.function_objective.pk]) + "?flag=output",
        headers={"HX-Request": "true"},
    ).content.decode()
    assert org.objective.title in fragment and "1 output key result" in fragment
    opened = client.get(
        reverse("okrs:tree-children", args=[org.objective.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "Reads like an output" in opened


def test_scores_show_once_key_results_are_scored(client, tree_org: Org) -> None:
    org = tree_org
    kr = org.company_objective.key_results.get()
    client.force_login(org.leader)
    assert "Score" not in client.get(reverse("okrs:tree")).content.decode()
    kr.score = "0.7"
    kr.save()
    page = client.get(reverse("okrs:tree")).content.decode()
    assert "<span>Score 0.7</span>" in page  # the objective's, and its key result's
    assert page.count("Score 0.7") == 2


def test_before_the_first_quarter_the_tree_says_so(client, db) -> None:
    from tests.accounts.factories import UserFactory

    client.force_login(UserFactory())
    page = client.get(reverse("okrs:tree")).content.decode()
    assert "No quarter yet" in page
    assert client.get(reverse("okrs:tree-unaligned")).status_code == 200


def test_a_scored_objective_is_past_risk_and_past_the_sufficiency_question(
    client, tree_org: Org
) -> None:
    """In a scored quarter the score says how it went: low confidence no longer reads as
    a risk, and nobody is asked whether the contributions will be enough."""
    org = tree_org
    KeyResult.objects.filter(objective=org.company_objective).update(confidence=20)
    client.force_login(org.leader)
    page = client.get(reverse("okrs:tree")).content.decode()
    assert "At risk: confidence 20%" in page
    assert "Enough if every contribution lands? Not answered yet." in page
    KeyResult.objects.filter(objective=org.company_objective).update(score="0.4")
    page = client.get(reverse("okrs:tree")).content.decode()
    assert "At risk" not in page.split(org.company_objective.title, 1)[1].split("</li>", 1)[0]
    assert "Not answered yet" not in page
    assert "Score 0.4" in page
    # A mean shows as the scoring page shows it: 0.45, not rounded to 0.5.
    KeyResultFactory(objective=org.company_objective, score="0.5")  # with the 0.4: 0.45
    assert "Score 0.45" in client.get(reverse("okrs:tree")).content.decode()
