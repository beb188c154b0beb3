from __future__ import annotations

import re

from django.core import mail
from django.urls import reverse

from accounts.models import OutgoingEmail
from tests.conftest import Org


def _link(body: str) -> str:
    return re.search(r"http://\S+/accounts/reset/\S+/", body).group(0).split("8000", 1)[-1]


def test_reset_by_email_end_to_end(client, org: Org, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password-reset"), {"email": "LEAD@example.com"})
    assert response["Location"] == reverse("accounts:password-reset-done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["lead@example.com"]
    assert OutgoingEmail.objects.get().state == OutgoingEmail.State.SENT
    html = message.alternatives[0][0]
    assert "Choose a new password" in html
    link = _link(message.body)

    response = client.get(link, follow=True)
    assert "Choose a new password" in response.content.decode()
    set_url = response.redirect_chain[-1][0]
    response = client.post(
        set_url, {"new_password1": "a-Long-new-pass-42", "new_password2": "a-Long-new-pass-42"}
    )
    assert response["Location"] == reverse("accounts:password-reset-complete")
    org.lead.refresh_from_db()
    assert org.lead.check_password("a-Long-new-pass-42")
    # The link worked once.
    assert "no longer works" in client.get(link, follow=True).content.decode()


def test_unknown_email_gets_the_same_answer_and_no_mail(client, db) -> None:
    response = client.post(reverse("accounts:password-reset"), {"email": "nobody@example.com"})
    assert response["Location"] == reverse("accounts:password-reset-done")
    assert not OutgoingEmail.objects.exists()
