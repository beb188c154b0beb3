"""The setting page as each persona sees it, and what every page and htmx endpoint costs:
a fixed number of queries, pinned at 5 and at 50 objectives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Membership
from cycles.models import Cycle
from okrs.models import AlignmentLink, Dependency, Objective, ObjectiveComment
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.okrs.conftest import Setting
from tests.okrs.factories import KeyResultFactory, MetricFactory, ObjectiveFactory

HTMX = {"HX-Request": "true"}


def grow(setting: Setting, total: int) -> None:
    """Bring the team to `total` objectives in the setting cycle, each with three key results
    (owner and metric), a link up, a dependency, a comment, and an unfinished predecessor
    last quarter; and one request from another unit per objective."""
    org = setting.org
    parent = Objective.objects.filter(unit=org.function, cycle=setting.cycle).first()
    if parent is None:
        parent = ObjectiveFactory(unit=org.function, cycle=setting.cycle, title="Ship safely")
    asker = ObjectiveFactory(unit=org.other_team, cycle=setting.cycle)
    metric = MetricFactory()
    existing = Objective.objects.filter(unit=org.team, cycle=setting.cycle).count()
    for _ in range(total - existing):
        old = ObjectiveFactory(unit=org.team, cycle=org.cycle)
        KeyResultFactory(objective=old)
        objective = ObjectiveFactory(
            unit=org.team, cycle=setting.cycle, owner=UserFactory(), carried_from=old
        )
        for _ in range(3):
            KeyResultFactory(objective=objective, owner=UserFactory(), metric=metric)
        AlignmentLink.objects.create(child=objective, parent=parent, how="It moves it")
        Dependency.objects.create(objective=objective, provider=org.other_team, description="d")
        Dependency.objects.create(objective=asker, provider=org.team, description="asked")
        ObjectiveComment.objects.create(objective=objective, author=org.lead, body="Hm")
        MembershipFactory(unit=org.team, role=Membership.Role.MEMBER)


def test_a_lead_gets_the_forms_an_engineer_reads(client, setting: Setting) -> None:
    org = setting.org
    url = reverse("okrs:unit-setting", args=[org.team.pk]) + f"?cycle={setting.cycle.pk}"
    client.force_login(org.lead)
    page = client.get(url).content.decode()
    assert "Add an objective" in page and "Propose for agreement" in page
    assert setting.key_result.statement in page
    client.force_login(org.engineer)
    page = client.get(url).content.decode()
    assert setting.objective.title in page and setting.key_result.statement in page
    assert "Add an objective" not in page and "Propose for agreement" not in page
    assert reverse("okrs:objective-edit", args=[setting.objective.pk]) not in page
    assert "Its leads, and the leads of the units above it, edit them" in page


def test_without_cycle_the_page_opens_on_the_cycle_being_set(client, setting: Setting) -> None:
    client.force_login(setting.org.lead)
    response = client.get(reverse("okrs:unit-setting", args=[setting.org.team.pk]))
    assert response.context["cycle"] == setting.cycle


@pytest.mark.parametrize("bad", ["abc", "99999"])
def test_an_unknown_cycle_is_a_404(client, setting: Setting, bad: str) -> None:
    client.force_login(setting.org.lead)
    url = reverse("okrs:unit-setting", args=[setting.org.team.pk])
    assert client.get(f"{url}?cycle={bad}").status_code == 404


def test_more_than_five_objectives_warn_and_ask_why(client, setting: Setting) -> None:
    org = setting.org
    url = reverse("okrs:unit-setting", args=[org.team.pk]) + f"?cycle={setting.cycle.pk}"
    client.force_login(org.lead)
    grow(setting, 5)
    assert "more than five" not in client.get(url).content.decode()
    ObjectiveFactory(unit=org.team, cycle=setting.cycle)
    page = client.get(url).content.decode()
    assert "6 objectives: more than five" in page and "Save the reason" in page
    reason_url = reverse("okrs:focus-reason", args=[org.team.pk]) + f"?cycle={setting.cycle.pk}"
    fragment = client.post(reason_url, {"reason": "A PCI audit quarter"}, headers=HTMX)
    assert "A PCI audit quarter" in fragment.content.decode()
    client.force_login(org.engineer)
    page = client.get(url).content.decode()
    assert "The reason given: A PCI audit quarter" in page


def test_the_unit_page_and_the_home_page_link_to_setting(client, setting: Setting) -> None:
    org = setting.org
    client.force_login(org.lead)
    home = client.get("/").content.decode()
    setting_url = reverse("okrs:unit-setting", args=[org.team.pk]) + f"?cycle={setting.cycle.pk}"
    assert setting_url in home and "Payments: set the OKRs for 2027 Q1" in home
    unit = client.get(reverse("okrs:unit-detail", args=[org.team.pk])).content.decode()
    assert reverse("okrs:unit-setting", args=[org.team.pk]) in unit
    # Engineers are not asked to set anything.
    client.force_login(org.engineer)
    assert "set the OKRs" not in client.get("/").content.decode()


def test_retro_actions_show_when_a_provider_is_registered(client, setting: Setting) -> None:
    from okrs import setting as slots

    def provider(unit: Any, cycle: Any) -> list[slots.RetroAction]:
        return [slots.RetroAction(text="Baseline every key result before proposing")]

    slots.register_retro_actions(provider)
    try:
        client.force_login(setting.org.lead)
        url = reverse("okrs:unit-setting", args=[setting.org.team.pk])
        page = client.get(url).content.decode()
        assert "From the last retrospective" in page
        assert "Baseline every key result before proposing" in page
    finally:
        slots._retro_providers.remove(provider)


def test_a_closed_cycle_reads_only(client, setting: Setting) -> None:
    Cycle.objects.filter(pk=setting.cycle.pk).update(phase=Cycle.Phase.CLOSED)
    client.force_login(setting.org.lead)
    url = reverse("okrs:unit-setting", args=[setting.org.team.pk]) + f"?cycle={setting.cycle.pk}"
    page = client.get(url).content.decode()
    assert "is closed" in page and "Add an objective" not in page
    edit = reverse("okrs:objective-edit", args=[setting.objective.pk])
    assert client.get(edit).status_code == 403


# What each page and endpoint costs ----------------------------------------------------------


@dataclass
class Endpoint:
    """One page or endpoint: its URL and form data from the setting (and from `fresh`, an
    object made anew before each measurement, so writes do the same work at both sizes)."""

    url: Callable[[Setting, Any], str]
    queries: int
    method: str = "get"
    data: Callable[[Setting, Any], dict[str, Any]] = field(default=lambda s, x: {})
    htmx: bool = True
    fresh: Callable[[Setting], Any] = field(default=lambda s: None)
    persona: str = "lead"


def _setting_url(s: Setting, x: Any = None) -> str:
    return reverse("okrs:unit-setting", args=[s.org.team.pk]) + f"?cycle={s.cycle.pk}"


def _kr_fields(prefix: str) -> dict[str, str]:
    return {
        f"{prefix}-statement": "Reduce refund tickets from 340 to 120 a week",
        f"{prefix}-direction": "decrease",
        f"{prefix}-baseline_value": "340",
        f"{prefix}-target": "120",
        f"{prefix}-version": "1",
    }


def _draft(s: Setting, status: str = "draft") -> Objective:
    objective = ObjectiveFactory(unit=s.org.team, cycle=s.cycle, status=status)
    KeyResultFactory(objective=objective)
    return objective


def _url(name: str, pk: Callable[[Setting, Any], int], query: str = "") -> Callable[..., str]:
    return lambda s, x: reverse(f"okrs:{name}", args=[pk(s, x)]) + query


def _objective(s: Setting, x: Any) -> int:
    return s.objective.pk


def _fresh(s: Setting, x: Any) -> int:
    return x.pk


def _kr(s: Setting, x: Any) -> int:
    return s.key_result.pk


def _team(s: Setting, x: Any) -> int:
    return s.org.team.pk


CYCLE = "?cycle={}"


def _in_cycle(name: str) -> Callable[..., str]:
    return lambda s, x: reverse(f"okrs:{name}", args=[s.org.team.pk]) + f"?cycle={s.cycle.pk}"


# Session and user come first in each count; the rest is the view's own, counted once by hand
# and pinned here: what matters is that it does not grow with the unit's objectives.
ENDPOINTS = {
    # unit, cycle, objectives + key results + links + dependencies, memberships and tree
    # (rights), focus reason, incoming, previous cycle + its objectives + key results, cycle
    # picker, owners for the create form, the banner's current cycle
    # ... + the last retrospective's actions (cycles' slot). The banner shows the page's own
    # quarter (not the current one), so it asks no personal hint.
    "setting-page": Endpoint(_setting_url, 19, htmx=False),
    "focus-refresh": Endpoint(_in_cycle("focus-reason"), 8),
    "focus-save": Endpoint(
        _in_cycle("focus-reason"), 16, method="post", data=lambda s, x: {"reason": "An audit"}
    ),
    "card-head": Endpoint(_url("objective-card", _objective, "?part=head"), 9),
    "card-summary": Endpoint(_url("objective-card", _objective, "?part=summary"), 9),
    "card-krs": Endpoint(_url("objective-card", _objective, "?part=krs"), 9),
    "objective-edit-form": Endpoint(_url("objective-edit", _objective), 6),
    "objective-save": Endpoint(
        _url("objective-edit", _objective),
        18,
        method="post",
        data=lambda s, x: {
            f"objective-{s.objective.pk}-title": f"Checkout is instant {s.objective.version}",
            f"objective-{s.objective.pk}-kind": "committed",
            f"objective-{s.objective.pk}-version": str(s.objective.version),
        },
    ),
    # ... + the empty form again, swapped over the used one (its owners)
    "objective-create": Endpoint(
        _in_cycle("objective-create"),
        24,
        method="post",
        data=lambda s, x: {
            "new-objective-title": "Refunds in a day",
            "new-objective-kind": "committed",
        },
    ),
    "objective-move": Endpoint(
        _url("objective-reorder", _objective),
        10,
        method="post",
        data=lambda s, x: {"direction": "down"},
    ),
    "objective-delete-confirm": Endpoint(_url("objective-delete", _fresh), 6, fresh=_draft),
    # Deleting reaches cycles' tables too (each key result's check-ins, which protect it,
    # its schedule, its reminders, its score and its retrospective mark): five queries of
    # Django's deletion collector.
    "objective-delete": Endpoint(_url("objective-delete", _fresh), 23, method="post", fresh=_draft),
    "objective-propose": Endpoint(
        _url("objective-propose", _fresh), 28, method="post", fresh=_draft
    ),
    "objective-agree": Endpoint(
        _url("objective-agree", _fresh),
        29,
        method="post",
        fresh=lambda s: _draft(s, "proposed"),
        persona="function_lead",
    ),
    "objective-send-back-form": Endpoint(
        _url("objective-send-back", _fresh),
        5,
        fresh=lambda s: _draft(s, "proposed"),
        persona="function_lead",
    ),
    "objective-send-back": Endpoint(
        _url("objective-send-back", _fresh),
        29,
        method="post",
        data=lambda s, x: {"comment": "Which merchants?"},
        fresh=lambda s: _draft(s, "proposed"),
        persona="function_lead",
    ),
    # (an objective of the next quarter: its banner asks no personal hint)
    "objective-page": Endpoint(_url("objective-detail", _objective), 12, htmx=False),
    "comment-add": Endpoint(
        _url("objective-comment-add", _objective),
        23,
        method="post",
        data=lambda s, x: {"body": "Why 300 ms?"},
    ),
    "carry-forward-form": Endpoint(
        lambda s, x: reverse("okrs:objective-carry-forward", args=[x.pk]) + f"?cycle={s.cycle.pk}",
        9,
        fresh=lambda s: (
            KeyResultFactory(
                objective=ObjectiveFactory(unit=s.org.team, cycle=s.org.cycle)
            ).objective
        ),
    ),
    "carry-forward": Endpoint(
        lambda s, x: reverse("okrs:objective-carry-forward", args=[x.pk]) + f"?cycle={s.cycle.pk}",
        37,
        method="post",
        data=lambda s, x: {"key_results": [kr.pk for kr in x.key_results.all()]},
        fresh=lambda s: (
            KeyResultFactory(
                objective=ObjectiveFactory(unit=s.org.team, cycle=s.org.cycle)
            ).objective
        ),
        htmx=False,
    ),
    "key-result-form": Endpoint(_url("key-result-create", _objective), 8),
    # ... + the empty form again, swapped over the used one (metrics, owners, last values)
    "key-result-create": Endpoint(
        _url("key-result-create", _objective),
        26,
        method="post",
        data=lambda s, x: _kr_fields(f"new-kr-{s.objective.pk}"),
    ),
    "key-result-edit-form": Endpoint(_url("key-result-edit", _kr), 8),
    "key-result-save": Endpoint(
        _url("key-result-edit", _kr),
        17,
        method="post",
        data=lambda s, x: (
            _kr_fields(f"kr-{s.key_result.pk}")
            | {
                f"kr-{s.key_result.pk}-version": str(s.key_result.version),
                f"kr-{s.key_result.pk}-target": str(100 + s.key_result.version),
            }
        ),
    ),
    "key-result-row": Endpoint(_url("key-result-row", _kr), 6),
    "key-result-check": Endpoint(
        _url("key-result-check", _objective),
        6,
        method="post",
        data=lambda s, x: {"prefix": "p", "p-metric": str(MetricFactory().pk), **_kr_fields("p")},
    ),
    "key-result-metric": Endpoint(
        lambda s, x: (
            reverse("okrs:key-result-metric", args=[s.objective.pk])
            + f"?prefix=p&p-metric={MetricFactory(last_value=3).pk}"
        ),
        9,  # with the notes pinned to the metric (cycles' slot)
    ),
    "key-result-delete": Endpoint(
        _url("key-result-delete", _fresh),
        15,  # with the deletion collector's five in cycles (see objective-delete)
        method="post",
        fresh=lambda s: KeyResultFactory(objective=s.objective),
    ),
    "key-result-move-form": Endpoint(_url("key-result-move", _kr), 9),
    "key-result-move": Endpoint(
        _url("key-result-move", _fresh),
        13,
        method="post",
        data=lambda s, x: {
            "to": Objective.objects.filter(unit=s.org.team, cycle=s.cycle).last().pk
        },
        fresh=lambda s: KeyResultFactory(objective=s.objective),
    ),
    "key-result-reorder": Endpoint(
        _url("key-result-reorder", _fresh),
        10,
        method="post",
        data=lambda s, x: {"direction": "up"},
        fresh=lambda s: KeyResultFactory(objective=s.objective, order=10**6),
    ),
    "alignment-form": Endpoint(_url("alignment-link-create", _objective), 8),
    "alignment-create": Endpoint(
        _url("alignment-link-create", _fresh),
        23,
        method="post",
        data=lambda s, x: {
            "parent": Objective.objects.filter(unit=s.org.function, cycle=s.cycle).first().pk,
            "how": "Fewer abandoned checkouts",
        },
        fresh=_draft,
    ),
    "alignment-delete": Endpoint(
        _url("alignment-link-delete", _fresh),
        12,
        method="post",
        fresh=lambda s: AlignmentLink.objects.create(
            child=_draft(s),
            parent=Objective.objects.filter(unit=s.org.function, cycle=s.cycle).first(),
            how="h",
        ),
    ),
    "dependency-form": Endpoint(_url("dependency-create", _objective), 6),
    "dependency-create": Endpoint(
        _url("dependency-create", _objective),
        17,
        method="post",
        data=lambda s, x: {"provider": s.org.other_team.pk, "description": "Index by Jan"},
    ),
    "dependency-answer": Endpoint(
        _url("dependency-answer", _fresh),
        22,
        method="post",
        data=lambda s, x: {"status": "declined", "note": "Not before March"},
        fresh=lambda s: Dependency.objects.create(
            objective=ObjectiveFactory(unit=s.org.other_team, cycle=s.cycle),
            provider=s.org.team,
            description="A review",
            requested_by=s.org.outsider,
        ),
    ),
}


@pytest.mark.parametrize("name", ENDPOINTS)
def test_every_page_and_endpoint_costs_the_same_at_5_and_50_objectives(
    client, setting: Setting, name: str, django_assert_num_queries
) -> None:
    endpoint = ENDPOINTS[name]
    client.force_login(setting.org.persona(endpoint.persona))
    headers = HTMX if endpoint.htmx else {}
    sizes = []
    for total in (5, 50):
        grow(setting, total)
        setting.objective.refresh_from_db()
        setting.key_result.refresh_from_db()
        fresh = endpoint.fresh(setting)
        url, data = endpoint.url(setting, fresh), endpoint.data(setting, fresh)
        with django_assert_num_queries(endpoint.queries):
            response = getattr(client, endpoint.method)(url, data, headers=headers)
        assert response.status_code in (200, 302), response.content[:500]
        assert b"alert--error" not in response.content, response.content[:2000]
        sizes.append(len(response.content))
    if name == "setting-page":
        assert sizes[1] > sizes[0] * 5
