"""The setting page's endpoints as a lead (and the wrong person) uses them: with htmx and
with plain form posts, with bad input, with two leads saving at once, and once locked."""

from __future__ import annotations

import datetime
import html
import json
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, OutgoingEmail
from okrs.models import (
    AlignmentLink,
    Dependency,
    KeyResult,
    Metric,
    Objective,
    ObjectiveChange,
    ObjectiveComment,
)
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.okrs.conftest import Setting
from tests.okrs.factories import KeyResultFactory, MetricFactory, ObjectiveFactory

HTMX = {"HX-Request": "true"}
SCRIPT = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"


@pytest.fixture
def lead(client: Client, setting: Setting) -> Client:
    client.force_login(setting.org.lead)
    return client


def triggers(response) -> dict:
    merged: dict = {}
    for header in ("HX-Trigger", "HX-Trigger-After-Settle"):
        if header in response.headers:
            merged.update(json.loads(response.headers[header]))
    return merged


def kr_data(prefix: str, **values: str) -> dict[str, str]:
    data = {
        "statement": "Reduce refund tickets from 340 to 120 a week",
        "direction": "decrease",
        "baseline_value": "340",
        "target": "120",
        "unit": "tickets",
        **values,
    }
    return {f"{prefix}-{key}": value for key, value in data.items()}


# Objectives -----------------------------------------------------------------------------------


def test_creating_an_objective_leads_straight_to_its_first_key_result(
    lead: Client, setting: Setting
) -> None:
    url = reverse("okrs:objective-create", args=[setting.org.team.pk])
    url += f"?cycle={setting.cycle.pk}"
    data = {"new-objective-title": "Refunds in a day", "new-objective-kind": "committed"}
    response = lead.post(url, data, headers=HTMX)
    objective = Objective.objects.get(title="Refunds in a day")
    assert response.headers["HX-Retarget"] == "#objective-list"
    assert response.headers["HX-Reswap"] == "beforeend"
    assert {"objectives-changed", "okrs:reset"} <= set(triggers(response))
    body = response.content.decode()
    assert f'id="objective-{objective.pk}"' in body
    assert "Now its first key result" in body
    assert f'name="new-kr-{objective.pk}-statement"' in body
    textarea = body.split(f'<textarea name="new-kr-{objective.pk}-statement"')[1].split(">")[0]
    assert "autofocus" in textarea
    # Without JavaScript: the same form post redirects to the key result form.
    response = lead.post(url, {**data, "new-objective-title": "Second"})
    second = Objective.objects.get(title="Second")
    assert response.status_code == 302
    assert response["Location"] == reverse("okrs:key-result-create", args=[second.pk])


def test_a_five_thousand_character_title_keeps_the_text_and_says_why(
    lead: Client, setting: Setting
) -> None:
    url = reverse("okrs:objective-create", args=[setting.org.team.pk])
    url += f"?cycle={setting.cycle.pk}"
    long = ("Refunds land fast " * 300)[:4999] + "!"
    assert len(long) == 5000
    for headers in (HTMX, {}):
        response = lead.post(
            url, {"new-objective-title": long, "new-objective-kind": "x"}, headers=headers
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert "at most 200 characters (it has 5000)" in body
        assert long in body  # what was typed is still in the field
        assert "Select a valid choice" in body
        assert 'maxlength="200"' not in body
    assert not Objective.objects.filter(title__startswith="Refunds Refunds").exists()


def test_html_and_script_in_every_text_field_are_escaped(lead: Client, setting: Setting) -> None:
    org = setting.org
    objective = setting.objective
    edit = reverse("okrs:objective-edit", args=[objective.pk])
    p = f"objective-{objective.pk}"
    lead.post(
        edit,
        {f"{p}-title": SCRIPT, f"{p}-description": SCRIPT, f"{p}-kind": "committed",
         f"{p}-version": "1"},
    )  # fmt: skip
    kr_url = reverse("okrs:key-result-create", args=[objective.pk])
    lead.post(
        kr_url,
        kr_data(
            f"new-kr-{objective.pk}",
            statement=SCRIPT,
            baseline_source=SCRIPT,
            unit="<b>",
            new_metric_name=SCRIPT,
            metric_definition=SCRIPT,
            metric_source=SCRIPT,
        ),
    )
    parent = ObjectiveFactory(unit=org.function, cycle=setting.cycle, title="Parent")
    lead.post(
        reverse("okrs:alignment-link-create", args=[objective.pk]),
        {"parent": parent.pk, "how": SCRIPT, "expected_contribution": SCRIPT},
    )
    lead.post(
        reverse("okrs:dependency-create", args=[objective.pk]),
        {"provider": org.other_team.pk, "description": SCRIPT},
    )
    lead.post(reverse("okrs:objective-comment-add", args=[objective.pk]), {"body": SCRIPT})
    objective.refresh_from_db()
    assert objective.title == SCRIPT and Metric.objects.filter(name=SCRIPT).exists()
    pages = [
        reverse("okrs:unit-setting", args=[org.team.pk]) + f"?cycle={setting.cycle.pk}",
        reverse("okrs:objective-detail", args=[objective.pk]),
        reverse("okrs:unit-detail", args=[org.team.pk]) + f"?cycle={setting.cycle.pk}",
        reverse("okrs:objective-detail", args=[parent.pk]),
        reverse("okrs:unit-setting", args=[org.other_team.pk]) + f"?cycle={setting.cycle.pk}",
    ]
    for url in pages:
        body = lead.get(url).content.decode()
        assert "<script>alert" not in body, url
        assert ESCAPED in body, url
    fragment = lead.get(
        reverse("okrs:key-result-edit", args=[objective.key_results.last().pk]), headers=HTMX
    ).content.decode()
    assert "<script>alert" not in fragment and ESCAPED in fragment


def test_a_locked_objective_asks_why_and_the_history_says_it(
    lead: Client, setting: Setting
) -> None:
    setting.lock()
    objective = setting.objective
    edit = reverse("okrs:objective-edit", args=[objective.pk])
    form = lead.get(edit, headers=HTMX).content.decode()
    assert "Why does it change?" in form
    p = f"objective-{objective.pk}"
    data = {f"{p}-title": "Checkout is fast", f"{p}-kind": "aspirational", f"{p}-version": "1"}
    response = lead.post(edit, data, headers=HTMX)
    assert "Say why it changes" in response.content.decode()
    objective.refresh_from_db()
    assert objective.title == "Checkout feels instant"
    response = lead.post(edit, {**data, f"{p}-reason": "Instant is not measurable"}, headers=HTMX)
    assert "Checkout is fast" in response.content.decode()
    # Anyone reads the history.
    lead.force_login(setting.org.outsider)
    page = lead.get(reverse("okrs:objective-detail", args=[objective.pk])).content.decode()
    assert "Objective changed" in page and "Instant is not measurable" in page
    assert "Checkout feels instant" in page and "Checkout is fast" in page
    assert "Lena Lead" in page
    # A locked objective cannot be deleted, and the page does not offer it.
    lead.force_login(setting.org.lead)
    response = lead.post(reverse("okrs:objective-delete", args=[objective.pk]), headers=HTMX)
    assert "stays on the record" in response.content.decode()
    assert Objective.objects.filter(pk=objective.pk).exists()


def test_objectives_reorder_with_htmx_and_without(lead: Client, setting: Setting) -> None:
    org = setting.org
    second = ObjectiveFactory(unit=org.team, cycle=setting.cycle, order=setting.objective.order + 1)
    url = reverse("okrs:objective-reorder", args=[second.pk])
    response = lead.post(url, {"direction": "up"}, headers=HTMX)
    assert response.headers["HX-Reswap"] == "none"
    assert triggers(response)["okrs:moved"] == {"id": f"objective-{second.pk}", "direction": "up"}
    first = Objective.objects.filter(unit=org.team, cycle=setting.cycle).order_by("order").first()
    assert first == second
    response = lead.post(url, {"direction": "down"})
    assert response.status_code == 302 and response["Location"].endswith(f"#objective-{second.pk}")
    assert lead.post(url, {"direction": "sideways"}).status_code == 400


def test_deleting_asks_first_then_removes_the_card(lead: Client, setting: Setting) -> None:
    url = reverse("okrs:objective-delete", args=[setting.objective.pk])
    confirm = lead.get(url, headers=HTMX).content.decode()
    assert "Delete “Checkout feels instant”?" in confirm and "1 key result," in confirm
    assert "Keep it" in confirm
    assert Objective.objects.filter(pk=setting.objective.pk).exists()
    response = lead.post(url, headers=HTMX)
    assert response.content == b""
    assert response.headers["HX-Retarget"] == f"#objective-{setting.objective.pk}"
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert triggers(response)["okrs:focus"] == {"target": "#new-objective-title"}
    assert not Objective.objects.filter(pk=setting.objective.pk).exists()


# Key results ----------------------------------------------------------------------------------


def test_bad_key_result_input_is_explained_and_kept(lead: Client, setting: Setting) -> None:
    url = reverse("okrs:key-result-create", args=[setting.objective.pk])
    prefix = f"new-kr-{setting.objective.pk}"
    data = kr_data(
        prefix,
        baseline_value="12 ms",
        target="fast",
        baseline_measured_on="2027-02-01",
        measurement_ends_on="2027-02-01",
    )
    for headers in (HTMX, {}):
        response = lead.post(url, data, headers=headers)
        assert response.status_code == 200
        body = response.content.decode()
        assert body.count("Enter a number, like 42 or 0.8") == 2
        assert 'value="12 ms"' in body and 'value="fast"' in body
        assert "A baseline is a value already measured" in body
        assert "a measurement window ends after it" in body
        assert "Reduce refund tickets from 340 to 120 a week" in body
    assert setting.objective.key_results.count() == 1


def test_after_a_rejected_then_a_saved_key_result_the_form_is_empty(
    lead: Client, setting: Setting
) -> None:
    """The rejected values were the re-rendered form's defaults, so resetting it in the
    browser brought them back (and a hidden new-metric name with them): the saved answer
    carries the form again, empty, to swap over the used one."""
    url = reverse("okrs:key-result-create", args=[setting.objective.pk])
    prefix = f"new-kr-{setting.objective.pk}"
    rejected = kr_data(
        prefix, baseline_value="abc", statement="Pay out same day", new_metric_name="Payouts"
    )
    assert 'value="abc"' in lead.post(url, rejected, headers=HTMX).content.decode()
    saved = lead.post(
        url, kr_data(prefix, statement="Cut payout tickets from 50 to 10"), headers=HTMX
    ).content.decode()
    row, form = saved.split('<form hx-swap-oob="outerHTML" ', 1)
    assert "Cut payout tickets from 50 to 10" in row
    assert f'id="{prefix}-form"' in form
    for leftover in ('value="abc"', "Pay out same day", "Payouts", "Cut payout tickets"):
        assert leftover not in form, leftover


def test_after_an_objective_is_added_its_form_comes_back_empty(
    lead: Client, setting: Setting
) -> None:
    url = reverse("okrs:objective-create", args=[setting.org.team.pk])
    url += f"?cycle={setting.cycle.pk}"
    lead.post(url, {"new-objective-title": "x" * 600}, headers=HTMX)  # rejected: too long
    saved = lead.post(
        url,
        {"new-objective-title": "Refunds in a day", "new-objective-kind": "committed"},
        headers=HTMX,
    ).content.decode()
    row, form = saved.split('<form hx-swap-oob="outerHTML" ', 1)
    assert "Refunds in a day" in row and "Refunds in a day" not in form
    assert 'id="new-objective-form"' in form


def test_target_equal_to_baseline_saves_and_is_flagged(lead: Client, setting: Setting) -> None:
    url = reverse("okrs:key-result-create", args=[setting.objective.pk])
    prefix = f"new-kr-{setting.objective.pk}"
    response = lead.post(
        url,
        kr_data(prefix, baseline_value="120", target="120", statement="Reduce refund tickets"),
        headers=HTMX,
    )
    kr = setting.objective.key_results.get(statement="Reduce refund tickets")
    assert kr.target == kr.baseline_value == Decimal("120")
    assert response.headers["HX-Retarget"] == f"#objective-{setting.objective.pk}-krs"
    assert 'data-code="target_not_beyond_baseline"' in response.content.decode()
    assert f"kr-changed-{setting.objective.pk}" in triggers(response)


def test_the_coaching_runs_on_what_is_typed(lead: Client, setting: Setting) -> None:
    url = reverse("okrs:key-result-check", args=[setting.objective.pk])
    response = lead.post(
        url, {"prefix": "p", "p-statement": "Reduce p95 checkout latency", "p-direction": ""}
    )
    body = response.content.decode()
    assert 'data-code="no_baseline"' in body and 'data-code="no_target"' in body
    response = lead.post(
        url,
        {
            "prefix": "p",
            "p-statement": "Reduce p95 checkout latency from 900 ms to 300 ms",
            "p-baseline_value": "900",
            "p-target": "300",
            "p-unit": "ms",
            "p-direction": "decrease",
            "p-metric": str(MetricFactory(name="p95 checkout latency").pk),
        },
    )
    assert "Nothing to flag" in response.content.decode()
    # Half-typed numbers never break it.
    response = lead.post(url, {"prefix": "p", "p-statement": "x", "p-target": "1e999999"})
    assert response.status_code == 200


def test_the_numbers_in_the_statement_are_offered_for_the_empty_fields(
    lead: Client, setting: Setting
) -> None:
    url = reverse("okrs:key-result-check", args=[setting.objective.pk])
    statement = "Reduce refund tickets from 340 a week to 120 a week"
    body = lead.post(url, {"prefix": "p", "p-statement": statement}).content.decode()
    assert "Fill in the numbers" in body
    offered = html.unescape(body.split('data-fill="')[1].split('"', 1)[0])
    assert json.loads(offered) == {
        "baseline_value": "340",
        "target": "120",
        "direction": "decrease",
    }
    typed = lead.post(
        url, {"prefix": "p", "p-statement": statement, "p-baseline_value": "340", "p-target": "120"}
    ).content.decode()
    assert "Fill in the numbers" not in typed
    # The check compares in seconds; the form would read "0.3" as 0.3 ms: nothing offered.
    converted = lead.post(
        url, {"prefix": "p", "p-statement": "Cut p95 latency from 2 s to 300 ms"}
    ).content.decode()
    assert "Fill in the numbers" not in converted
    # A unit written beside the numbers comes along, so "30 -> 5" keeps its "%".
    percent = lead.post(
        url, {"prefix": "p", "p-statement": "Reduce failed payouts from 30% to 5%"}
    ).content.decode()
    offered = html.unescape(percent.split('data-fill="')[1].split('"', 1)[0])
    assert json.loads(offered)["unit"] == "%"


def test_an_output_is_flagged_while_typing_and_goes_when_rewritten(
    lead: Client, setting: Setting
) -> None:
    url = reverse("okrs:key-result-check", args=[setting.objective.pk])
    output = lead.post(
        url, {"prefix": "p", "p-statement": "Launch the new refund dashboard by March"}
    ).content.decode()
    assert 'data-code="output"' in output and "Looks like an output" in output
    outcome = lead.post(
        url,
        {
            "prefix": "p",
            "p-statement": "Reduce refund-related support tickets from 340 to 120 a week",
            "p-direction": "decrease",
        },
    ).content.decode()
    assert 'data-code="output"' not in outcome


def test_picking_a_known_metric_fills_the_baseline_where_empty(
    lead: Client, setting: Setting
) -> None:
    metric = MetricFactory(
        name="Refund tickets per week",
        unit="tickets",
        source="Zendesk: refund tag",
        last_value=Decimal("340.0000"),
        last_measured_on=datetime.date(2026, 12, 1),
    )
    url = reverse("okrs:key-result-metric", args=[setting.objective.pk])
    body = lead.get(url, {"prefix": "p", "p-metric": metric.pk}, headers=HTMX).content.decode()
    assert 'name="p-baseline_value" value="340"' in body
    assert 'value="2026-12-01"' in body and 'value="tickets"' in body
    assert "Zendesk: refund tag" in body and "Last measured: 340 tickets" in body
    assert 'name="p-baseline_source" value="Zendesk: refund tag"' in body
    kept = lead.get(
        url, {"prefix": "p", "p-metric": metric.pk, "p-baseline_value": "333"}, headers=HTMX
    ).content.decode()
    assert 'name="p-baseline_value" value="333"' in kept
    # The metric's source belongs to its value: not beside a baseline typed from elsewhere.
    assert 'name="p-baseline_source" value="Zendesk: refund tag"' not in kept


def test_a_new_metric_is_named_in_the_form(lead: Client, setting: Setting) -> None:
    url = reverse("okrs:key-result-create", args=[setting.objective.pk])
    prefix = f"new-kr-{setting.objective.pk}"
    lead.post(
        url,
        kr_data(
            prefix,
            new_metric_name="Refund tickets per week",
            metric_definition="Tickets tagged refund",
            metric_source="Zendesk",
            baseline_measured_on="2026-12-07",
        ),
    )
    metric = Metric.objects.get(name="Refund tickets per week")
    assert (metric.unit, metric.source, metric.last_value) == ("tickets", "Zendesk", 340)
    both = lead.post(url, kr_data(prefix, metric=str(metric.pk), new_metric_name="Another"))
    assert "keep one of them" in both.content.decode()


def test_two_leads_editing_one_key_result_lose_nothing(setting: Setting) -> None:
    org = setting.org
    kr = setting.key_result
    url = reverse("okrs:key-result-edit", args=[kr.pk])
    p = f"kr-{kr.pk}"
    lena, fran = Client(), Client()
    lena.force_login(org.lead)
    fran.force_login(org.function_lead)
    for person in (lena, fran):
        assert f'name="{p}-version" value="1"' in person.get(url, headers=HTMX).content.decode()
    lena.post(url, kr_data(p, statement="Lena's version", version="1"), headers=HTMX)
    refused = fran.post(url, kr_data(p, statement="Fran's version", version="1"), headers=HTMX)
    body = refused.content.decode()
    assert refused.status_code == 200
    assert "Lena Lead saved this key result at 10:00 while you were editing it" in body
    assert "Lena&#x27;s version" in body  # theirs, shown
    assert "Fran&#x27;s version</textarea>" in body  # mine, still in the form
    assert f'name="{p}-version" value="2"' in body  # saving again replaces knowingly
    kr.refresh_from_db()
    assert kr.statement == "Lena's version"
    fran.post(url, kr_data(p, statement="Fran's version", version="2"), headers=HTMX)
    kr.refresh_from_db()
    assert (kr.statement, kr.version) == ("Fran's version", 3)


def test_two_leads_editing_one_objective_lose_nothing(setting: Setting) -> None:
    org = setting.org
    objective = setting.objective
    url = reverse("okrs:objective-edit", args=[objective.pk])
    p = f"objective-{objective.pk}"
    lena, fran = Client(), Client()
    lena.force_login(org.lead)
    fran.force_login(org.function_lead)
    lena.post(url, {f"{p}-title": "Lena's", f"{p}-kind": "committed", f"{p}-version": "1"})
    body = fran.post(
        url, {f"{p}-title": "Fran's", f"{p}-kind": "committed", f"{p}-version": "1"}
    ).content.decode()
    assert "saved this objective" in body and "Lena&#x27;s" in body
    assert 'value="Fran&#x27;s"' in body


def test_key_results_move_between_objectives(lead: Client, setting: Setting) -> None:
    other = ObjectiveFactory(unit=setting.org.team, cycle=setting.cycle, title="Refunds")
    url = reverse("okrs:key-result-move", args=[setting.key_result.pk])
    form = lead.get(url, headers=HTMX).content.decode()
    assert "Refunds" in form and "Checkout feels instant</option>" not in form
    response = lead.post(url, {"to": other.pk}, headers=HTMX)
    assert response.headers["HX-Retarget"] == f"#kr-{setting.key_result.pk}"
    assert {f"kr-changed-{other.pk}", f"krs-changed-{other.pk}",
            f"kr-changed-{setting.objective.pk}"} <= set(triggers(response))  # fmt: skip
    setting.key_result.refresh_from_db()
    assert setting.key_result.objective == other


def test_deleting_a_key_result_of_a_locked_objective_needs_a_reason(
    lead: Client, setting: Setting
) -> None:
    setting.lock()
    url = reverse("okrs:key-result-delete", args=[setting.key_result.pk])
    assert "Why does it change?" in lead.get(url, headers=HTMX).content.decode()
    refused = lead.post(url, {}, headers=HTMX)
    assert "Say why" in refused.content.decode()
    assert KeyResult.objects.filter(pk=setting.key_result.pk).exists()
    lead.post(url, {"reason": "Measured elsewhere now"}, headers=HTMX)
    assert not KeyResult.objects.filter(pk=setting.key_result.pk).exists()
    assert ObjectiveChange.objects.get().reason == "Measured elsewhere now"


def test_engineers_get_a_clear_403_fragment_from_every_write(
    client: Client, setting: Setting
) -> None:
    client.force_login(setting.org.engineer)
    objective, kr = setting.objective, setting.key_result
    for url in (
        reverse("okrs:objective-edit", args=[objective.pk]),
        reverse("okrs:key-result-edit", args=[kr.pk]),
        reverse("okrs:key-result-check", args=[objective.pk]),
        reverse("okrs:objective-propose", args=[objective.pk]),
        reverse("okrs:key-result-delete", args=[kr.pk]),
    ):
        response = client.post(url, {}, headers=HTMX)
        assert response.status_code == 403, url
        body = response.content.decode()
        assert "data-alert" in body and "Only leads of Payments" in body, url
        assert "<html" not in body


# The debate -------------------------------------------------------------------------------


def test_propose_agree_and_send_back_from_the_page(client: Client, setting: Setting) -> None:
    org = setting.org
    objective = setting.objective
    client.force_login(org.lead)
    head = client.post(
        reverse("okrs:objective-propose", args=[objective.pk]), headers=HTMX
    ).content.decode()
    assert "Proposed: waiting for the lead above" in head and "the lead of the unit above" in head
    assert OutgoingEmail.objects.filter(to=org.function_lead.email).count() == 1
    client.force_login(org.function_lead)
    send_back = reverse("okrs:objective-send-back", args=[objective.pk])
    form = client.post(send_back, {"comment": ""}, headers=HTMX).content.decode()
    assert "Say what should change" in form
    head = client.post(send_back, {"comment": "Which merchants?"}, headers=HTMX)
    assert head.headers["HX-Retarget"] == f"#objective-{objective.pk}-head"
    objective.refresh_from_db()
    assert objective.status == "draft"
    client.force_login(org.lead)
    client.post(reverse("okrs:objective-propose", args=[objective.pk]))
    client.force_login(org.function_lead)
    response = client.post(
        reverse("okrs:objective-agree", args=[objective.pk]),
        {"next": reverse("okrs:objective-detail", args=[objective.pk])},
    )
    assert response["Location"] == reverse("okrs:objective-detail", args=[objective.pk])
    objective.refresh_from_db()
    assert objective.status == "agreed"
    page = client.get(response["Location"]).content.decode()
    assert "Which merchants?" in page and "Sent back" in page and "Agreed" in page


def test_the_objective_page_offers_only_what_you_may_do(client: Client, setting: Setting) -> None:
    org = setting.org
    url = reverse("okrs:objective-detail", args=[setting.objective.pk])
    client.force_login(org.engineer)
    page = client.get(url).content.decode()
    assert "Add comment" in page and "Propose for agreement" not in page
    client.force_login(org.lead)
    assert "Propose for agreement" in client.get(url).content.decode()


def test_comments_with_htmx_update_the_thread_and_mail_the_people_involved(
    client: Client, setting: Setting
) -> None:
    org = setting.org
    client.force_login(org.engineer)
    url = reverse("okrs:objective-comment-add", args=[setting.objective.pk])
    empty = client.post(url, {"body": " "}, headers=HTMX).content.decode()
    assert "Write something to comment" in empty
    thread = client.post(url, {"body": "Why 300 ms?"}, headers=HTMX).content.decode()
    assert "Why 300 ms?" in thread and "Eli Engineer" in thread
    assert ObjectiveComment.objects.get().author == org.engineer
    assert {e.to for e in OutgoingEmail.objects.all()} == {
        org.lead.email,
        org.function_lead.email,
    }


# Alignment and dependencies ---------------------------------------------------------------


def test_alignment_is_chosen_with_a_sentence_and_loops_are_refused(
    lead: Client, setting: Setting
) -> None:
    org = setting.org
    parent = ObjectiveFactory(unit=org.function, cycle=setting.cycle, title="Ship safely")
    sibling = ObjectiveFactory(unit=org.other_team, cycle=setting.cycle, title="Search is fast")
    ObjectiveFactory(unit=org.function, cycle=org.cycle, title="Last quarter's")
    url = reverse("okrs:alignment-link-create", args=[setting.objective.pk])
    form = lead.get(url, headers=HTMX).content.decode()
    assert "Engineering: Ship safely" in form and "Search: Search is fast" in form
    assert "Last quarter" not in form
    missing = lead.post(url, {"parent": parent.pk, "how": ""}, headers=HTMX).content.decode()
    assert "Say in a sentence how it contributes" in missing
    region = lead.post(
        url,
        {"parent": parent.pk, "how": "Faster checkout, fewer abandoned carts"},
        headers=HTMX,
    )
    assert region.headers["HX-Retarget"] == f"#objective-{setting.objective.pk}-alignment"
    assert "Faster checkout, fewer abandoned carts" in region.content.decode()
    # The parent's page shows what contributes, and how.
    parent_page = lead.get(reverse("okrs:objective-detail", args=[parent.pk])).content.decode()
    assert "Faster checkout, fewer abandoned carts" in parent_page
    # Sideways too: Payments' objective helps Search's...
    lead.post(url, {"parent": sibling.pk, "how": "Faster pages rank better"}, headers=HTMX)
    # ...so Search's cannot also help Payments': that would close a loop.
    lead.force_login(org.function_lead)
    loop = lead.post(
        reverse("okrs:alignment-link-create", args=[sibling.pk]),
        {"parent": setting.objective.pk, "how": "h"},
        headers=HTMX,
    ).content.decode()
    assert "would make a loop" in loop
    assert "Faster pages rank better" not in loop
    link = AlignmentLink.objects.get(child=setting.objective, parent=parent)
    lead.force_login(org.lead)
    lead.post(reverse("okrs:alignment-link-delete", args=[link.pk]), headers=HTMX)
    assert not AlignmentLink.objects.filter(pk=link.pk).exists()


def test_a_dependency_shows_on_both_setting_pages_and_is_answered(
    client: Client, setting: Setting
) -> None:
    org = setting.org
    search_lead = UserFactory(email="search@example.com", name="Sam Search")
    MembershipFactory(user=search_lead, unit=org.other_team, role=Membership.Role.LEAD)
    client.force_login(org.lead)
    region = client.post(
        reverse("okrs:dependency-create", args=[setting.objective.pk]),
        {"provider": org.other_team.pk, "description": "Index product pages by 15 Jan"},
        headers=HTMX,
    ).content.decode()
    assert "Index product pages by 15 Jan" in region and "Requested" in region
    dependency = Dependency.objects.get()
    provider_page = reverse("okrs:unit-setting", args=[org.other_team.pk])
    provider_page += f"?cycle={setting.cycle.pk}"
    client.force_login(search_lead)
    page = client.get(provider_page).content.decode()
    assert "Index product pages by 15 Jan" in page and "Decline" in page
    answer = reverse("okrs:dependency-answer", args=[dependency.pk])
    refused = client.post(answer, {"status": "declined", "note": ""}, headers=HTMX)
    assert "Say why you decline" in refused.content.decode()
    item = client.post(answer, {"status": "accepted", "note": "Yes, by 10 Jan"}, headers=HTMX)
    assert "Accepted" in item.content.decode()
    client.force_login(org.lead)
    own = client.get(
        reverse("okrs:unit-setting", args=[org.team.pk]) + f"?cycle={setting.cycle.pk}"
    ).content.decode()
    assert "Yes, by 10 Jan" in own and "Accepted" in own
    assert "Decline" not in own  # answering is for the unit asked
    # Search's lead was asked by email; the lead who asked hears the answer.
    assert OutgoingEmail.objects.filter(to=search_lead.email).count() == 1
    assert "accepted your request" in OutgoingEmail.objects.get(to=org.lead.email).subject


# Carrying forward -------------------------------------------------------------------------


def test_carry_forward_from_the_page(lead: Client, setting: Setting) -> None:
    org = setting.org
    old = ObjectiveFactory(unit=org.team, cycle=org.cycle, title="Fewer chargebacks")
    done = KeyResultFactory(objective=old, statement="Done one", score=Decimal("1.0"))
    open_kr = KeyResultFactory(objective=old, statement="Open one", current_value=Decimal("1.8"))
    page_url = reverse("okrs:unit-setting", args=[org.team.pk]) + f"?cycle={setting.cycle.pk}"

    # Set while 2026 Q4 still runs: not unfinished yet, only not reached so far.
    def noon(day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)

    with time_machine.travel(noon(org.cycle.ends_on), tick=False):
        lead.force_login(org.lead)  # a session of that day
        page = lead.get(page_url).content.decode()
    assert "Not reached yet in 2026 Q4" in page and "Unfinished" not in page
    with time_machine.travel(noon(org.cycle.ends_on + datetime.timedelta(days=1)), tick=False):
        lead.force_login(org.lead)
        assert "Unfinished in 2026 Q4" in lead.get(page_url).content.decode()
    url = reverse("okrs:objective-carry-forward", args=[old.pk]) + f"?cycle={setting.cycle.pk}"
    form = lead.get(url, headers=HTMX).content.decode()
    assert f'value="{open_kr.pk}"' in form
    checked = form.split(f'value="{open_kr.pk}"')[1][:40]
    assert "checked" in checked
    assert "checked" not in form.split(f'value="{done.pk}"')[1][:40]
    response = lead.post(url, {"key_results": [open_kr.pk]})
    new = Objective.objects.get(cycle=setting.cycle, carried_from=old)
    assert response["Location"].endswith(f"#objective-{new.pk}")
    assert list(new.key_results.values_list("statement", flat=True)) == ["Open one"]
    assert f'id="carry-{old.pk}"' not in lead.get(page_url).content.decode()


def test_without_javascript_every_form_is_a_page_that_posts_and_redirects(
    lead: Client, setting: Setting
) -> None:
    """No htmx: the links on the page lead to full pages whose forms post and come back."""
    objective, kr = setting.objective, setting.key_result
    for url in (
        reverse("okrs:objective-edit", args=[objective.pk]),
        reverse("okrs:key-result-create", args=[objective.pk]),
        reverse("okrs:key-result-edit", args=[kr.pk]),
        reverse("okrs:key-result-delete", args=[kr.pk]),
        reverse("okrs:key-result-move", args=[kr.pk]),
        reverse("okrs:objective-delete", args=[objective.pk]),
        reverse("okrs:alignment-link-create", args=[objective.pk]),
        reverse("okrs:dependency-create", args=[objective.pk]),
    ):
        page = lead.get(url).content.decode()
        assert "<html" in page and '<form method="post" novalidate' in page, url
        form = page.split('<form method="post" novalidate')[1].split(">")[0]
        assert "hx-post" not in form, url  # the standalone form posts normally
    # Plain posts redirect back to the setting page, at the item.
    p = f"kr-{kr.pk}"
    response = lead.post(
        reverse("okrs:key-result-edit", args=[kr.pk]), kr_data(p, version="1", target="250")
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"?cycle={setting.cycle.pk}#kr-{kr.pk}")
    page = lead.get(response["Location"]).content.decode()
    assert "Key result saved." in page and "decrease to 250 tickets" in page
    # Cancel links on those pages lead back too.
    card = lead.get(reverse("okrs:objective-card", args=[objective.pk]))
    assert card.status_code == 302 and card["Location"].endswith(f"#objective-{objective.pk}")


def test_a_company_objective_has_nothing_above_to_align_to(
    client: Client, setting: Setting
) -> None:
    org = setting.org
    company = ObjectiveFactory(unit=org.company, cycle=setting.cycle)
    ObjectiveFactory(unit=org.function, cycle=setting.cycle, title="A function's")
    client.force_login(org.leader)
    form = client.get(
        reverse("okrs:alignment-link-create", args=[company.pk]), headers=HTMX
    ).content.decode()
    assert "No objective above Acme" in form and "A function&#x27;s" not in form
