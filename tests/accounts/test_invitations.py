from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, User
from tests.conftest import Org

GOOD = {
    "name": "Nia New",
    "password1": "correct-Horse-battery-9",
    "password2": "correct-Horse-battery-9",
}


def _invite(client, org: Org, capture, email: str = "nia@example.com", role: str = "member"):
    client.force_login(org.admin)
    with capture(execute=True):
        response = client.post(
            reverse("accounts:invitation-create"),
            {"email": email, "unit": org.team.pk, "role": role},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()
    return re.search(r"http://\S+/accounts/invitations/\S+/", mail.outbox[-1].body).group(0)


def _path(link: str) -> str:
    return link.split("8000", 1)[-1]


def test_invited_person_sets_a_password_and_joins_the_unit(
    client, org: Org, django_capture_on_commit_callbacks
) -> None:
    link = _invite(client, org, django_capture_on_commit_callbacks, role="lead")
    assert mail.outbox[-1].to == ["nia@example.com"]
    assert "Payments" in mail.outbox[-1].subject

    page = client.get(_path(link))
    assert page.status_code == 200 and "nia@example.com" in page.content.decode()
    response = client.post(_path(link), GOOD)
    assert response["Location"] == reverse("home")
    user = User.objects.get(email="nia@example.com")
    assert user.check_password(GOOD["password1"]) and user.name == "Nia New"
    assert Membership.objects.get(user=user).role == "lead"
    assert client.get("/").context["user"] == user  # signed in


def test_the_link_works_once(client, org: Org, django_capture_on_commit_callbacks) -> None:
    link = _invite(client, org, django_capture_on_commit_callbacks)
    client.post(_path(link), GOOD)
    client.logout()
    response = client.post(_path(link), {**GOOD, "name": "Someone Else"})
    assert response.status_code == 410
    assert User.objects.get(email="nia@example.com").name == "Nia New"


def test_the_link_expires_after_seven_days(
    client, org: Org, django_capture_on_commit_callbacks
) -> None:
    link = _invite(client, org, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=6, hours=23)):
        assert client.get(_path(link)).status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(days=7, minutes=1)):
        response = client.get(_path(link))
        assert response.status_code == 410
        assert "no longer works" in response.content.decode()
        assert client.post(_path(link), GOOD).status_code == 410
    assert not User.objects.filter(email="nia@example.com").exists()


@pytest.mark.parametrize("token", ["tampered", "x" * 43, "../../admin"])
def test_a_tampered_link_gets_a_clear_page(client, org: Org, token: str) -> None:
    response = client.get(f"/accounts/invitations/{token}/")
    assert response.status_code in (404, 410)


def test_weak_or_mismatched_passwords_are_explained_and_the_name_kept(
    client, org: Org, django_capture_on_commit_callbacks
) -> None:
    link = _invite(client, org, django_capture_on_commit_callbacks)
    response = client.post(_path(link), {"name": "Nia", "password1": "123", "password2": "123"})
    page = response.content.decode()
    assert response.status_code == 200 and "too short" in page and 'value="Nia"' in page
    response = client.post(_path(link), {**GOOD, "password2": "different-Horse-9"})
    assert "The two passwords differ." in response.content.decode()
    assert not User.objects.filter(email="nia@example.com").exists()


def test_inviting_again_revokes_the_earlier_link(
    client, org: Org, django_capture_on_commit_callbacks
) -> None:
    first = _invite(client, org, django_capture_on_commit_callbacks)
    second = _invite(client, org, django_capture_on_commit_callbacks)
    assert client.get(_path(first)).status_code == 410
    assert client.get(_path(second)).status_code == 200


def test_someone_with_an_account_is_added_at_once(
    client, org: Org, django_capture_on_commit_callbacks
) -> None:
    client.force_login(org.admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("accounts:invitation-create"),
            {"email": "Outsider@example.com", "unit": org.team.pk, "role": "member"},
        )
    assert Membership.objects.filter(user=org.outsider, unit=org.team).exists()
    assert not Invitation.objects.exists()
    assert "You are now in Payments" in mail.outbox[-1].subject


@pytest.mark.parametrize("persona", ["leader", "lead", "engineer", "outsider"])
def test_only_org_admins_invite(client, org: Org, persona: str) -> None:
    client.force_login(org.persona(persona))
    assert client.get(reverse("accounts:invitation-create")).status_code == 403
    response = client.post(
        reverse("accounts:invitation-create"),
        {"email": "x@example.com", "unit": org.team.pk, "role": "lead"},
    )
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_bad_invitation_input_is_explained_next_to_the_field(client, org: Org) -> None:
    client.force_login(org.admin)
    response = client.post(
        reverse("accounts:invitation-create"), {"email": "not-an-email", "unit": "", "role": "boss"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid email address." in page
    assert 'value="not-an-email"' in page
    assert page.count("field--error") == 3


def test_email_subjects_and_text_are_not_html_escaped(
    client, org: Org, django_capture_on_commit_callbacks
) -> None:
    org.team.name = "Identity & Access"
    org.team.save()
    _invite(client, org, django_capture_on_commit_callbacks)
    message = mail.outbox[-1]
    assert "Identity & Access" in message.subject and "&amp;" not in message.subject
    assert "Identity & Access" in message.body
    assert "Identity &amp; Access" in message.alternatives[0][0]  # the HTML part is escaped
