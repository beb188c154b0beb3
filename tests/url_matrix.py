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

    def status_for(self, persona: str) -> int:
        """What the persona gets. Signed-out htmx requests get a 401 and a message instead of
        the redirect to sign-in (accounts.middleware.SignInRequiredMiddleware)."""
        status = self.expect[persona]
        if persona == "anonymous" and status == 302 and self.headers.get("HX-Request"):
            return 401
        return status


def _invitation_token(org: Org) -> dict[str, Any]:
    from accounts.models import OutgoingEmail
    from accounts.services import invitation_create

    # A real invitation, so the link is valid; its token is only in the queued email.
    invitation_create(email="new@example.com", unit=org.team, role="member", by=org.admin)
    body = OutgoingEmail.objects.get(to="new@example.com").body_text
    url = next(line for line in body.splitlines() if "/invitations/" in line)
    return {"token": url.rstrip("/").rsplit("/", 1)[1]}


# Reads that need signing in, and writes only the owner and the leads above may make.
CHECK_IN_ALLOWED = {
    "admin": 302,
    "leader": 302,
    "lead": 302,
    "engineer": 302,
    "outsider": 403,
    "anonymous": 302,
}
# Writes to the team's OKRs: its lead and the leads above (and org admins) may; the team's
# engineer and the other team's member may not. A plain POST that works redirects (302).
LEADS_WRITE = {
    "admin": 302,
    "leader": 302,
    "lead": 302,
    "engineer": 403,
    "outsider": 403,
    "anonymous": 302,
}
# Forms and fragments only leads get (GET answers 200 with the form).
LEADS_READ_FORM = {**LEADS_WRITE, "admin": 200, "leader": 200, "lead": 200}
# Agreeing is for the leads above the team, not the team's own lead.
ABOVE_WRITE = {**LEADS_WRITE, "lead": 403}
ABOVE_READ_FORM = {**LEADS_READ_FORM, "lead": 403}
HTMX = {"HX-Request": "true"}


def _link(org: Org) -> dict[str, Any]:
    from okrs.models import AlignmentLink

    link = AlignmentLink.objects.create(
        child=org.objective, parent=org.function_objective, how="Fewer failed payments"
    )
    return {"pk": link.pk}


def _asked_of_team(org: Org) -> dict[str, Any]:
    from okrs.models import Dependency

    dependency = Dependency.objects.create(
        objective=org.function_objective, provider=org.team, description="A payments review"
    )
    return {"pk": dependency.pk}


OBJECTIVE = {"new-objective-title": "Refunds in a day", "new-objective-kind": "committed"}


def _kr_edit(org: Org) -> dict[str, Any]:
    p = f"kr-{org.key_result.pk}"
    return {
        f"{p}-statement": "Reduce 5xx on payments from 0.8% to 0.1%",
        f"{p}-direction": "decrease",
        f"{p}-version": "1",
    }


def _check_in_data(org: Org, prefix: str | None = None) -> dict[str, Any]:
    prefix = prefix or f"kr{org.key_result.pk}"
    return {
        f"{prefix}-confidence": "70",
        f"{prefix}-value": "0.5",
        f"{prefix}-what_changed": "Retries landed.",
    }


def _a_check_in(org: Org) -> dict[str, Any]:
    from tests.cycles.helpers import check_in

    return {"pk": check_in(org.key_result).pk}


def _engineers_reminder(org: Org) -> dict[str, Any]:
    from tests.cycles.helpers import make_reminder

    _, token = make_reminder(org.engineer, [org.key_result])
    return {"token": token}


def _engineers_reminder_and_kr(org: Org) -> dict[str, Any]:
    return {**_engineers_reminder(org), "pk": org.key_result.pk}


def _engineers_unsubscribe(org: Org) -> dict[str, Any]:
    from cycles.services import unsubscribe_token

    return {"token": unsubscribe_token(user_id=org.engineer.pk)}


def _scoring(org: Org) -> None:
    """Move the org's cycle into scoring, where scores and retrospectives are written."""
    from cycles.models import Cycle

    Cycle.objects.filter(pk=org.cycle.pk).update(phase=Cycle.Phase.SCORING)


def _team_in_scoring(org: Org) -> dict[str, Any]:
    _scoring(org)
    return {"pk": org.team.pk}


def _kr_in_scoring(org: Org) -> dict[str, Any]:
    from tests.cycles.helpers import check_in

    check_in(org.key_result, value="1.5", confidence=70)
    _scoring(org)
    return {"pk": org.key_result.pk}


def _engineers_action(org: Org) -> dict[str, Any]:
    from cycles.models import RetroAction, Retrospective

    retro = Retrospective.objects.create(unit=org.team, cycle=org.cycle)
    _scoring(org)
    action = RetroAction.objects.create(retrospective=retro, text="Fix it", owner=org.engineer)
    return {"pk": action.pk}


# Org admins only (plain POSTs that work redirect).
ADMIN_WRITE = {
    "admin": 302,
    "leader": 403,
    "lead": 403,
    "engineer": 403,
    "outsider": 403,
    "anonymous": 302,
}


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
    # Setting: everyone reads the page and its fragments; leads change it.
    Route("okrs:unit-setting", lambda o: {"pk": o.team.pk}, READ_BY_ALL),
    Route(
        "okrs:objective-create",
        lambda o: {"pk": o.team.pk},
        LEADS_WRITE,
        method="post",
        data=lambda o: OBJECTIVE,
    ),
    Route(
        "okrs:focus-reason",
        lambda o: {"pk": o.team.pk},
        LEADS_WRITE,
        method="post",
        data=lambda o: {"reason": "An audit quarter"},
    ),
    Route("okrs:objective-card", lambda o: {"pk": o.objective.pk}, READ_BY_ALL, headers=HTMX),
    Route("okrs:objective-edit", lambda o: {"pk": o.objective.pk}, LEADS_READ_FORM),
    Route("okrs:objective-delete", lambda o: {"pk": o.objective.pk}, LEADS_WRITE, method="post"),
    Route(
        "okrs:objective-reorder",
        lambda o: {"pk": o.objective.pk},
        LEADS_WRITE,
        method="post",
        data=lambda o: {"direction": "up"},
    ),
    Route("okrs:objective-propose", lambda o: {"pk": o.objective.pk}, LEADS_WRITE, method="post"),
    Route("okrs:objective-agree", lambda o: {"pk": o.objective.pk}, ABOVE_WRITE, method="post"),
    Route("okrs:objective-send-back", lambda o: {"pk": o.objective.pk}, ABOVE_READ_FORM),
    Route(
        "okrs:objective-comment-add",
        lambda o: {"pk": o.objective.pk},
        {**LEADS_WRITE, "engineer": 302, "outsider": 302},
        method="post",
        data=lambda o: {"body": "Why this target?"},
    ),
    Route("okrs:objective-carry-forward", lambda o: {"pk": o.objective.pk}, LEADS_READ_FORM),
    Route("okrs:alignment-link-create", lambda o: {"pk": o.objective.pk}, LEADS_READ_FORM),
    Route("okrs:alignment-link-delete", _link, LEADS_WRITE, method="post"),
    Route("okrs:dependency-create", lambda o: {"pk": o.objective.pk}, LEADS_READ_FORM),
    Route(
        "okrs:dependency-answer",
        _asked_of_team,
        LEADS_WRITE,
        method="post",
        data=lambda o: {"status": "accepted"},
    ),
    Route("okrs:key-result-create", lambda o: {"pk": o.objective.pk}, LEADS_READ_FORM),
    Route(
        "okrs:key-result-check",
        lambda o: {"pk": o.objective.pk},
        LEADS_READ_FORM,
        method="post",
        data=lambda o: {"prefix": "x", "x-statement": "Ship the new checkout"},
        headers=HTMX,
    ),
    Route(
        "okrs:key-result-metric",
        lambda o: {"pk": o.objective.pk},
        LEADS_READ_FORM,
        headers=HTMX,
    ),
    Route("okrs:key-result-row", lambda o: {"pk": o.key_result.pk}, READ_BY_ALL, headers=HTMX),
    Route("okrs:key-result-edit", lambda o: {"pk": o.key_result.pk}, LEADS_READ_FORM),
    Route(
        "okrs:key-result-edit",
        lambda o: {"pk": o.key_result.pk},
        LEADS_WRITE,
        method="post",
        data=_kr_edit,
    ),
    Route("okrs:key-result-delete", lambda o: {"pk": o.key_result.pk}, LEADS_WRITE, method="post"),
    Route("okrs:key-result-move", lambda o: {"pk": o.key_result.pk}, LEADS_READ_FORM),
    Route(
        "okrs:key-result-reorder",
        lambda o: {"pk": o.key_result.pk},
        LEADS_WRITE,
        method="post",
        data=lambda o: {"direction": "down"},
    ),
    # Public: the link from an invitation email works signed out.
    Route("accounts:invitation-accept", _invitation_token, {"anonymous": 200}),
    Route(
        "accounts:password-reset-confirm",
        lambda o: {"uidb64": "MQ", "token": "not-a-token"},
        {"anonymous": 200},
    ),
    # Check-ins: everyone reads; the owner and the leads of the unit and above check in.
    Route("cycles:key-result-detail", lambda o: {"pk": o.key_result.pk}, READ_BY_ALL),
    Route(
        "cycles:check-in-create",
        lambda o: {"pk": o.key_result.pk},
        {**CHECK_IN_ALLOWED, **dict.fromkeys(["admin", "leader", "lead", "engineer"], 200)},
        headers=HTMX,
    ),
    Route(
        "cycles:check-in-create",
        lambda o: {"pk": o.key_result.pk},
        CHECK_IN_ALLOWED,
        method="post",
        data=_check_in_data,
    ),
    Route(
        "cycles:check-in-correct",
        _a_check_in,
        CHECK_IN_ALLOWED,
        method="post",
        data=lambda o: _check_in_data(o, "correct"),
    ),
    Route("cycles:unit-check-ins", lambda o: {"pk": o.team.pk}, READ_BY_ALL),
    Route("cycles:unit-cadence", lambda o: {"pk": o.team.pk}, READ_BY_ALL),
    Route(
        "cycles:unit-cadence",
        lambda o: {"pk": o.team.pk},
        LEADS_WRITE,
        method="post",
        data=lambda o: {"source": "own", "frequency": "weekly", "weekday": "2", "hour": "10"},
    ),
    # Public, authorised by a signed token. A reminder link opened while signed in as someone
    # else shows nothing of it (400).
    Route(
        "cycles:reminder-link",
        _engineers_reminder,
        {"anonymous": 200, "engineer": 200, "lead": 400, "outsider": 400, "admin": 400},
    ),
    Route(
        "cycles:reminder-link-check-in",
        _engineers_reminder_and_kr,
        {"anonymous": 302, "engineer": 302, "lead": 400, "outsider": 400},
        method="post",
        data=_check_in_data,
    ),
    Route(
        "cycles:unsubscribe",
        _engineers_unsubscribe,
        {"anonymous": 200, "engineer": 200, "outsider": 200},
    ),
    Route(
        "cycles:unsubscribe",
        _engineers_unsubscribe,
        {"anonymous": 200},
        method="post",
        data=lambda o: {"List-Unsubscribe": "One-Click"},
    ),
    # Scoring and retrospectives: everyone reads; the unit's leads and the leads above write.
    Route("cycles:unit-scoring", lambda o: {"pk": o.team.pk}, READ_BY_ALL),
    Route("cycles:unit-scoring", _team_in_scoring, READ_BY_ALL),
    Route("cycles:unit-scoring-accept-all", _team_in_scoring, LEADS_WRITE, method="post"),
    Route(
        "cycles:key-result-score",
        _kr_in_scoring,
        LEADS_WRITE,
        method="post",
        data=lambda o: {"action": "accept"},
    ),
    Route(
        "cycles:key-result-score",
        _kr_in_scoring,
        LEADS_WRITE,
        method="post",
        data=lambda o: {
            "action": "score",
            f"kr{o.key_result.pk}-score": "0.3",
            f"kr{o.key_result.pk}-reason": "metric_wrong",
        },
    ),
    Route("cycles:unit-retro", _team_in_scoring, READ_BY_ALL),
    Route(
        "cycles:unit-retro",
        _team_in_scoring,
        LEADS_WRITE,
        method="post",
        data=lambda o: {"learned": "Baselines first."},
    ),
    Route("cycles:unit-retro-done", _team_in_scoring, LEADS_WRITE, method="post"),
    Route(
        "cycles:retro-action-create",
        _team_in_scoring,
        LEADS_WRITE,
        method="post",
        data=lambda o: {"text": "Measure before setting", "owner": str(o.engineer.pk)},
    ),
    # The action's owner (the engineer) ticks it off too.
    Route(
        "cycles:retro-action-update",
        _engineers_action,
        {**LEADS_WRITE, "engineer": 302},
        method="post",
        data=lambda o: {"done": "1"},
    ),
    Route("cycles:retro-action-delete", _engineers_action, LEADS_WRITE, method="post"),
    Route("cycles:unit-calibration", lambda o: {"pk": o.team.pk}, READ_BY_ALL),
    # Phases: org admins only.
    Route(
        "cycles:cycle-phase",
        lambda o: {"pk": o.cycle.pk},
        ADMIN_WRITE,
        method="post",
        data=lambda o: {"advance": "1"},
    ),
    Route("cycles:cycle-release", lambda o: {"pk": o.cycle.pk}, ADMIN_WRITE, method="post"),
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
