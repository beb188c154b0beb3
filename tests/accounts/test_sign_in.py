from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import Org

SIGN_IN = "/accounts/sign-in/"


def test_sign_in_with_any_case_of_the_email(client, org: Org) -> None:
    response = client.post(SIGN_IN, {"username": "  Lead@Example.COM ", "password": "pw"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get("/").context["user"] == org.lead


def test_wrong_password_says_so_next_to_the_form_and_keeps_the_email(client, org: Org) -> None:
    response = client.post(SIGN_IN, {"username": "lead@example.com", "password": "nope"})
    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()
    assert 'value="lead@example.com"' in response.content.decode()


def test_sign_in_returns_to_the_page_asked_for(client, org: Org) -> None:
    target = reverse("okrs:unit-detail", args=[org.team.pk])
    response = client.get(target)
    assert response.status_code == 302 and response["Location"].startswith(SIGN_IN)
    response = client.post(response["Location"], {"username": "lead@example.com", "password": "pw"})
    assert response["Location"] == target


def test_repeated_failures_lock_the_email_for_a_while(client, org: Org) -> None:
    for _ in range(5):
        client.post(SIGN_IN, {"username": "lead@example.com", "password": "guess"})
    # Even the right password is refused now, with a page that says why and what to do.
    response = client.post(SIGN_IN, {"username": "lead@example.com", "password": "pw"})
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another person signing in from the same address is not locked out.
    response = client.post(SIGN_IN, {"username": "engineer@example.com", "password": "pw"})
    assert response.status_code == 302


def test_a_success_before_the_limit_resets_the_count(client, org: Org) -> None:
    for _ in range(4):
        client.post(SIGN_IN, {"username": "lead@example.com", "password": "guess"})
    assert (
        client.post(SIGN_IN, {"username": "lead@example.com", "password": "pw"}).status_code == 302
    )
    client.post(reverse("accounts:sign-out"))
    for _ in range(4):
        client.post(SIGN_IN, {"username": "lead@example.com", "password": "guess"})
    assert (
        client.post(SIGN_IN, {"username": "lead@example.com", "password": "pw"}).status_code == 302
    )


def test_sign_out_is_a_post(client, org: Org) -> None:
    client.force_login(org.lead)
    assert client.get(reverse("accounts:sign-out")).status_code == 405
    response = client.post(reverse("accounts:sign-out"))
    assert response.status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("persona", ["lead", "engineer", "admin"])
def test_profile_changes_name_and_time_zone(client, org: Org, persona: str) -> None:
    user = org.persona(persona)
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"), {"name": "New Name", "time_zone": "Asia/Kolkata"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.name, user.time_zone) == ("New Name", "Asia/Kolkata")


def test_profile_refuses_an_unknown_time_zone_and_keeps_the_name(client, org: Org) -> None:
    client.force_login(org.lead)
    response = client.post(
        reverse("accounts:profile"), {"name": "Typed Name", "time_zone": "Mars/Olympus"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Select a valid choice" in page and 'value="Typed Name"' in page
    org.lead.refresh_from_db()
    assert org.lead.time_zone == "Europe/Oslo"


def test_an_expired_session_on_an_htmx_request_keeps_the_page(client, org: Org) -> None:
    """htmx would paste a redirected sign-in page into the form; a 401 with a message
    leaves what was typed in place (htmx does not swap 4xx)."""
    url = reverse("okrs:unit-detail", args=[org.team.pk])
    response = client.post(
        url, {"title": "typed"}, headers={"HX-Request": "true", "HX-Current-URL": url}
    )
    assert response.status_code == 401
    page = response.content.decode()
    assert "data-alert" in page and "Your session has ended" in page
    # Without htmx, the usual redirect to the sign-in page.
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(SIGN_IN)
