"""Every URL that names an object, with what each persona gets from it.

tests/test_url_permissions.py fails when a URL pattern with a parameter has no entry here, so a
new page or htmx endpoint cannot ship without its permission check being exercised. Add a
Route when you add such a URL: how to build its arguments from the `org` fixture, the method,
the form data for writes, and the status code each persona must get.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import Org

READ_BY_ALL = {
    "admin": 200,
    "leader": 200,
    "lead": 200,
    "engineer": 200,
    "outsider": 200,
    "anonymous": 302,
}


ANSWER_COMPANY = {"admin": 200, "leader": 200, "lead": 403, "engineer": 403, "outsider": 403}


@dataclass
class Route:
    name: str
    kwargs: Callable[[Org], dict[str, Any]]
    expect: dict[str, int]
    method: str = "get"
    data: Callable[[Org], dict[str, Any]] = field(default=lambda org: {})
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.name}"


def _invitation_token(org: Org) -> dict[str, Any]:
    from accounts.models import OutgoingEmail
    from accounts.services import invitation_create

    # A real invitation, so the link is valid; its token is only in the queued email.
    invitation_create(email="new@example.com", unit=org.team, role="member", by=org.admin)
    body = OutgoingEmail.objects.get(to="new@example.com").body_text
    url = next(line for line in body.splitlines() if "/invitations/" in line)
    return {"token": url.rstrip("/").rsplit("/", 1)[1]}


ROUTES: list[Route] = [
    Route("okrs:unit-detail", lambda o: {"pk": o.team.pk}, READ_BY_ALL),
    Route("okrs:objective-detail", lambda o: {"pk": o.objective.pk}, READ_BY_ALL),
    # The alignment tree: everyone signed in reads it, fragments and map included.
    Route("okrs:tree-children", lambda o: {"pk": o.company_objective.pk}, READ_BY_ALL),
    Route(
        "okrs:tree-children",
        lambda o: {"pk": o.function_objective.pk},
        READ_BY_ALL,
        headers={"HX-Request": "true"},
    ),
    Route("okrs:tree-unit", lambda o: {"pk": o.function.pk}, READ_BY_ALL),
    Route("okrs:tree-map-svg", lambda o: {"pk": o.company_objective.pk}, READ_BY_ALL),
    # Sufficiency: the objective's owner and its unit's leads (and leads above) answer.
    Route(
        "okrs:objective-sufficiency",
        lambda o: {"pk": o.company_objective.pk},
        {**ANSWER_COMPANY, "anonymous": 302},
    ),
    Route(
        "okrs:objective-sufficiency",
        lambda o: {"pk": o.company_objective.pk},
        {k: (302 if v == 200 else v) for k, v in ANSWER_COMPANY.items()} | {"anonymous": 302},
        method="post",
        data=lambda o: {"answer": "yes", "note": ""},
    ),
    Route(
        "okrs:objective-sufficiency",
        lambda o: {"pk": o.objective.pk},
        {"admin": 200, "leader": 200, "lead": 200, "engineer": 403, "outsider": 403},
    ),
    # Public: the link from an invitation email works signed out.
    Route("accounts:invitation-accept", _invitation_token, {"anonymous": 200}),
    Route(
        "accounts:password-reset-confirm",
        lambda o: {"uidb64": "MQ", "token": "not-a-token"},
        {"anonymous": 200},
    ),
    # Development only: 404 unless DEBUG is on.
    Route(
        "mailbox-detail",
        lambda o: {"name": "x.eml"},
        {"admin": 404, "engineer": 404, "anonymous": 302},
    ),
    Route(
        "mailbox-html",
        lambda o: {"name": "x.eml"},
        {"admin": 404, "engineer": 404, "anonymous": 302},
    ),
]
