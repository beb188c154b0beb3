"""The reminder email's link: signed, bound to the person and that reminder, expiring with the
check-in window; it opens their due key results, authorises those check-ins only, signs nobody
in, and changes nothing until a form is submitted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import signing
from django.urls import reverse

from accounts.models import OutgoingEmail
from cycles import services
from cycles.models import CheckIn, CheckInSchedule, Reminder
from okrs.models import KeyResult
from tests.conftest import Org
from tests.cycles.helpers import make_reminder
from tests.okrs.factories import KeyResultFactory

NOW = datetime(2026, 11, 17, 10, tzinfo=UTC)
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def link(org: Org):
    KeyResult.objects.filter(pk=org.key_result.pk).update(
        created_at=datetime(2026, 9, 1, tzinfo=UTC)
    )
    reminder, token = make_reminder(
        org.engineer,
        [org.key_result],
        due_on=date(2026, 11, 16),
        window_ends_at=datetime(2026, 11, 30, 8, tzinfo=UTC),
    )
    return reminder, token


def data(kr: KeyResult, **values: str) -> dict[str, str]:
    base = {"confidence": "55", "value": "0.45", "what_changed": "Half the retries shipped."}
    base.update(values)
    return {f"kr{kr.pk}-{k}": v for k, v in base.items()}


def snapshot() -> tuple:
    return (
        CheckIn.objects.count(),
        list(KeyResult.objects.values_list("current_value", "confidence", "checked_in_at")),
        list(OutgoingEmail.objects.values_list("state", "attempts")),
        list(CheckInSchedule.objects.values_list("remind_at")),
    )


def test_opening_the_link_shows_the_due_key_results_and_changes_nothing(
    client, org: Org, link
) -> None:
    _, token = link
    before = snapshot()
    response = client.get(reverse("cycles:reminder-link", args=[token]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Check in, Eli" in page and org.key_result.statement in page
    assert f'name="kr{org.key_result.pk}-confidence"' in page
    assert "until Monday 30 November, 09:00" in page  # in the engineer's Oslo time
    assert snapshot() == before  # a mail scanner's GET is harmless
    assert "_auth_user_id" not in client.session  # nobody is signed in
    assert "Sign in</a> to see everything else" in page


def test_submitting_a_form_checks_in_as_the_person_without_signing_in(
    client, org: Org, link
) -> None:
    _, token = link
    url = reverse("cycles:reminder-link-check-in", args=[token, org.key_result.pk])
    response = client.post(
        url, data(org.key_result), headers={**HTMX, "HX-Target": f"kr-row-{org.key_result.pk}"}
    )
    assert response.status_code == 200 and response["HX-Trigger"] == "checkin-saved"
    assert "Checked in" in response.content.decode()
    ci = CheckIn.objects.latest("created_at")
    assert (ci.author, ci.via, ci.confidence) == (org.engineer, CheckIn.Via.EMAIL, 55)
    assert "_auth_user_id" not in client.session
    # Still not signed in: the rest of the site asks for a password.
    assert client.get(reverse("cycles:my-key-results")).status_code == 302


def test_without_javascript_the_form_posts_and_comes_back(client, org: Org, link) -> None:
    _, token = link
    url = reverse("cycles:reminder-link-check-in", args=[token, org.key_result.pk])
    response = client.post(url, data(org.key_result))
    assert response.status_code == 302
    assert (
        response["Location"]
        == reverse("cycles:reminder-link", args=[token]) + f"#kr-row-{org.key_result.pk}"
    )
    page = client.get(response["Location"]).content.decode()
    assert "Checked in on" in page


def test_bad_input_through_the_link_keeps_what_was_typed(client, org: Org, link) -> None:
    _, token = link
    url = reverse("cycles:reminder-link-check-in", args=[token, org.key_result.pk])
    for headers in (HTMX, {}):
        response = client.post(
            url, data(org.key_result, confidence="101", value="1,5"), headers=headers
        )
        assert response.status_code == 200
        page = response.content.decode()
        assert "100 is the highest" in page and "Use a dot for decimals: 1.5." in page
        assert 'value="1,5"' in page
    assert not CheckIn.objects.exists()


def test_the_link_authorises_its_own_key_results_only(client, org: Org, link) -> None:
    _, token = link
    other = KeyResultFactory(objective=org.objective, owner=org.engineer)
    url = reverse("cycles:reminder-link-check-in", args=[token, other.pk])
    response = client.post(url, data(other))
    assert response.status_code == 404
    assert "does not cover that key result" in response.content.decode()
    assert not CheckIn.objects.exists()
    # Nor anything else on the site.
    assert client.get(reverse("cycles:key-result-detail", args=[other.pk])).status_code == 302


def test_a_tampered_link_is_refused_with_a_page_offering_sign_in(client, org: Org, link) -> None:
    _, token = link
    payload, _, signature = token.partition(":")
    # Someone edits the payload to name another person: the signature no longer matches.
    forged = (
        signing.b64_encode(b'{"u":%d,"d":"2026-11-16"}' % org.lead.pk).decode() + ":" + signature
    )
    for bad in (token[:-3] + "abc", token[:20], forged, "nonsense"):
        response = client.get(reverse("cycles:reminder-link", args=[bad]))
        assert response.status_code == 400, bad
        page = response.content.decode()
        assert "This check-in link cannot be used" in page and "Sign in" in page
        assert org.key_result.statement not in page
        url = reverse("cycles:reminder-link-check-in", args=[bad, org.key_result.pk])
        assert client.post(url, data(org.key_result)).status_code == 400
    assert not CheckIn.objects.exists()


def test_a_link_signed_for_something_else_is_refused(client, org: Org, link) -> None:
    # A genuine signature with another purpose (the unsubscribe link's) is no check-in link.
    token = services.unsubscribe_token(user_id=org.engineer.pk)
    assert client.get(reverse("cycles:reminder-link", args=[token])).status_code == 400
    # A genuine check-in token naming a reminder that does not exist.
    token = services.reminder_link_token(user_id=org.engineer.pk, due_on=date(2026, 10, 5))
    assert client.get(reverse("cycles:reminder-link", args=[token])).status_code == 400


def test_the_link_expires_when_the_check_in_window_closes(client, org: Org, link, frozen) -> None:
    _, token = link
    frozen.move_to(datetime(2026, 11, 30, 7, 59, tzinfo=UTC))
    assert client.get(reverse("cycles:reminder-link", args=[token])).status_code == 200
    frozen.move_to(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    response = client.get(reverse("cycles:reminder-link", args=[token]))
    assert response.status_code == 410
    page = response.content.decode()
    assert "expired" in page and "30 November" in page and org.key_result.statement not in page
    url = reverse("cycles:reminder-link-check-in", args=[token, org.key_result.pk])
    assert client.post(url, data(org.key_result)).status_code == 410
    assert not CheckIn.objects.exists()


def test_someone_elses_link_while_signed_in_shows_nothing_of_it(client, org: Org, link) -> None:
    _, token = link
    client.force_login(org.lead)  # who could check in on it, but it is not their link
    response = client.get(reverse("cycles:reminder-link", args=[token]))
    assert response.status_code == 400
    assert "sent to someone else" in response.content.decode()
    assert org.key_result.statement not in response.content.decode()
    # Already signed in: offered their own key results, not a sign-in button.
    assert ">My key results</a>" in response.content.decode()
    assert ">Sign in</a>" not in response.content.decode()
    client.force_login(org.engineer)
    assert client.get(reverse("cycles:reminder-link", args=[token])).status_code == 200


def test_a_person_who_lost_the_key_result_cannot_use_the_link_for_it(
    client, org: Org, link
) -> None:
    _, token = link
    KeyResult.objects.filter(pk=org.key_result.pk).update(owner=org.outsider)
    url = reverse("cycles:reminder-link-check-in", args=[token, org.key_result.pk])
    assert client.post(url, data(org.key_result), headers=HTMX).status_code == 403
    assert not CheckIn.objects.exists()


def test_posts_through_one_link_are_rate_limited(client, org: Org, link) -> None:
    from django.core.cache import cache

    cache.clear()
    _, token = link
    url = reverse("cycles:reminder-link-check-in", args=[token, org.key_result.pk])
    bad = data(org.key_result, confidence="")  # refused, so nothing piles up in the history
    codes = [client.post(url, bad, headers=HTMX).status_code for _ in range(31)]
    assert codes[:30] == [200] * 30 and codes[30] == 429


def test_the_email_from_a_dispatch_links_to_this_page(client, org: Org) -> None:
    """The whole path: a dispatch's email -> its link -> the page -> a check-in."""
    KeyResult.objects.filter(pk=org.key_result.pk).update(
        created_at=datetime(2026, 9, 1, tzinfo=UTC)
    )
    services.reminders_dispatch(now=NOW)
    body = Reminder.objects.get(user=org.engineer).email.body_text
    url = next(line for line in body.splitlines() if "/check-in/" in line).strip()
    path = url.removeprefix("http://127.0.0.1:8000")
    assert client.get(path).status_code == 200
    token = path.rstrip("/").rsplit("/", 1)[1]
    response = client.post(
        reverse("cycles:reminder-link-check-in", args=[token, org.key_result.pk]),
        data(org.key_result),
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert CheckIn.objects.filter(key_result=org.key_result, via="email").count() == 1
    assert timedelta(0) <= Reminder.objects.get().window_ends_at - NOW <= timedelta(days=14)
