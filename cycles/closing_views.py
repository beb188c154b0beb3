"""Closing the quarter: scoring, the retrospective, calibration across cycles, and the org
admins' cycles page.

Everyone signed in reads every page; leads of a unit and of the units above it score it and
write its retrospective (accounts/rules.py); org admins move phases and create cycles. Thin
views: getter -> form -> service -> response. htmx POSTs get the fragment they replace (an
objective's block on the scoring page, the retrospective's form or its actions) and an
HX-Trigger event; plain POSTs redirect; an invalid form comes back with its messages, status
200. Query counts are pinned in tests/cycles/test_closing_views.py.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthedRequest
from accounts.models import OrgUnit, User
from accounts.rules import UnitTree, access_for
from cycles import history, services
from cycles.calibration import BUDGET_DAYS, COST_ASSUMPTIONS, HOURS_PER_DAY
from cycles.closing import GROUPS, Closing, ObjectiveBlock, closing_cycle, load_closing
from cycles.forms import RETRO_QUESTIONS, PhaseForm, RetroActionForm, RetroForm, ScoreForm
from cycles.models import Cycle, PhaseChange, RetroAction
from okrs.models import KeyResult

SCORE_SAVED = "score-saved"
RETRO_SAVED = "retro-saved"


def _today(request: AuthedRequest) -> date:
    return timezone.localdate()


def _unit(pk: int) -> OrgUnit:
    return get_object_or_404(OrgUnit.objects.select_related("parent"), pk=pk)


def _cycle_param(request: AuthedRequest) -> Cycle:
    """?cycle= (or a posted `cycle`), else the cycle being scored, else the current one."""
    raw = request.GET.get("cycle") or request.POST.get("cycle")
    if raw:
        if not str(raw).isdigit():
            raise Http404("No such cycle.")
        return get_object_or_404(Cycle, pk=int(raw))
    cycle = closing_cycle(_today(request))
    if cycle is None:
        raise Http404("No cycle yet.")
    return cycle


def _page_url(name: str, unit_pk: int, cycle_pk: int, anchor: str = "") -> str:
    url = reverse(name, args=[unit_pk]) + f"?cycle={cycle_pk}"
    return url + (f"#{anchor}" if anchor else "")


def _error_dict(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    return {"__all__": exc.messages}


def _add_errors(form: Any, exc: ValidationError) -> None:
    for name, errors in _error_dict(exc).items():
        form.add_error(name if name in form.fields else None, errors)


# Scoring ------------------------------------------------------------------------------------


def _score_forms(closing: Closing, can_score: bool) -> None:
    """Give each row its override form, where the person may score it now."""
    for row in closing.rows:
        if can_score and row.state == "open":
            initial = {}
            if row.record is not None:
                initial = {
                    "score": f"{row.record.score:.1f}",
                    "reason": row.record.reason,
                    "reason_text": row.record.reason_text,
                }
            row.form = ScoreForm(
                prefix=f"kr{row.kr.pk}", suggested=row.suggestion.score, initial=initial
            )


def _scoring_context(
    request: AuthedRequest, unit: OrgUnit, cycle: Cycle, closing: Closing
) -> dict[str, Any]:
    can_score = request.user.has_perm("cycles.score_unit", unit)
    _score_forms(closing, can_score)
    return {
        "unit": unit,
        "cycle": cycle,
        "closing": closing,
        "can_score": can_score,
        "scoring_open": cycle.is_scoring_open,
        "reasons_hint": "data arrived late, the metric turned out wrong, the target changed",
    }


@require_GET
def unit_scoring(request: AuthedRequest, pk: int) -> HttpResponse:
    """A unit's key results of a cycle with their suggested scores, for its leads to accept or
    override, and for everyone to read."""
    unit = _unit(pk)
    cycle = _cycle_param(request)
    closing = load_closing(unit=unit, cycle=cycle, today=_today(request))
    template = "cycles/unit_scoring.html"
    if request.htmx and request.GET.get("part") == "summary":
        template += "#summary"
    return render(request, template, _scoring_context(request, unit, cycle, closing))


def _key_result_for_scoring(request: AuthedRequest, pk: int) -> KeyResult:
    kr = get_object_or_404(
        KeyResult.objects.select_related("objective__unit", "objective__cycle"), pk=pk
    )
    if not request.user.has_perm("cycles.score_unit", kr):
        raise PermissionDenied(f"Only leads of {kr.objective.unit.name} and above score it.")
    return kr


def _block_response(
    request: AuthedRequest,
    kr: KeyResult,
    *,
    form: ScoreForm | None = None,
    error: str = "",
    saved: bool = False,
) -> HttpResponse:
    """The objective's block on the scoring page, with a refused form kept as typed."""
    unit, cycle = kr.objective.unit, kr.objective.cycle
    closing = load_closing(unit=unit, cycle=cycle, today=_today(request))
    context = _scoring_context(request, unit, cycle, closing)
    block: ObjectiveBlock = next(b for b in closing.objectives if b.objective.pk == kr.objective_id)
    for row in block.rows:
        if row.kr.pk == kr.pk:
            if form is not None:
                row.form = form
            row.error = error
            row.saved = saved
    return render(request, "cycles/_score_objective.html", {**context, "block": block})


@require_http_methods(["GET", "POST"])
def key_result_score(request: AuthedRequest, pk: int) -> HttpResponse:
    """POST `action`: accept (the suggestion), score (another score with its reason), or
    withdraw. GET goes to the key result on the scoring page."""
    kr = _key_result_for_scoring(request, pk)
    page = _page_url(
        "cycles:unit-scoring", kr.objective.unit_id, kr.objective.cycle_id, f"kr-{kr.pk}"
    )
    if request.method == "GET":
        return redirect(page)
    action = request.POST.get("action", "")
    form = None
    try:
        if action == "accept":
            services.key_result_score(key_result=kr, by=request.user)
            done = "Suggestion accepted"
        elif action == "withdraw":
            services.key_result_score_withdraw(key_result=kr, by=request.user)
            done = "Score withdrawn"
        elif action == "score":
            suggestion = services.suggestion_for(kr, services.latest_values([kr.pk]).get(kr.pk))
            form = ScoreForm(request.POST, prefix=f"kr{kr.pk}", suggested=suggestion.score)
            if not form.is_valid():
                return _score_refused(request, kr, page, form=form)
            services.key_result_score(
                key_result=kr,
                by=request.user,
                score=form.cleaned_data["score"],
                reason=form.cleaned_data.get("reason") or "",
                reason_text=form.cleaned_data.get("reason_text") or "",
            )
            done = "Score saved"
        else:
            raise ValidationError("Choose to accept the suggestion, give a score or withdraw.")
    except ValidationError as exc:
        if form is not None:
            _add_errors(form, exc)
            return _score_refused(request, kr, page, form=form)
        return _score_refused(request, kr, page, error=" ".join(exc.messages))
    if request.htmx:
        response = _block_response(request, kr, saved=True)
        response["HX-Trigger"] = SCORE_SAVED
        return response
    messages.success(request, f"{done}: “{kr.statement}”.")
    return redirect(page)


def _score_refused(
    request: AuthedRequest,
    kr: KeyResult,
    page: str,
    *,
    form: ScoreForm | None = None,
    error: str = "",
) -> HttpResponse:
    if request.htmx:
        return _block_response(request, kr, form=form, error=error)
    if form is None:
        messages.error(request, error)
        return redirect(page)
    unit, cycle = kr.objective.unit, kr.objective.cycle
    closing = load_closing(unit=unit, cycle=cycle, today=_today(request))
    context = _scoring_context(request, unit, cycle, closing)
    for row in closing.rows:
        if row.kr.pk == kr.pk:
            row.form = form
    return render(request, "cycles/unit_scoring.html", context)


@require_POST
def unit_scoring_accept_all(request: AuthedRequest, pk: int) -> HttpResponse:
    """Accept every suggestion not scored yet, in one click."""
    unit = _unit(pk)
    if not request.user.has_perm("cycles.score_unit", unit):
        raise PermissionDenied(f"Only leads of {unit.name} and above score it.")
    cycle = _cycle_param(request)
    try:
        n = services.unit_scores_accept_all(unit=unit, cycle=cycle, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"{n} suggestion{'s' if n != 1 else ''} accepted. Check the rest by hand."
        )
    return redirect(_page_url("cycles:unit-scoring", unit.pk, cycle.pk))


# Retrospective ------------------------------------------------------------------------------


def _people(request: AuthedRequest, unit: OrgUnit) -> Any:
    """Who may own an action: the unit's people and the leads above it. The tree comes from
    the permission check's cache (no query of its own)."""
    access = access_for(request.user)
    tree = access.tree if access is not None else UnitTree.load()
    ancestors = tree.ancestors(unit.pk)
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(memberships__unit=unit)
            | Q(memberships__unit_id__in=ancestors, memberships__role="lead")
        )
        .distinct()
        .order_by("name", "email")
    )


def _retro_initial(closing: Closing) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    retro = closing.retro
    if retro is not None:
        for name, _, _ in RETRO_QUESTIONS:
            initial[name] = getattr(retro, name)
    for row in closing.rows:
        mark = row.mark
        initial[f"cal_{row.kr.pk}"] = (mark.calibration if mark else "") or row.suggested_mark
        initial[f"moved_{row.kr.pk}"] = bool(mark and mark.moved_not_objective)
        initial[f"note_{row.kr.pk}"] = mark.note if mark else ""
    return initial


def _retro_context(
    request: AuthedRequest,
    unit: OrgUnit,
    cycle: Cycle,
    closing: Closing,
    *,
    form: RetroForm | None = None,
    action_form: RetroActionForm | None = None,
    saved: bool = False,
) -> dict[str, Any]:
    can_edit = request.user.has_perm("cycles.edit_retro", unit) and cycle.is_retro_open
    scored = [r for r in closing.rows if r.record is not None]
    form = form or RetroForm(initial=_retro_initial(closing), key_results=[r.kr for r in scored])
    for row in scored:
        row.fields = {
            "cal": form[f"cal_{row.kr.pk}"],
            "moved": form[f"moved_{row.kr.pk}"],
            "note": form[f"note_{row.kr.pk}"],
        }
    if can_edit and action_form is None:
        action_form = RetroActionForm(people=_people(request, unit))
    retro = closing.retro
    return {
        "unit": unit,
        "cycle": cycle,
        "closing": closing,
        "retro": retro,
        "actions": list(retro.actions.all()) if retro else [],
        "form": form,
        "questions": [form[name] for name, _, _ in RETRO_QUESTIONS],
        "action_form": action_form,
        "can_edit": can_edit,
        "can_lead": request.user.has_perm("cycles.edit_retro", unit),
        "groups": closing.grouped(),
        "group_titles": GROUPS,
        "saved": saved,
    }


@require_http_methods(["GET", "POST"])
def unit_retro(request: AuthedRequest, pk: int) -> HttpResponse:
    """The retrospective: the article's questions, the key results sorted by what the data
    says about their calibration (for the team to confirm or correct), and actions."""
    unit = _unit(pk)
    cycle = _cycle_param(request)
    today = _today(request)
    closing = load_closing(unit=unit, cycle=cycle, today=today, with_retro=True)
    if request.method == "GET":
        return render(
            request, "cycles/unit_retro.html", _retro_context(request, unit, cycle, closing)
        )
    if not request.user.has_perm("cycles.edit_retro", unit):
        raise PermissionDenied(f"Only leads of {unit.name} and above edit its retrospective.")
    scored = [r.kr for r in closing.rows if r.record is not None]
    form = RetroForm(request.POST, key_results=scored)
    if form.is_valid():
        try:
            services.retrospective_save(
                unit=unit, cycle=cycle, by=request.user, marks=form.marks(), **form.answers()
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if request.htmx:
                closing = load_closing(unit=unit, cycle=cycle, today=today, with_retro=True)
                response = render(
                    request,
                    "cycles/unit_retro.html#retro-form",
                    _retro_context(request, unit, cycle, closing, saved=True),
                )
                response["HX-Trigger"] = RETRO_SAVED
                return response
            messages.success(request, "Retrospective saved.")
            return redirect(_page_url("cycles:unit-retro", unit.pk, cycle.pk))
    template = "cycles/unit_retro.html#retro-form" if request.htmx else "cycles/unit_retro.html"
    return render(request, template, _retro_context(request, unit, cycle, closing, form=form))


def _actions_response(
    request: AuthedRequest,
    unit: OrgUnit,
    cycle: Cycle,
    *,
    action_form: RetroActionForm | None = None,
) -> HttpResponse:
    closing = load_closing(unit=unit, cycle=cycle, today=_today(request), with_retro=True)
    context = _retro_context(request, unit, cycle, closing, action_form=action_form)
    return render(request, "cycles/unit_retro.html#actions", context)


@require_POST
def retro_action_create(request: AuthedRequest, pk: int) -> HttpResponse:
    unit = _unit(pk)
    if not request.user.has_perm("cycles.edit_retro", unit):
        raise PermissionDenied(f"Only leads of {unit.name} and above edit its retrospective.")
    cycle = _cycle_param(request)
    form = RetroActionForm(request.POST, people=_people(request, unit))
    if form.is_valid():
        try:
            services.retro_action_create(
                unit=unit,
                cycle=cycle,
                by=request.user,
                text=form.cleaned_data["text"],
                owner=form.cleaned_data["owner"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if request.htmx:
                return _actions_response(request, unit, cycle)
            messages.success(request, "Action added: it shows on next quarter's setting page.")
            return redirect(_page_url("cycles:unit-retro", unit.pk, cycle.pk, "actions"))
    if request.htmx:
        return _actions_response(request, unit, cycle, action_form=form)
    closing = load_closing(unit=unit, cycle=cycle, today=_today(request), with_retro=True)
    return render(
        request,
        "cycles/unit_retro.html",
        _retro_context(request, unit, cycle, closing, action_form=form),
    )


def _action(pk: int) -> RetroAction:
    return get_object_or_404(
        RetroAction.objects.select_related("retrospective__unit", "retrospective__cycle", "owner"),
        pk=pk,
    )


@require_POST
def retro_action_update(request: AuthedRequest, pk: int) -> HttpResponse:
    """Tick an action off, or not (`done`=1/0): its owner or the unit's leads."""
    action = _action(pk)
    unit, cycle = action.retrospective.unit, action.retrospective.cycle
    if action.owner_id != request.user.pk and not request.user.has_perm("cycles.edit_retro", unit):
        raise PermissionDenied("Only the action's owner and the unit's leads tick it off.")
    services.retro_action_set_done(
        action=action, by=request.user, done=request.POST.get("done") == "1"
    )
    if request.htmx:
        return _actions_response(request, unit, cycle)
    return redirect(
        _safe_back(request, _page_url("cycles:unit-retro", unit.pk, cycle.pk, "actions"))
    )


def _safe_back(request: AuthedRequest, fallback: str) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@require_POST
def retro_action_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    action = _action(pk)
    unit, cycle = action.retrospective.unit, action.retrospective.cycle
    if not request.user.has_perm("cycles.edit_retro", unit):
        raise PermissionDenied(f"Only leads of {unit.name} and above edit its retrospective.")
    try:
        services.retro_action_delete(action=action, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    if request.htmx:
        return _actions_response(request, unit, cycle)
    return redirect(_page_url("cycles:unit-retro", unit.pk, cycle.pk, "actions"))


@require_POST
def unit_retro_done(request: AuthedRequest, pk: int) -> HttpResponse:
    """Mark the retrospective held (`done`=1) or open it again (0)."""
    unit = _unit(pk)
    if not request.user.has_perm("cycles.edit_retro", unit):
        raise PermissionDenied(f"Only leads of {unit.name} and above edit its retrospective.")
    cycle = _cycle_param(request)
    done = request.POST.get("done", "1") == "1"
    try:
        services.retrospective_set_done(unit=unit, cycle=cycle, by=request.user, done=done)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            "Retrospective marked as held: its actions wait on next quarter's setting page."
            if done
            else "Retrospective open again.",
        )
    return redirect(_page_url("cycles:unit-retro", unit.pk, cycle.pk))


# Calibration --------------------------------------------------------------------------------


def _cost_context() -> dict[str, Any]:
    low, high = BUDGET_DAYS
    return {
        "assumptions": COST_ASSUMPTIONS,
        "budget_low": low,
        "budget_high": high,
        "hours_per_day": HOURS_PER_DAY,
    }


@require_GET
def unit_calibration(request: AuthedRequest, pk: int) -> HttpResponse:
    """A unit's history across cycles: scores, flags, confidence calibration, check-in
    discipline, key-result quality and the estimated cost of the process."""
    unit = _unit(pk)
    data = history.load_unit_calibration(unit, now=timezone.now(), today=_today(request))
    return render(
        request,
        "cycles/unit_calibration.html",
        {"unit": unit, "cal": data, **_cost_context()},
    )


@require_GET
def calibration(request: AuthedRequest) -> HttpResponse:
    """The organisation across cycles, and each unit's row (flags once the unit has seen
    them: see cycles/history.py)."""
    data = history.load_org_calibration(now=timezone.now(), today=_today(request))
    return render(request, "cycles/calibration.html", {"cal": data, **_cost_context()})


# Cycles (org admins) ---------------------------------------------------------------------------


def _require_admin(request: AuthedRequest) -> None:
    if not request.user.has_perm("cycles.manage_cycles"):
        raise PermissionDenied("Only org admins manage cycles.")


@require_GET
def cycle_list(request: AuthedRequest) -> HttpResponse:
    """Every cycle with its phase and dates: advance, hold or release it; create the next."""
    _require_admin(request)
    cycles = list(Cycle.objects.order_by("-starts_on"))
    today = _today(request)
    changes = list(PhaseChange.objects.select_related("cycle", "by").order_by("-at", "-pk")[:12])
    rows = [
        {
            "cycle": c,
            "scheduled": Cycle.Phase(c.scheduled_phase(today)).label,
            "behind": Cycle.phase_index(c.scheduled_phase(today)) > Cycle.phase_index(c.phase),
            "form": PhaseForm(prefix=f"c{c.pk}", initial={"phase": c.next_phase or c.phase}),
            "next_label": Cycle.Phase(c.next_phase).label if c.next_phase else "",
        }
        for c in cycles
    ]
    return render(
        request,
        "cycles/cycle_list.html",
        {
            "rows": rows,
            "changes": changes,
            "next": services.next_cycle_defaults(today),
            "today": today,
        },
    )


@require_POST
def cycle_phase(request: AuthedRequest, pk: int) -> HttpResponse:
    """Move a cycle to a phase (`advance` moves it to the next one)."""
    _require_admin(request)
    cycle = get_object_or_404(Cycle, pk=pk)
    if "advance" in request.POST:
        if cycle.next_phase is None:
            messages.error(request, f"{cycle} is closed: there is no phase after it.")
            return redirect("cycles:cycle-list")
        phase, hold = cycle.next_phase, False
    else:
        form = PhaseForm(request.POST, prefix=f"c{cycle.pk}")
        if not form.is_valid():
            messages.error(request, "Choose a phase from the list.")
            return redirect("cycles:cycle-list")
        phase, hold = form.cleaned_data["phase"], form.cleaned_data["hold"]
    cycle = services.cycle_set_phase(cycle=cycle, phase=phase, by=request.user, hold=hold)
    held = " and held there" if cycle.phase_held else ""
    messages.success(
        request, f"{cycle} is now in its {cycle.get_phase_display().lower()} phase{held}."
    )
    return redirect("cycles:cycle-list")


@require_POST
def cycle_release(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    cycle = services.cycle_release_hold(cycle=get_object_or_404(Cycle, pk=pk), by=request.user)
    messages.success(
        request,
        f"{cycle} follows its dates again: it is in its {cycle.get_phase_display().lower()} phase.",
    )
    return redirect("cycles:cycle-list")


@require_POST
def cycle_create_next(request: AuthedRequest) -> HttpResponse:
    _require_admin(request)
    try:
        cycle = services.cycle_create_next(by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"{cycle} created: setting opens {cycle.setting_opens_on:%-d %b}, it starts "
            f"{cycle.starts_on:%-d %b %Y}.",
        )
    return redirect("cycles:cycle-list")
