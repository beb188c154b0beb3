"""The parent's answer: if everything that contributes were achieved, would this objective's
key results reach their targets? Who may answer, what a valid answer is, and the form with
and without JavaScript."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from okrs.models import AlignmentLink, Objective
from okrs.services import objective_answer_sufficiency
from tests.conftest import Org


def test_the_owner_answers(org: Org) -> None:
    objective_answer_sufficiency(
        objective=org.objective, answer="partly", note=" Nobody covers refunds. ", by=org.lead
    )
    org.objective.refresh_from_db()
    assert org.objective.sufficiency == "partly"
    assert org.objective.sufficiency_note == "Nobody covers refunds."
    # An answer is not an edit: a lead's open edit form does not go stale.
    assert org.objective.version == 1


def test_leads_above_answer_too_and_others_may_not(org: Org) -> None:
    objective_answer_sufficiency(objective=org.objective, answer="yes", by=org.leader)
    for person in (org.engineer, org.outsider):
        with pytest.raises(PermissionDenied):
            objective_answer_sufficiency(objective=org.objective, answer="no", note="x", by=person)
    assert Objective.objects.get(pk=org.objective.pk).sufficiency == "yes"


@pytest.mark.parametrize(
    ("answer", "note", "field"),
    [
        ("", "", "sufficiency"),
        ("maybe", "", "sufficiency"),
        ("partly", "", "sufficiency_note"),
        ("no", "   ", "sufficiency_note"),
    ],
)
def test_an_answer_must_be_a_choice_and_a_doubt_needs_a_note(
    org: Org, answer: str, note: str, field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        objective_answer_sufficiency(objective=org.objective, answer=answer, note=note, by=org.lead)
    assert field in raised.value.message_dict
    assert Objective.objects.get(pk=org.objective.pk).sufficiency == ""


def test_the_objective_page_offers_the_form_to_those_who_may_answer(client, org: Org) -> None:
    AlignmentLink.objects.create(child=org.objective, parent=org.function_objective, how="h")
    url = reverse("okrs:objective-detail", args=[org.function_objective.pk])
    client.force_login(org.function_lead)
    page = client.get(url).content.decode()
    assert "Would the contributions be enough?" in page and "Save the answer" in page
    client.force_login(org.lead)
    page = client.get(url).content.decode()
    assert "Would the contributions be enough?" in page and "Save the answer" not in page


def test_a_team_objective_nothing_builds_on_is_not_asked(client, org: Org) -> None:
    client.force_login(org.lead)
    page = client.get(reverse("okrs:objective-detail", args=[org.objective.pk])).content.decode()
    assert "Would the contributions be enough?" not in page


def test_without_javascript_the_form_posts_and_the_page_reloads(client, org: Org) -> None:
    client.force_login(org.leader)
    url = reverse("okrs:objective-sufficiency", args=[org.company_objective.pk])
    response = client.post(url, {"answer": "no", "note": "Fraud is not covered"})
    assert response.status_code == 302
    assert response["Location"].endswith(
        reverse("okrs:objective-detail", args=[org.company_objective.pk]) + "#sufficiency"
    )
    page = client.get(response["Location"]).content.decode()
    assert "Your answer is saved." in page
    assert "Answer: <strong>No</strong>. Fraud is not covered" in page


def test_with_htmx_the_section_comes_back(client, org: Org) -> None:
    client.force_login(org.leader)
    url = reverse("okrs:objective-sufficiency", args=[org.company_objective.pk])
    response = client.post(url, {"answer": "yes", "note": ""}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert 'id="sufficiency"' in body and "Your answer is saved." in body
    assert 'value="yes" id="id_answer_0" required checked' in body


@pytest.mark.parametrize("htmx", [False, True])
def test_an_invalid_answer_keeps_what_was_typed(client, org: Org, htmx: bool) -> None:
    client.force_login(org.leader)
    url = reverse("okrs:objective-sufficiency", args=[org.company_objective.pk])
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(url, {"answer": "partly", "note": ""}, headers=headers)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Say what would still be missing." in body
    assert 'value="partly" id="id_answer_1" required checked' in body
    assert Objective.objects.get(pk=org.company_objective.pk).sufficiency == ""
    response = client.post(url, {"answer": "", "note": "half"}, headers=headers)
    assert "Choose yes, partly or no." in response.content.decode()
    assert "half</textarea>" in response.content.decode()


def test_someone_else_is_refused(client, org: Org) -> None:
    client.force_login(org.engineer)
    url = reverse("okrs:objective-sufficiency", args=[org.company_objective.pk])
    response = client.post(url, {"answer": "yes"}, headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert "data-alert" in response.content.decode()
    assert Objective.objects.get(pk=org.company_objective.pk).sufficiency == ""
