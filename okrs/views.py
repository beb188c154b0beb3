"""Reading OKRs: the home page, the organisation, a unit's page, an objective's page.

Everyone signed in reads everything. Each view is: permission-aware getter -> queryset that
fetches what the page shows -> template. Query counts are pinned in tests/okrs/test_views.py.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.http import AuthedRequest
from accounts.models import Membership, OrgUnit
from accounts.rules import access_for
from okrs.models import AlignmentLink, Dependency, KeyResult, Objective
from okrs.tree_forms import SufficiencyForm

Cycle = Objective._meta.get_field("cycle").related_model  # okrs imports no cycles code


def current_cycle(request: HttpRequest):
    """The current cycle, looked up once per request however many places ask (the views
    and the base layout's cycle banner)."""
    if not hasattr(request, "_current_cycle"):
        request._current_cycle = Cycle.objects.current()  # type: ignore[attr-defined]
    return request._current_cycle  # type: ignore[attr-defined]


def _cycle_from_request(request: AuthedRequest):
    """The cycle named by ?cycle=, else the current one (None when there are no cycles)."""
    raw = request.GET.get("cycle")
    if raw:
        if not raw.isdigit():
            raise Http404("No such cycle.")
        return get_object_or_404(Cycle, pk=int(raw))
    return current_cycle(request)


def get_unit_for_user(request: AuthedRequest, pk: int) -> tuple[OrgUnit, bool]:
    """The unit, and whether this person may edit its OKRs. Everyone reads."""
    unit = get_object_or_404(OrgUnit.objects.select_related("parent"), pk=pk)
    return unit, request.user.has_perm("okrs.edit_unit", unit)


def get_objective_for_user(request: AuthedRequest, pk: int) -> tuple[Objective, bool]:
    """The objective with its unit, cycle and owner, and whether this person may edit it."""
    objective = get_object_or_404(
        Objective.objects.select_related("unit", "cycle", "owner", "carried_from"), pk=pk
    )
    return objective, request.user.has_perm("okrs.change_objective", objective)


@require_GET
def home(request: AuthedRequest) -> HttpResponse:
    """What this person is asked to do now: their key results, their units' objectives and,
    for leadership, the company's objectives."""
    user = request.user
    cycle = current_cycle(request)
    access = access_for(user)
    memberships = list(
        Membership.objects.filter(user=user).select_related("unit").order_by("unit__name")
    )
    # Leads are asked to set their units' OKRs while a cycle is being set.
    led = [m for m in memberships if m.role == Membership.Role.LEAD]
    setting_cycle = (
        Cycle.objects.filter(phase=Cycle.Phase.SETTING).order_by("starts_on").first()
        if led
        else None
    )
    my_key_results: list[KeyResult] = []
    unit_objectives: list[Objective] = []
    company_objectives: list[Objective] = []
    if cycle is not None:
        my_key_results = list(
            KeyResult.objects.filter(owner=user, objective__cycle=cycle)
            .select_related("objective__unit")
            .order_by("objective__unit__name", "objective__order", "order")
        )
        unit_ids = [m.unit_id for m in memberships]
        if unit_ids:
            unit_objectives = list(
                Objective.objects.for_cycle(cycle)
                .filter(unit_id__in=unit_ids)
                .with_key_results()
                .order_by("unit__name", "order", "pk")
            )
        if (access and access.is_leadership) or user.is_superuser:
            company_objectives = list(
                Objective.objects.for_cycle(cycle)
                .filter(unit__kind=OrgUnit.Kind.COMPANY)
                .with_key_results()
                .annotate(contributor_count=Count("links_down", distinct=True))
            )
            # Shown once, at the top, with who contributes; not again under "Your units".
            unit_objectives = [o for o in unit_objectives if o.unit.kind != OrgUnit.Kind.COMPANY]
    waiting_objectives: list[Objective] = []
    waiting_dependencies: list[Dependency] = []
    if led:
        led_ids = [m.unit_id for m in led]
        # Proposals this person is asked to agree: their direct sub-units' (leads further up
        # may agree too, and see them in the alignment tree), and the company's own.
        waiting_objectives = list(
            Objective.objects.filter(status=Objective.Status.PROPOSED)
            .exclude(cycle__phase=Cycle.Phase.CLOSED)
            .filter(
                Q(unit__parent_id__in=led_ids)
                | Q(unit_id__in=led_ids, unit__kind=OrgUnit.Kind.COMPANY)
            )
            .select_related("unit", "cycle")
            .order_by("cycle__starts_on", "unit__name", "order")
        )
        waiting_dependencies = list(
            Dependency.objects.filter(status=Dependency.Status.REQUESTED, provider_id__in=led_ids)
            .exclude(objective__cycle__phase=Cycle.Phase.CLOSED)
            .select_related("objective__unit", "objective__cycle", "provider")
            .order_by("created_at")
        )
    today = timezone.localdate()
    return render(
        request,
        "okrs/home.html",
        {
            "cycle": cycle,
            "memberships": memberships,
            "my_key_results": my_key_results,
            "unit_objectives": unit_objectives,
            "company_objectives": company_objectives,
            "is_leadership": bool(access and access.is_leadership),
            "setting_cycle": setting_cycle,
            "led_memberships": led,
            "waiting_objectives": waiting_objectives,
            "waiting_dependencies": waiting_dependencies,
            # Their objectives are at the top already (company objectives, for leadership).
            "shown_above": bool(company_objectives),
            "due_count": sum(
                1 for kr in my_key_results if kr.check_in_due_on and kr.check_in_due_on <= today
            ),
            "today": today,
        },
    )


@require_GET
def unit_list(request: AuthedRequest) -> HttpResponse:
    """The organisation by structure, each unit with its objective count this cycle."""
    cycle = _cycle_from_request(request)
    units = list(
        OrgUnit.objects.annotate(
            objective_count=Count("objectives", filter=Q(objectives__cycle=cycle), distinct=True),
            people_count=Count("memberships", distinct=True),
        ).order_by("name")
    )
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)

    def walk(parent_id: int | None, depth: int) -> list[tuple[OrgUnit, int]]:
        rows: list[tuple[OrgUnit, int]] = []
        for unit in children.get(parent_id, []):
            rows.append((unit, depth))
            rows.extend(walk(unit.pk, depth + 1))
        return rows

    return render(request, "okrs/unit_list.html", {"rows": walk(None, 0), "cycle": cycle})


@require_GET
def unit_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """A unit's page: its people, its objectives and key results for the cycle, what they
    align to, and dependencies in both directions."""
    unit, can_edit = get_unit_for_user(request, pk)
    cycle = _cycle_from_request(request)
    objectives: list[Objective] = []
    incoming: list[Dependency] = []
    if cycle is not None:
        objectives = list(
            Objective.objects.for_cycle(cycle)
            .for_unit(unit)
            .with_key_results()
            .prefetch_related(
                Prefetch("links_up", queryset=AlignmentLink.objects.select_related("parent__unit")),
                Prefetch("dependencies", queryset=Dependency.objects.select_related("provider")),
            )
        )
        incoming = list(
            Dependency.objects.filter(provider=unit, objective__cycle=cycle).select_related(
                "objective__unit"
            )
        )
    memberships = list(unit.memberships.select_related("user").order_by("-role", "user__name"))
    return render(
        request,
        "okrs/unit_detail.html",
        {
            "unit": unit,
            "cycle": cycle,
            "cycles": list(Cycle.objects.order_by("-starts_on")[:8]),
            "can_edit": can_edit,
            "objectives": objectives,
            "incoming": incoming,
            "leads": [m.user for m in memberships if m.role == Membership.Role.LEAD],
            "members": [m.user for m in memberships if m.role == Membership.Role.MEMBER],
            "subunits": list(unit.children.order_by("name")),
        },
    )


@require_GET
def objective_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """An objective: its key results, what it contributes to and what contributes to it
    (with each child's progress beside, never averaged into, its own), its debate and the
    history of changes made after it was locked."""
    objective, _ = get_objective_for_user(request, pk)
    return render_objective_page(request, objective)


def render_objective_page(
    request: AuthedRequest, objective: Objective, *, comment_form: Any = None, status: int = 200
) -> HttpResponse:
    """The objective page, with a comment form that may carry what someone typed."""
    from okrs.forms import CommentForm

    user = request.user
    key_results = list(objective.key_results.select_related("owner", "metric"))
    links_up = list(objective.links_up.select_related("parent__unit"))
    links_down = list(
        objective.links_down.select_related("child__unit").prefetch_related(
            Prefetch("child__key_results", queryset=KeyResult.objects.order_by("order", "pk"))
        )
    )
    dependencies = list(objective.dependencies.select_related("provider"))
    comments = list(objective.comments.select_related("author"))
    changes = list(objective.changes.select_related("by"))
    closed = objective.cycle.phase == "closed"
    return render(
        request,
        "okrs/objective_detail.html",
        {
            "objective": objective,
            "cycle": objective.cycle,
            "can_edit": user.has_perm("okrs.change_objective", objective) and not closed,
            "can_agree": user.has_perm("okrs.agree_objective", objective) and not closed,
            "can_comment": user.has_perm("okrs.comment_objective", objective),
            "locked": objective.is_locked(),
            "key_results": key_results,
            "progress": _mean([kr.progress() for kr in key_results]),
            "links_up": links_up,
            "links_down": links_down,
            "dependencies": dependencies,
            "comments": comments,
            "changes": changes,
            "comment_form": comment_form or CommentForm(),
            "kind_help": Objective.KIND_HELP,
            # The sufficiency answer (okrs/tree_views.py saves it).
            "can_answer_sufficiency": user.has_perm("okrs.answer_sufficiency", objective),
            "sufficiency_form": SufficiencyForm(
                initial={"answer": objective.sufficiency, "note": objective.sufficiency_note}
            ),
        },
        status=status,
    )


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None
