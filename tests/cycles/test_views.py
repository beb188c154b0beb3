"""Check-in pages and htmx endpoints: what each person sees and may do, bad input, and a query
count that does not grow with the data."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Membership
from cycles.models import Cadence, CheckIn, ReminderSettings
from okrs.models import KeyResult
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.conftest import Org
from tests.cycles.helpers import check_in, make_reminder
from tests.okrs.factories import KeyResultFactory, ObjectiveFactory

HTMX = {"HX-Request": "true"}
# Monday 16 Nov 2026 09:00 in Oslo has passed: the engineer's key results are due.
NOW = datetime(2026, 11, 17, 10, tzinfo=UTC)
CREATED = datetime(2026, 9, 20, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def due(org: Org) -> KeyResult:
    """The engineer's key result, created before the quarter, last checked in on 2 November."""
    KeyResult.objects.filter(pk=org.key_result.pk).update(created_at=CREATED)
    check_in(org.key_result, confidence=60, value="0.6", at=datetime(2026, 11, 2, 10, tzinfo=UTC))
    return KeyResult.objects.get(pk=org.key_result.pk)


def form_data(kr: KeyResult, prefix: str | None = None, **values: str) -> dict[str, str]:
    prefix = prefix or f"kr{kr.pk}"
    data = {
        "confidence": "60",
        "value": "0.5",
        "what_changed": "",
        "blocker": "",
        "blocker_unit": "",
    }
    data.update(values)
    return {f"{prefix}-{k}": v for k, v in data.items()}


def grow(org: Org, n: int) -> None:
    """n more of everything the check-in pages show: key results of the engineer with
    check-ins and blockers, teammates with key results, blockers naming the team from another
    unit, check-ins on the key result under test."""
    for i in range(n):
        kr = KeyResultFactory(objective=org.objective, owner=org.engineer)
        KeyResult.objects.filter(pk=kr.pk).update(created_at=CREATED)
        check_in(kr, at=datetime(2026, 10, 5 + i % 20, 9, tzinfo=UTC))
        check_in(
            kr,
            at=datetime(2026, 11, 2, 9, tzinfo=UTC),
            blocker="Vendor",
            blocker_unit=org.other_team,
        )
        mate = UserFactory()
        MembershipFactory(user=mate, unit=org.team, role=Membership.Role.MEMBER)
        KeyResultFactory(objective=org.objective, owner=mate)
        other = KeyResultFactory(
            objective=ObjectiveFactory(unit=org.other_team, cycle=org.cycle), owner=org.outsider
        )
        check_in(other, blocker="Payments' schema", blocker_unit=org.team)
        check_in(
            org.key_result,
            confidence=60,
            value="0.6",
            at=datetime(2026, 10, 1, 9, tzinfo=UTC) + timedelta(hours=i + 1),
        )


def _count(client, method: str, url: str, n: int, django_assert_num_queries, **kwargs):
    with django_assert_num_queries(n):
        response = getattr(client, method)(url, **kwargs)
    assert response.status_code in (200, 302), response.status_code
    return response


# name: (persona, method, url, request kwargs, queries) -- session and user first, then the
# view's own (see each view's docstring and the comments here), and on full pages the cycle
# banner's personal hint (cycles.hints: one query).
def _pages(org: Org, token: str) -> dict:
    kr = org.key_result
    return {
        # cycles, key results, units (choices), tree, cadences, trend values
        "my-key-results": ("engineer", "get", reverse("cycles:my-key-results"), {}, 9),
        "my-key-results summary (htmx)": (
            "engineer",
            "get",
            reverse("cycles:my-key-results"),
            {"headers": HTMX},
            8,
        ),
        # key result, memberships + tree (a lead checks in), check-ins, tree, cadences, units,
        # cycles (the banner)
        "key-result-detail": (
            "lead",
            "get",
            reverse("cycles:key-result-detail", args=[kr.pk]),
            {},
            11,
        ),
        # key result, units, tree, cadences, trend values
        "check-in form (htmx)": (
            "engineer",
            "get",
            reverse("cycles:check-in-create", args=[kr.pk]),
            {"headers": HTMX},
            7,
        ),
        # unit, cycles, key results, blockers naming it, tree, cadences, memberships + tree
        # (may see failed reminders), failed reminders
        "unit-check-ins": (
            "lead",
            "get",
            reverse("cycles:unit-check-ins", args=[org.team.pk]),
            {},
            12,
        ),
        # unit, memberships + tree, tree, cadences, cycles
        "unit-cadence": ("lead", "get", reverse("cycles:unit-cadence", args=[org.team.pk]), {}, 9),
        # settings, recent reminders, cycles (the banner)
        "reminder-settings": ("engineer", "get", reverse("cycles:reminder-settings"), {}, 6),
        # no session user: reminder, its key results, units, tree, cadences, trend values
        "reminder-link": ("anonymous", "get", reverse("cycles:reminder-link", args=[token]), {}, 6),
        # the person
        "unsubscribe": (
            "anonymous",
            "get",
            reverse("cycles:unsubscribe", args=[_unsubscribe(org)]),
            {},
            1,
        ),
    }


def _unsubscribe(org: Org) -> str:
    from cycles.services import unsubscribe_token

    return unsubscribe_token(user_id=org.engineer.pk)


@pytest.mark.parametrize(
    "page_name",
    [
        "my-key-results",
        "my-key-results summary (htmx)",
        "key-result-detail",
        "check-in form (htmx)",
        "unit-check-ins",
        "unit-cadence",
        "reminder-settings",
        "reminder-link",
        "unsubscribe",
    ],
)
def test_pages_cost_the_same_queries_at_two_sizes(
    client, org: Org, due, page_name: str, django_assert_num_queries
) -> None:
    _, token = make_reminder(org.engineer, [org.key_result])
    grow(org, 1)
    persona, method, url, kwargs, n = _pages(org, token)[page_name]
    if persona != "anonymous":
        client.force_login(org.persona(persona))
    small = _count(client, method, url, n, django_assert_num_queries, **kwargs)
    grow(org, 8)
    big = _count(client, method, url, n, django_assert_num_queries, **kwargs)
    if page_name not in ("unsubscribe", "reminder-settings", "unit-cadence"):
        assert len(big.content) > len(small.content)


# Writes cost a fixed number of queries too (the service's own work included).
@pytest.mark.parametrize(
    ("name", "queries"),
    [
        # session, user, key result, units; the service: savepoint, lock, insert, tree,
        # cadences, the key result's update, the schedule's, release; then the row: key result,
        # tree, cadences, trend values
        ("row", 16),
        # the same, then the page: key result, check-ins, tree, cadences, units
        ("page", 17),
    ],
)
def test_a_check_in_costs_the_same_queries_at_two_sizes(
    client, org: Org, due, name: str, queries: int, django_assert_num_queries
) -> None:
    client.force_login(org.engineer)
    url = reverse("cycles:check-in-create", args=[org.key_result.pk])
    headers = {**HTMX, "HX-Target": "key-result-main" if name == "page" else "kr-row-1"}
    grow(org, 1)
    _count(
        client,
        "post",
        url,
        queries,
        django_assert_num_queries,
        data=form_data(org.key_result),
        headers=headers,
    )
    grow(org, 8)
    _count(
        client,
        "post",
        url,
        queries,
        django_assert_num_queries,
        data=form_data(org.key_result),
        headers=headers,
    )


# My key results --------------------------------------------------------------------------------


def test_my_key_results_opens_the_forms_of_due_key_results(client, org: Org, due) -> None:
    not_due = KeyResultFactory(objective=org.objective, owner=org.engineer, statement="Fresh one")
    check_in(not_due, at=NOW - timedelta(hours=1))
    client.force_login(org.engineer)
    page = client.get(reverse("cycles:my-key-results")).content.decode()
    assert "1 key result due." in page
    assert f'name="kr{due.pk}-confidence"' in page  # its form is open
    assert f'name="kr{not_due.pk}-confidence"' not in page  # checked in: a button instead
    assert "Due since Mon 16 Nov" in page and "Checked in for this period" in page
    assert page.index(due.statement) < page.index("Fresh one")  # due first
    assert 'placeholder="was 60"' in page and 'value="0.6"' in page  # not "0.6000"
    assert reverse("cycles:my-key-results") in page  # in the navigation


def test_checking_in_by_htmx_returns_the_updated_row(client, org: Org, due) -> None:
    client.force_login(org.engineer)
    response = client.post(
        reverse("cycles:check-in-create", args=[due.pk]),
        form_data(due, confidence="45", value="0.42", what_changed="The acquirer outage."),
        headers={**HTMX, "HX-Target": f"kr-row-{due.pk}"},
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "checkin-saved"
    row = response.content.decode()
    assert row.lstrip().startswith("<article") and f'id="kr-row-{due.pk}"' in row
    assert "Checked in" in row and "0.42%" in row and "45%" in row
    assert "<polyline" in row  # the trend now has two points
    assert f'name="kr{due.pk}-confidence"' not in row  # the form closed
    due.refresh_from_db()
    assert (due.current_value, due.confidence) == (Decimal("0.42"), 45)


def test_checking_in_without_javascript_redirects_back(client, org: Org, due) -> None:
    client.force_login(org.engineer)
    response = client.post(
        reverse("cycles:check-in-create", args=[due.pk]),
        {**form_data(due), "next": reverse("cycles:my-key-results")},
    )
    assert response.status_code == 302 and response["Location"] == reverse("cycles:my-key-results")
    assert CheckIn.objects.filter(key_result=due).count() == 2
    # A "next" elsewhere is ignored.
    response = client.post(
        reverse("cycles:check-in-create", args=[due.pk]),
        {**form_data(due), "next": "https://evil.example.com/"},
    )
    assert response["Location"] == reverse("cycles:key-result-detail", args=[due.pk])


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"confidence": "101"}, "confidence", "100 is the highest"),
        ({"confidence": "-1"}, "confidence", "0 is the lowest"),
        ({"confidence": "sixty"}, "confidence", "whole number from 0 to 100"),
        ({"value": "1,5"}, "value", "Use a dot for decimals: 1.5."),
        ({"value": "1,500"}, "value", "Is that 1500 or 1.500?"),
        ({"value": "1 500"}, "value", "without spaces"),
        ({"confidence": "", "value": ""}, "confidence", "Give your confidence"),
        ({"confidence": "", "value": ""}, "value", "Give the value measured now"),
        (
            {"what_changed": "x" * 10_000},
            "what_changed",
            "2000 characters or fewer (this has 10000)",
        ),
        ({"blocker": "y" * 10_000}, "blocker", "2000 characters or fewer"),
        (
            {"confidence": "30"},
            "what_changed",
            "Your confidence moved from 60 to 30: say what changed.",
        ),
        ({"blocker_unit": "999999"}, "blocker_unit", "Select a valid choice"),
    ],
)
@pytest.mark.parametrize("htmx", [True, False])
def test_bad_input_gets_a_message_next_to_the_field_and_keeps_what_was_typed(
    client, org: Org, due, values, field, message, htmx
) -> None:
    client.force_login(org.engineer)
    data = form_data(due, **values)
    response = client.post(
        reverse("cycles:check-in-create", args=[due.pk]),
        data,
        headers={**HTMX, "HX-Target": f"kr-row-{due.pk}"} if htmx else {},
    )
    assert response.status_code == 200
    page = response.content.decode()
    errors = re.search(rf'id="id_kr{due.pk}-{field}_errors">(.*?)</ul>', page, re.S)
    assert errors, f"no message next to {field}"
    assert message in errors.group(1).replace("&quot;", '"')
    typed = values.get(field)
    if typed and len(typed) < 100 and field != "blocker_unit":
        assert typed in page  # nothing lost
    assert CheckIn.objects.filter(key_result=due).count() == 1  # nothing saved


def test_the_blocker_unit_needs_a_blocker(client, org: Org, due) -> None:
    client.force_login(org.engineer)
    page = client.post(
        reverse("cycles:check-in-create", args=[due.pk]),
        form_data(due, blocker_unit=str(org.other_team.pk)),
        headers=HTMX,
    ).content.decode()
    assert "Say what blocks it before naming who could unblock it." in page
    assert '<details class="checkin-form__blocker" open>' in page


def test_others_cannot_check_in(client, org: Org, due) -> None:
    client.force_login(org.outsider)
    url = reverse("cycles:check-in-create", args=[due.pk])
    response = client.post(url, form_data(due), headers=HTMX)
    assert response.status_code == 403 and b"data-alert" in response.content
    page = client.get(reverse("cycles:key-result-detail", args=[due.pk])).content.decode()
    assert "Check in</h2>" not in page and due.statement in page
    assert CheckIn.objects.filter(key_result=due).count() == 1


# The key result page -----------------------------------------------------------------------


def test_key_result_page_shows_history_chart_and_blockers(client, org: Org, due) -> None:
    check_in(
        due,
        confidence=50,
        value="0.5",
        what_changed="<b>Retries</b> landed",
        blocker="<script>alert(1)</script>",
        blocker_unit=org.other_team,
        at=NOW - timedelta(hours=2),
    )
    client.force_login(org.outsider)
    page = client.get(reverse("cycles:key-result-detail", args=[due.pk])).content.decode()
    assert '<svg class="chart"' in page and '<polyline class="chart__value"' in page
    assert "chart__plan" in page  # the baseline-to-target line
    assert "2 check-ins from 02 Nov to 17 Nov" in page  # the chart's text description
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "&lt;b&gt;Retries&lt;/b&gt; landed" in page
    assert "Search</a> could unblock it" in page
    assert " style=" not in page  # the CSP forbids inline styles
    # Linked from the objective and unit pages.
    for url in (
        reverse("okrs:objective-detail", args=[org.objective.pk]),
        reverse("okrs:unit-detail", args=[org.team.pk]),
    ):
        assert (
            reverse("cycles:key-result-detail", args=[due.pk]) in client.get(url).content.decode()
        )


def test_checking_in_from_the_key_result_page_updates_it(client, org: Org, due) -> None:
    client.force_login(org.lead)
    response = client.post(
        reverse("cycles:check-in-create", args=[due.pk]),
        form_data(due, value="0.3"),
        headers={**HTMX, "HX-Target": "key-result-main"},
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="key-result-main"')
    assert "Lena Lead" in page  # the history names who checked in
    assert page.count('<circle class="chart__value-dot"') == 2


def test_correcting_the_latest_check_in(client, org: Org, due) -> None:
    wrong = check_in(due, confidence=60, value="6", at=NOW - timedelta(hours=1))
    client.force_login(org.engineer)
    page = client.get(reverse("cycles:key-result-detail", args=[due.pk])).content.decode()
    assert reverse("cycles:check-in-correct", args=[wrong.pk]) in page
    response = client.post(
        reverse("cycles:check-in-correct", args=[wrong.pk]),
        form_data(due, "correct", value="0.6", what_changed=""),
    )
    assert "Say what was wrong" in response.content.decode()  # a reason is required
    response = client.post(
        reverse("cycles:check-in-correct", args=[wrong.pk]),
        form_data(due, "correct", value="0.6", what_changed="Typed 6 for 0.6"),
    )
    assert response.status_code == 302
    due.refresh_from_db()
    assert due.current_value == Decimal("0.6")
    page = client.get(reverse("cycles:key-result-detail", args=[due.pk])).content.decode()
    assert "history__corrected" in page and ">correction<" in page


def test_the_open_blocker_is_not_repeated_among_earlier_ones(client, org: Org, due) -> None:
    check_in(
        due,
        confidence=50,
        value="0.7",
        blocker="Waiting on the card network",
        at=NOW - timedelta(hours=3),
    )
    check_in(
        due,
        confidence=40,
        value="0.6",
        what_changed="Slower",
        blocker="Vendor API quota",
        at=NOW - timedelta(hours=2),
    )
    client.force_login(org.engineer)
    page = client.get(reverse("cycles:key-result-detail", args=[due.pk])).content.decode()
    assert "<strong>Open:</strong> Vendor API quota" in page
    earlier = page.split("Named in earlier check-ins")[1].split("</ul>")[0]
    assert "Waiting on the card network" in earlier and "Vendor API quota" not in earlier


# Coverage and cadence ------------------------------------------------------------------------


def test_the_unit_page_shows_who_has_checked_in_and_blockers_naming_it(
    client, org: Org, due
) -> None:
    done = KeyResultFactory(objective=org.objective, owner=org.lead, statement="Lead's own")
    KeyResult.objects.filter(pk=done.pk).update(created_at=CREATED)
    check_in(done, at=NOW - timedelta(hours=3), confidence=70)
    other = KeyResultFactory(
        objective=ObjectiveFactory(unit=org.other_team, cycle=org.cycle), owner=org.outsider
    )
    check_in(other, blocker="Needs the Payments schema change", blocker_unit=org.team)
    client.force_login(org.outsider)
    page = client.get(reverse("cycles:unit-check-ins", args=[org.team.pk])).content.decode()
    assert "1 checked in, 1 not yet." in page
    assert "Needs the Payments schema change" in page  # named by another unit
    assert "Reminders not delivered" not in page  # for the unit's leads only
    client.force_login(org.lead)
    page = client.get(reverse("cycles:unit-check-ins", args=[org.team.pk])).content.decode()
    assert "Reminders not delivered" in page
    # Linked from okrs' unit page.
    unit_page = client.get(reverse("okrs:unit-detail", args=[org.team.pk])).content.decode()
    assert reverse("cycles:unit-check-ins", args=[org.team.pk]) in unit_page


def test_failed_reminders_show_to_the_units_lead(client, org: Org, due) -> None:
    reminder, _ = make_reminder(org.engineer, [due])
    reminder.email.state = "failed"
    reminder.email.last_error = "SMTPRecipientsRefused: 550 mailbox unavailable"
    reminder.email.save()
    client.force_login(org.lead)
    page = client.get(reverse("cycles:unit-check-ins", args=[org.team.pk])).content.decode()
    assert "550 mailbox unavailable" in page and "Eli Engineer" in page


def test_the_cadence_page_shows_inheritance_and_the_next_three_due_dates(client, org: Org) -> None:
    Cadence.objects.create(unit=org.function, frequency="weekly", weekday=2, hour=10)
    client.force_login(org.engineer)
    page = client.get(reverse("cycles:unit-cadence", args=[org.team.pk])).content.decode()
    assert "Every Wednesday at 10:00" in page and "Inherited from Engineering." in page
    assert "Wednesday 18 November, 10:00" in page
    assert "Wednesday 2 December, 10:00" in page and "Wednesday 9 December" not in page
    assert "Save the cadence" not in page  # engineers read it


def test_a_lead_sets_and_clears_the_units_cadence(client, org: Org, due) -> None:
    client.force_login(org.lead)
    url = reverse("cycles:unit-cadence", args=[org.team.pk])
    response = client.post(
        url, {"source": "own", "frequency": "monthly", "weekday": "0", "hour": "8"}
    )
    assert response.status_code == 302
    assert Cadence.objects.get(unit=org.team).frequency == "monthly"
    due.refresh_from_db()
    assert due.check_in_due_on.isoformat() == "2026-12-07"  # the first Monday of December
    client.post(url, {"source": "inherit", "frequency": "monthly", "weekday": "0", "hour": "8"})
    assert not Cadence.objects.filter(unit=org.team).exists()
    client.force_login(org.engineer)
    assert (
        client.post(
            url, {"source": "own", "frequency": "weekly", "weekday": "0", "hour": "8"}
        ).status_code
        == 403
    )


# Reminder settings and unsubscribing -------------------------------------------------------


def test_pausing_needs_an_end_date(client, org: Org) -> None:
    client.force_login(org.engineer)
    url = reverse("cycles:reminder-settings")
    page = client.post(url, {"state": "paused", "paused_until": ""}).content.decode()
    assert "Choose the date the pause ends." in page
    page = client.post(url, {"state": "paused", "paused_until": "2026-11-01"}).content.decode()
    assert "Choose a date from today on." in page
    assert client.post(url, {"state": "paused", "paused_until": "2026-12-24"}).status_code == 302
    row = ReminderSettings.objects.get(user=org.engineer)
    assert (row.state, row.paused_until.isoformat()) == ("paused", "2026-12-24")
    # Shown back as the date input needs it (ISO), so saving again unchanged works.
    assert 'value="2026-12-24"' in client.get(url).content.decode()
    assert client.post(url, {"state": "off"}).status_code == 302
    assert ReminderSettings.objects.get(user=org.engineer).state == "off"
    # The profile page links here.
    assert url in client.get(reverse("accounts:profile")).content.decode()


def test_one_click_unsubscribe(client, org: Org) -> None:
    from cycles.services import unsubscribe_token

    url = reverse("cycles:unsubscribe", args=[unsubscribe_token(user_id=org.engineer.pk)])
    # Opening the link (a mail scanner, a preview) changes nothing.
    assert "Turn reminders off" in client.get(url).content.decode()
    assert not ReminderSettings.objects.exists()
    # RFC 8058: the mail client POSTs List-Unsubscribe=One-Click, without a CSRF token.
    csrf_client = client.__class__(enforce_csrf_checks=True)
    response = csrf_client.post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200 and "Reminders are off" in response.content.decode()
    assert ReminderSettings.objects.get(user=org.engineer).state == "off"
    assert client.get(url[:-6] + "xxxxx/").status_code == 400  # tampered


def test_a_correction_costs_the_same_queries_at_two_sizes(
    client, org: Org, due, frozen, django_assert_num_queries
) -> None:
    # session, user, the check-in, its key result, units; the service: savepoint, lock, the
    # latest check-in, insert, tree, cadences, the key result's update, the schedule's,
    # release; then the page: key result, check-ins, tree, cadences, units
    client.force_login(org.engineer)
    for size in (1, 8):
        grow(org, size)
        frozen.shift(timedelta(hours=1))  # after the last correction
        latest = check_in(due)
        _count(
            client,
            "post",
            reverse("cycles:check-in-correct", args=[latest.pk]),
            CORRECTION_QUERIES,
            django_assert_num_queries,
            data=form_data(due, "correct", what_changed="Typo"),
            headers={**HTMX, "HX-Target": "key-result-main"},
        )


CORRECTION_QUERIES = 19


def test_a_check_in_through_the_link_costs_the_same_queries_at_two_sizes(
    client, org: Org, due, django_assert_num_queries
) -> None:
    # the reminder, the key result among its key results, units; the service (8, as above);
    # then the row: key result, tree, cadences, trend values. No session, no user: nobody is
    # signed in.
    _, token = make_reminder(org.engineer, [due])
    url = reverse("cycles:reminder-link-check-in", args=[token, due.pk])
    for size in (1, 8):
        grow(org, size)
        _count(
            client,
            "post",
            url,
            LINK_CHECK_IN_QUERIES,
            django_assert_num_queries,
            data=form_data(due),
            headers={**HTMX, "HX-Target": f"kr-row-{due.pk}"},
        )


LINK_CHECK_IN_QUERIES = 15


def test_the_chart_axis_reads_in_round_numbers_with_the_unit(org: Org) -> None:
    from datetime import date, datetime

    from cycles.charts import key_result_chart

    kr = org.key_result  # 0.8% -> 0.2%, a decrease
    kr.baseline_value, kr.target, kr.unit = Decimal("0.6"), Decimal("0.15"), "%"
    at = datetime(2026, 10, 20, tzinfo=UTC)
    chart = key_result_chart(
        kr,
        [(at, Decimal("0.51"), 60), (at, Decimal("0.24"), 55)],
        starts_on=date(2026, 10, 1),
        ends_on=date(2026, 12, 31),
        now=at,
    )
    labels = [t.label for t in chart.value_ticks]
    assert labels == ["0%", "0.2%", "0.4%", "0.6%"]
    assert all(len(label) <= 5 for label in labels)  # no 0.375, 0.645
