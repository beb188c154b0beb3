"""The setting page and its htmx endpoints: draft, debate and agree a unit's OKRs.

Every view is: permission-aware getter (PermissionDenied -> the 403 page, or for htmx the
templates/errors/_403.html fragment) -> form -> service -> response. One template per form,
with a `{% partialdef %}` for the fragment htmx swaps; a plain POST redirects (the page works
without JavaScript), an htmx POST answers with the fragment. Invalid input re-renders the form
with status 200 and everything typed still in it.

Regions of the page refresh through events (HX-Trigger), never by swapping several targets:
`objectives-changed` (the count and the more-than-five warning), `kr-changed-<objective>` (the
objective's coaching summary), `krs-changed-<objective>` (its list of key results, after a
move). static/js/setting.js handles `okrs:moved` (reorder), `okrs:reset` (clear a create form
after success) and `okrs:focus` (where focus goes after a swap that removed it).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from accounts.http import AuthedRequest
from accounts.models import OrgUnit
from accounts.rules import access_for
from okrs import coaching, services
from okrs.forms import (
    AlignmentForm,
    CarryForwardForm,
    DependencyAnswerForm,
    DependencyForm,
    FocusReasonForm,
    KeyResultForm,
    MoveKeyResultForm,
    ObjectiveForm,
    ReasonForm,
    SendBackForm,
    StatusForm,
    people_choices,
)
from okrs.models import (
    AlignmentLink,
    Dependency,
    KeyResult,
    Metric,
    Objective,
    cycle_is_closed,
)
from okrs.setting import (
    alignment_choices,
    default_setting_cycle,
    load_focus,
    load_setting_page,
    metric_notes_for,
    move_choices,
    provider_choices,
    setting_objectives,
)

Cycle: Any = Objective._meta.get_field("cycle").related_model  # okrs imports no cycles code

CARD = "okrs/_setting_objective.html"
KR_ROW = "okrs/_setting_key_result.html"
PARTS = {"head", "summary", "krs", "addkr", "alignment", "dependencies"}


# Getters: load, and refuse what this person may not do ----------------------------------------


def _cycle_param(request: AuthedRequest) -> Any:
    raw = request.GET.get("cycle") or request.POST.get("cycle")
    if raw:
        if not str(raw).isdigit():
            raise Http404("No such cycle.")
        return get_object_or_404(Cycle, pk=int(raw))
    cycle = default_setting_cycle()
    if cycle is None:
        raise Http404("No cycle yet.")
    return cycle


def _unit(request: AuthedRequest, pk: int, *, edit: bool) -> OrgUnit:
    unit = get_object_or_404(OrgUnit.objects.select_related("parent"), pk=pk)
    if edit and not request.user.has_perm("okrs.edit_unit", unit):
        raise PermissionDenied(
            f"Only leads of {unit.name} (or of the units above it) edit its OKRs."
        )
    return unit


def _objective(request: AuthedRequest, pk: int, *, perm: str | None) -> Objective:
    objective = get_object_or_404(
        Objective.objects.select_related("unit", "cycle", "owner", "updated_by"), pk=pk
    )
    if perm == "okrs.change_objective" and not request.user.has_perm(perm, objective):
        raise PermissionDenied(
            f"Only leads of {objective.unit.name} (or of the units above it) edit this objective."
        )
    if perm == "okrs.agree_objective" and not request.user.has_perm(perm, objective):
        raise PermissionDenied(
            "Only the lead of the unit above (or leadership) agrees or sends back this objective."
        )
    return objective


def _key_result(request: AuthedRequest, pk: int, *, edit: bool) -> KeyResult:
    kr = get_object_or_404(
        KeyResult.objects.select_related(
            "objective__unit", "objective__cycle", "owner", "metric", "updated_by"
        ),
        pk=pk,
    )
    if edit and not request.user.has_perm("okrs.change_objective", kr):
        raise PermissionDenied(
            f"Only leads of {kr.objective.unit.name} (or of the units above it) edit this key "
            "result."
        )
    return kr


def _tree(request: AuthedRequest) -> Any:
    access = access_for(request.user)
    assert access is not None  # views are behind sign-in
    return access.tree


def _setting_url(unit_id: int, cycle_id: int, anchor: str = "") -> str:
    url = reverse("okrs:unit-setting", args=[unit_id]) + f"?cycle={cycle_id}"
    return url + (f"#{anchor}" if anchor else "")


def _objective_url(objective: Objective, anchor: str = "") -> str:
    anchor = anchor or f"objective-{objective.pk}"
    return _setting_url(objective.unit_id, objective.cycle_id, anchor)


def _back(request: AuthedRequest, default: str) -> HttpResponseRedirect:
    """Redirect to ?next= when it is ours (forms on the objective page come back there)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def _posted(request: AuthedRequest) -> QueryDict | None:
    """Form data for a POST (even an empty one, which must fail validation), else None."""
    return request.POST if request.method == "POST" else None


def _ensure_open(cycle: Any) -> None:
    if cycle_is_closed(cycle):
        raise PermissionDenied(f"{cycle.name} is closed: its OKRs are read-only.")


# Rendering helpers ----------------------------------------------------------------------------


def _card_context(request: AuthedRequest, objective_pk: int, **extra: Any) -> dict[str, Any]:
    """Everything the objective card (and its parts) shows, for one objective."""
    found = setting_objectives(Objective.objects.filter(pk=objective_pk))
    if not found:
        raise Http404("That objective no longer exists.")
    objective = found[0]
    user = request.user
    if extra.get("open_kr_form"):
        extra["kr_form"] = _kr_form(
            request, objective, data=None, prefix=f"new-kr-{objective.pk}", locked=False
        )
        extra["kr_form"].set_focus("statement")
    return {
        "objective": objective,
        "unit": objective.unit,
        "cycle": objective.cycle,
        "can_edit": user.has_perm("okrs.edit_unit", objective.unit)
        and not cycle_is_closed(objective.cycle),
        "can_agree": user.has_perm("okrs.agree_objective", objective.unit),
        **extra,
    }


def _part(request: AuthedRequest, objective_pk: int, part: str, **extra: Any) -> HttpResponse:
    return render(request, f"{CARD}#{part}", _card_context(request, objective_pk, **extra))


def _kr_row(request: AuthedRequest, kr_pk: int, **extra: Any) -> HttpResponse:
    kr = KeyResult.objects.select_related("owner", "metric", "objective__unit", "objective__cycle")
    kr = get_object_or_404(kr, pk=kr_pk)
    kr.report = coaching.check_saved(kr)
    objective = kr.objective
    context = {
        "kr": kr,
        "objective": objective,
        "can_edit": request.user.has_perm("okrs.change_objective", objective)
        and not cycle_is_closed(objective.cycle),
        **extra,
    }
    return render(request, f"{KR_ROW}#kr", context)


def _empty(request: AuthedRequest, target: str) -> HttpResponse:
    """An htmx answer that removes `target` (the swap replaces it with nothing)."""
    response = HttpResponse("")
    retarget(response, target)
    reswap(response, "outerHTML")
    return response


# The page -------------------------------------------------------------------------------------


def _render_page(
    request: AuthedRequest,
    unit: OrgUnit,
    cycle: Any,
    *,
    create_form: ObjectiveForm | None = None,
    status: int = 200,
) -> HttpResponse:
    page = load_setting_page(unit=unit, cycle=cycle, user=request.user)
    if create_form is None and page.editable:
        create_form = _objective_form(request, unit, data=None, prefix="new-objective")
    return render(
        request,
        "okrs/setting.html",
        {
            "page": page,
            "unit": unit,
            "cycle": cycle,
            "cycles": list(Cycle.objects.exclude(phase="closed").order_by("-starts_on")[:8]),
            "create_form": create_form,
            "can_edit": page.editable,
            "can_agree": page.can_agree and not page.closed,
            "can_answer": page.editable,
            "focus_limit": Objective.FOCUS_LIMIT,
            "focus_form": FocusReasonForm(
                initial={"reason": page.focus_reason.reason if page.focus_reason else ""}
            ),
        },
        status=status,
    )


@require_GET
def unit_setting(request: AuthedRequest, pk: int) -> HttpResponse:
    """The setting page of a unit for a cycle (?cycle=, else the one being set now).
    Everyone reads it; leads of the unit and of the units above it edit it."""
    unit = _unit(request, pk, edit=False)
    cycle = _cycle_param(request)
    return _render_page(request, unit, cycle)


def _focus_response(
    request: AuthedRequest, unit: OrgUnit, cycle: Any, form: FocusReasonForm | None = None
) -> HttpResponse:
    count, reason = load_focus(unit, cycle)
    can_edit = request.user.has_perm("okrs.edit_unit", unit) and not cycle_is_closed(cycle)
    if form is None:
        form = FocusReasonForm(initial={"reason": reason.reason if reason else ""})
    return render(
        request,
        "okrs/setting.html#focus",
        {
            "unit": unit,
            "cycle": cycle,
            "count": count,
            "focus_reason": reason,
            "focus_form": form,
            "focus_limit": Objective.FOCUS_LIMIT,
            "can_edit": can_edit,
        },
    )


@require_http_methods(["GET", "POST"])
def focus_reason(request: AuthedRequest, pk: int) -> HttpResponse:
    """The more-than-five warning (GET refreshes it) and its reason (POST saves it)."""
    unit = _unit(request, pk, edit=request.method == "POST")
    cycle = _cycle_param(request)
    if request.method == "GET":
        if not request.htmx:
            return redirect(_setting_url(unit.pk, cycle.pk, "focus"))
        return _focus_response(request, unit, cycle)
    _ensure_open(cycle)
    form = FocusReasonForm(request.POST)
    if form.is_valid():
        services.focus_reason_set(
            unit=unit, cycle=cycle, reason=form.cleaned_data["reason"], by=request.user
        )
        if not request.htmx:
            messages.success(request, "Reason saved.")
            return redirect(_setting_url(unit.pk, cycle.pk, "focus"))
        return _focus_response(request, unit, cycle)
    if not request.htmx:
        messages.error(request, "Give the reason for more than five objectives.")
        return redirect(_setting_url(unit.pk, cycle.pk, "focus"))
    return _focus_response(request, unit, cycle, form)


# Objectives -----------------------------------------------------------------------------------


def _objective_form(
    request: AuthedRequest,
    unit: OrgUnit,
    *,
    data: QueryDict | None,
    prefix: str,
    locked: bool = False,
    initial: dict[str, Any] | None = None,
) -> ObjectiveForm:
    return ObjectiveForm(
        data,
        owners=people_choices(unit, _tree(request)),
        locked=locked,
        prefix=prefix,
        initial=initial,
    )


@require_http_methods(["GET", "POST"])
def objective_create(request: AuthedRequest, pk: int) -> HttpResponse:
    """Add an objective to the unit's list; focus goes straight to its first key result."""
    unit = _unit(request, pk, edit=True)
    cycle = _cycle_param(request)
    _ensure_open(cycle)
    if request.method == "GET":
        return redirect(_setting_url(unit.pk, cycle.pk, "new-objective"))
    form = _objective_form(request, unit, data=request.POST, prefix="new-objective")
    if form.is_valid():
        try:
            objective = services.objective_create(
                unit=unit, cycle=cycle, by=request.user, **form.values()
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            if not request.htmx:
                messages.success(request, "Objective added. Now its first key result.")
                return redirect("okrs:key-result-create", pk=objective.pk)
            response = render(
                request,
                f"{CARD}#card",
                _card_context(request, objective.pk, open_kr_form=True),
            )
            retarget(response, "#objective-list")
            reswap(response, "beforeend")
            fresh = _objective_form(request, unit, data=None, prefix="new-objective")
            _replace_form(
                request,
                response,
                "okrs/objective_form.html#form",
                {"form": fresh, "unit": unit, "cycle": cycle, "creating": True},
            )
            trigger_client_event(response, "objectives-changed")
            trigger_client_event(response, "okrs:reset", {"form": "new-objective-form"})
            return response
    if request.htmx:
        form.set_focus("title")
        return render(
            request,
            "okrs/objective_form.html#form",
            {"form": form, "unit": unit, "cycle": cycle, "creating": True},
        )
    return _render_page(request, unit, cycle, create_form=form)


@require_GET
def objective_card(request: AuthedRequest, pk: int) -> HttpResponse:
    """One region of an objective's card on the setting page (?part=head, summary, krs,
    alignment, dependencies), for Cancel buttons and event-driven refreshes."""
    objective = _objective(request, pk, perm=None)
    part = request.GET.get("part", "head")
    if part not in PARTS:
        raise Http404("No such part.")
    if not request.htmx:
        return redirect(_objective_url(objective))
    return _part(request, pk, part, focus=request.GET.get("focus", ""))


def _objective_form_response(
    request: AuthedRequest,
    objective: Objective,
    form: ObjectiveForm,
    *,
    conflict: Objective | None = None,
    status: int = 200,
) -> HttpResponse:
    form.set_focus("title")
    context = {
        "form": form,
        "objective": objective,
        "unit": objective.unit,
        "cycle": objective.cycle,
        "conflict": conflict,
        "locked": objective.is_locked(),
    }
    template = "okrs/objective_form.html#form" if request.htmx else "okrs/objective_form.html"
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def objective_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    """Edit an objective in place. A save that lost a race with another lead is refused and
    shows both versions; a locked objective asks for the reason."""
    objective = _objective(request, pk, perm="okrs.change_objective")
    _ensure_open(objective.cycle)
    locked = objective.is_locked()
    prefix = f"objective-{objective.pk}"
    if request.method == "GET":
        form = _objective_form(
            request,
            objective.unit,
            data=None,
            prefix=prefix,
            locked=locked,
            initial={
                "title": objective.title,
                "description": objective.description,
                "kind": objective.kind,
                "owner": objective.owner_id,
                "version": objective.version,
            },
        )
        return _objective_form_response(request, objective, form)
    form = _objective_form(request, objective.unit, data=request.POST, prefix=prefix, locked=locked)
    if form.is_valid():
        try:
            services.objective_update(
                objective=objective,
                by=request.user,
                version=form.cleaned_data["version"] or 0,
                reason=form.cleaned_data.get("reason", ""),
                **form.values(),
            )
        except services.StaleEdit as stale:
            return _objective_conflict(request, objective, form, stale.current)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            if not request.htmx:
                messages.success(request, "Objective saved.")
                return redirect(_objective_url(objective))
            response = _part(request, objective.pk, "head", focus="edit")
            trigger_client_event(response, f"kr-changed-{objective.pk}")
            return response
    return _objective_form_response(request, objective, form)


def _objective_conflict(
    request: AuthedRequest, objective: Objective, form: ObjectiveForm, current: Objective
) -> HttpResponse:
    """Keep what this lead typed, show what the other saved, and let a second save (now on
    the current version) replace it knowingly."""
    data = form.data.copy()
    data[form.add_prefix("version")] = str(current.version)
    fresh = _objective_form(
        request, objective.unit, data=data, prefix=form.prefix or "", locked=form.locked
    )
    fresh.is_valid()
    return _objective_form_response(request, current, fresh, conflict=current)


@require_http_methods(["GET", "POST"])
def objective_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    """Confirm (GET), then delete (POST) an objective with its key results."""
    objective = _objective(request, pk, perm="okrs.change_objective")
    _ensure_open(objective.cycle)
    context = {
        "objective": objective,
        "kr_count": objective.key_results.count(),
        "locked": objective.is_locked(),
        "back": _objective_url(objective),
    }
    if request.method == "GET":
        template = "okrs/confirm_delete.html" + ("#objective" if request.htmx else "")
        return render(request, template, {**context, "what": "objective"})
    # Where focus lands once the card is gone: the next objective, else the previous, else
    # the form to add one.
    siblings = list(
        Objective.objects.filter(unit_id=objective.unit_id, cycle_id=objective.cycle_id)
        .order_by("order", "pk")
        .values_list("pk", flat=True)
    )
    index = siblings.index(objective.pk)
    rest = siblings[index + 1 :] + siblings[:index][::-1]
    focus = f"#objective-{rest[0]}-title" if rest else "#new-objective-title"
    try:
        services.objective_delete(objective=objective, by=request.user)
    except ValidationError as error:
        if not request.htmx:
            messages.error(request, " ".join(error.messages))
            return redirect(_objective_url(objective))
        return render(
            request,
            "okrs/confirm_delete.html#objective",
            {**context, "what": "objective", "errors": error.messages},
        )
    if not request.htmx:
        messages.success(request, f"Deleted “{objective.title}”.")
        return redirect(_setting_url(objective.unit_id, objective.cycle_id))
    response = _empty(request, f"#objective-{pk}")
    trigger_client_event(response, "objectives-changed")
    trigger_client_event(response, "okrs:focus", {"target": focus}, after="settle")
    return response


def _moved(request: AuthedRequest, element_id: str, direction: str, moved: bool) -> HttpResponse:
    response = HttpResponse("")
    reswap(response, "none")
    if moved:
        trigger_client_event(response, "okrs:moved", {"id": element_id, "direction": direction})
    return response


@require_POST
def objective_reorder(request: AuthedRequest, pk: int) -> HttpResponse:
    """Move an objective one place up or down (POST direction=up|down)."""
    objective = _objective(request, pk, perm="okrs.change_objective")
    _ensure_open(objective.cycle)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        return HttpResponse("Say up or down.", status=400)
    moved = services.objective_move(objective=objective, direction=direction, by=request.user)
    if not request.htmx:
        return redirect(_objective_url(objective))
    return _moved(request, f"objective-{pk}", direction, moved)


def _status_change(
    request: AuthedRequest, objective: Objective, action: Any, *, success: str
) -> HttpResponse:
    form = StatusForm(request.POST)
    form.is_valid()
    try:
        action(objective=objective, by=request.user, comment=form.cleaned_data.get("comment", ""))
    except ValidationError as error:
        if request.htmx:
            return _part(request, objective.pk, "head", errors=error.messages)
        messages.error(request, " ".join(error.messages))
        return _back(request, _objective_url(objective))
    if request.htmx:
        return _part(request, objective.pk, "head", focus="status", notice=success)
    messages.success(request, success)
    return _back(request, _objective_url(objective))


@require_POST
def objective_propose(request: AuthedRequest, pk: int) -> HttpResponse:
    """The unit's lead proposes a draft; the lead above is emailed."""
    objective = _objective(request, pk, perm="okrs.change_objective")
    _ensure_open(objective.cycle)
    return _status_change(
        request,
        objective,
        services.objective_propose,
        success="Proposed: the lead of the unit above has been told.",
    )


@require_POST
def objective_agree(request: AuthedRequest, pk: int) -> HttpResponse:
    """A lead above agrees a proposed objective."""
    objective = _objective(request, pk, perm="okrs.agree_objective")
    _ensure_open(objective.cycle)
    return _status_change(
        request, objective, services.objective_agree, success="Agreed: the team has been told."
    )


@require_http_methods(["GET", "POST"])
def objective_send_back(request: AuthedRequest, pk: int) -> HttpResponse:
    """A lead above sends an objective back to draft, saying what should change."""
    objective = _objective(request, pk, perm="okrs.agree_objective")
    _ensure_open(objective.cycle)
    form = SendBackForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.objective_send_back(
                objective=objective, by=request.user, comment=form.cleaned_data["comment"]
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            if request.htmx:
                response = _part(request, objective.pk, "head", focus="status", notice="Sent back.")
                retarget(response, f"#objective-{objective.pk}-head")
                return response
            messages.success(request, "Sent back to draft: the team has been told.")
            return _back(request, _objective_url(objective))
    template = "okrs/send_back_form.html#form" if request.htmx else "okrs/send_back_form.html"
    return render(
        request,
        template,
        {"form": form, "objective": objective, "next": request.GET.get("next", "")},
    )


@require_http_methods(["GET", "POST"])
def objective_carry_forward(request: AuthedRequest, pk: int) -> HttpResponse:
    """Bring an unfinished objective of an earlier cycle into ?cycle= as a draft, with the
    key results the lead ticks (the unfinished ones are ticked to start with)."""
    source = _objective(request, pk, perm=None)
    if not request.user.has_perm("okrs.edit_unit", source.unit):
        raise PermissionDenied(f"Only leads of {source.unit.name} carry its objectives forward.")
    cycle = _cycle_param(request)
    _ensure_open(cycle)
    unfinished_ids = [kr.pk for kr in source.key_results.all() if kr.score is None or kr.score < 1]
    form = CarryForwardForm(
        _posted(request), source=source, initial={"key_results": unfinished_ids}
    )
    if request.method == "POST" and form.is_valid():
        try:
            objective = services.objective_carry_forward(
                source=source,
                cycle=cycle,
                key_results=form.cleaned_data["key_results"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, f"“{objective.title}” carried into {cycle.name} as a draft.")
            return redirect(_objective_url(objective))
    template = "okrs/carry_forward.html#form" if request.htmx else "okrs/carry_forward.html"
    return render(request, template, {"form": form, "source": source, "cycle": cycle})


# Key results ----------------------------------------------------------------------------------


def _kr_form(
    request: AuthedRequest,
    objective: Objective,
    *,
    data: QueryDict | None,
    prefix: str,
    locked: bool,
    initial: dict[str, Any] | None = None,
) -> KeyResultForm:
    return KeyResultForm(
        data,
        owners=people_choices(objective.unit, _tree(request)),
        cycle=objective.cycle,
        locked=locked,
        prefix=prefix,
        initial=initial,
    )


def _kr_form_context(
    request: AuthedRequest,
    objective: Objective,
    form: KeyResultForm,
    *,
    kr: KeyResult | None,
    conflict: KeyResult | None = None,
) -> dict[str, Any]:
    """The form, the coaching on what it holds now, and the notes pinned to its metric."""
    form.set_focus("statement")
    if form.is_bound:
        typed = _unprefixed(form.data, form.prefix)
        report = coaching.check_typed(typed, metric_names=_metric_names(form))
    elif kr is not None:
        report = coaching.check_saved(kr)
    else:
        report = None
    metric_id = _metric_id(form)
    notes = metric_notes_for(objective.unit, [metric_id]).get(metric_id, []) if metric_id else []
    return {
        "form": form,
        "objective": objective,
        "kr": kr,
        "conflict": conflict,
        "report": report,
        "metric_notes": notes,
        "locked": objective.is_locked(),
    }


def _unprefixed(data: QueryDict, prefix: str | None) -> dict[str, str]:
    start = f"{prefix}-" if prefix else ""
    return {k[len(start) :]: v for k, v in data.items() if k.startswith(start)}


def _metric_id(form: KeyResultForm) -> int | None:
    raw = form.data.get(form.add_prefix("metric")) if form.is_bound else form.initial.get("metric")
    raw = str(raw or "")
    return int(raw) if raw.isdigit() else None


def _metric_names(form: KeyResultForm) -> dict[int, str]:
    metric_id = _metric_id(form)
    if metric_id is None:
        return {}
    return dict(Metric.objects.filter(pk=metric_id).values_list("pk", "name"))


def _resolve_metric(form: KeyResultForm) -> Metric | None:
    data = form.cleaned_data
    if data.get("metric"):
        return data["metric"]
    name = data.get("new_metric_name", "").strip()
    if not name:
        return None
    return services.metric_get_or_create(
        name=name,
        unit=data.get("unit", "").strip(),
        definition=data.get("metric_definition", "").strip(),
        source=data.get("metric_source", "").strip(),
    )


@require_http_methods(["GET", "POST"])
def key_result_create(request: AuthedRequest, pk: int) -> HttpResponse:
    """Write a key result under an objective. After a save the form stays open, empty, for
    the next one."""
    objective = _objective(request, pk, perm="okrs.change_objective")
    _ensure_open(objective.cycle)
    locked = objective.is_locked()
    prefix = f"new-kr-{objective.pk}"
    if request.method == "GET":
        form = _kr_form(request, objective, data=None, prefix=prefix, locked=locked)
        context = _kr_form_context(request, objective, form, kr=None)
        if request.htmx:
            return render(request, "okrs/key_result_form.html#form", context)
        return render(request, "okrs/key_result_form.html", context)
    form = _kr_form(request, objective, data=request.POST, prefix=prefix, locked=locked)
    if form.is_valid():
        try:
            with transaction.atomic():
                metric = _resolve_metric(form)
                kr = services.key_result_create(
                    objective=objective,
                    by=request.user,
                    reason=form.cleaned_data.get("reason", ""),
                    **form.values(metric),
                )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            if not request.htmx:
                messages.success(request, "Key result added.")
                return redirect(_objective_url(objective, f"kr-{kr.pk}"))
            response = render(
                request,
                f"{KR_ROW}#row",
                {
                    "kr": _annotated_kr(kr.pk),
                    "objective": objective,
                    "can_edit": True,
                },
            )
            retarget(response, f"#objective-{objective.pk}-krs")
            reswap(response, "beforeend")
            fresh = _kr_form(request, objective, data=None, prefix=prefix, locked=locked)
            _replace_form(
                request,
                response,
                "okrs/key_result_form.html#form",
                _kr_form_context(request, objective, fresh, kr=None),
            )
            trigger_client_event(response, f"kr-changed-{objective.pk}")
            trigger_client_event(response, "okrs:reset", {"form": f"{prefix}-form"}, after="settle")
            return response
    context = _kr_form_context(request, objective, form, kr=None)
    if request.htmx:
        return render(request, "okrs/key_result_form.html#form", context)
    return render(request, "okrs/key_result_form.html", context)


def _replace_form(
    request: AuthedRequest, response: HttpResponse, template: str, context: dict
) -> None:
    """Add to a create form's success response (whose content goes elsewhere) the form
    again, empty, swapped out of band over the one on the page. Resetting the old one in the
    browser brought back what an earlier, rejected submission had rendered into it: after an
    error, the rejected values are the form's defaults."""
    html = render_to_string(template, context, request=request)
    response.content += html.replace("<form ", '<form hx-swap-oob="outerHTML" ', 1).encode()


def _annotated_kr(pk: int) -> KeyResult:
    kr = KeyResult.objects.select_related("owner", "metric", "objective").get(pk=pk)
    kr.report = coaching.check_saved(kr)
    return kr


@require_GET
def key_result_row(request: AuthedRequest, pk: int) -> HttpResponse:
    """A key result as the setting page shows it (Cancel on its edit form comes here)."""
    kr = _key_result(request, pk, edit=False)
    if not request.htmx:
        return redirect(_objective_url(kr.objective, f"kr-{kr.pk}"))
    return _kr_row(request, kr.pk, focus=request.GET.get("focus", ""))


@require_http_methods(["GET", "POST"])
def key_result_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    """Edit a key result in place, with live coaching; concurrent saves are refused with
    both versions shown."""
    kr = _key_result(request, pk, edit=True)
    objective = kr.objective
    _ensure_open(objective.cycle)
    locked = objective.is_locked()
    prefix = f"kr-{kr.pk}"
    if request.method == "GET":
        form = _kr_form(
            request,
            objective,
            data=None,
            prefix=prefix,
            locked=locked,
            initial=KeyResultForm.initial_from(kr),
        )
        return _kr_form_response(request, objective, form, kr=kr)
    form = _kr_form(request, objective, data=request.POST, prefix=prefix, locked=locked)
    if form.is_valid():
        try:
            with transaction.atomic():
                metric = _resolve_metric(form)
                services.key_result_update(
                    key_result=kr,
                    by=request.user,
                    version=form.cleaned_data["version"] or 0,
                    reason=form.cleaned_data.get("reason", ""),
                    **form.values(metric),
                )
        except services.StaleEdit as stale:
            current = stale.current
            assert isinstance(current, KeyResult)
            data = form.data.copy()
            data[form.add_prefix("version")] = str(current.version)
            fresh = _kr_form(request, objective, data=data, prefix=prefix, locked=locked)
            fresh.is_valid()
            current.report = coaching.check_saved(current)
            return _kr_form_response(request, objective, fresh, kr=current, conflict=current)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            if not request.htmx:
                messages.success(request, "Key result saved.")
                return redirect(_objective_url(objective, f"kr-{kr.pk}"))
            response = _kr_row(request, kr.pk, focus="edit", notice="Saved.")
            trigger_client_event(response, f"kr-changed-{objective.pk}")
            return response
    return _kr_form_response(request, objective, form, kr=kr)


def _kr_form_response(
    request: AuthedRequest,
    objective: Objective,
    form: KeyResultForm,
    *,
    kr: KeyResult,
    conflict: KeyResult | None = None,
) -> HttpResponse:
    context = _kr_form_context(request, objective, form, kr=kr, conflict=conflict)
    template = "okrs/key_result_form.html#form" if request.htmx else "okrs/key_result_form.html"
    return render(request, template, context)


@require_POST
def key_result_check(request: AuthedRequest, pk: int) -> HttpResponse:
    """Coaching as the lead types: the form's fields in (debounced by htmx), findings out.
    Writes nothing; the form names its prefix in `prefix`."""
    objective = _objective(request, pk, perm="okrs.change_objective")
    prefix = request.POST.get("prefix", "")
    data = _unprefixed(request.POST, prefix)
    metric_raw = data.get("metric", "")
    names: dict[int, str] = {}
    if metric_raw.isdigit():
        names = dict(Metric.objects.filter(pk=int(metric_raw)).values_list("pk", "name"))
    report = coaching.check_typed(data, metric_names=names)
    fill = coaching.numbers_to_fill(data, report)
    return render(
        request,
        "okrs/_coaching.html",
        {
            "report": report,
            "objective": objective,
            "live": True,
            "fill": fill,
            "fill_json": json.dumps(fill),
            "prefix": prefix,
        },
    )


@require_GET
def key_result_metric(request: AuthedRequest, pk: int) -> HttpResponse:
    """Picking a known metric fills the baseline from its last measured value (and the unit
    and source), without overwriting anything the lead has typed there."""
    objective = _objective(request, pk, perm="okrs.change_objective")
    prefix = request.GET.get("prefix", "")
    data = _unprefixed(request.GET, prefix)
    metric = None
    if data.get("metric", "").isdigit():
        metric = Metric.objects.filter(pk=int(data["metric"])).first()
    if metric is not None:
        if not data.get("unit", "").strip():
            data["unit"] = metric.unit
        if not data.get("baseline_value", "").strip() and metric.last_value is not None:
            from okrs.templatetags.okrs import number

            data["baseline_value"] = number(metric.last_value)
            if metric.last_measured_on and not data.get("baseline_measured_on"):
                data["baseline_measured_on"] = metric.last_measured_on.isoformat()
            # The source describes the value it came with: only beside a value filled here,
            # never beside one the lead typed from somewhere else.
            if not data.get("baseline_source", "").strip() and metric.source:
                data["baseline_source"] = metric.source
    form = _kr_form(
        request,
        objective,
        data=None,
        prefix=prefix,
        locked=False,
        initial={k: v for k, v in data.items() if k != "version"},
    )
    notes = metric_notes_for(objective.unit, [metric.pk]).get(metric.pk, []) if metric else []
    return render(
        request,
        "okrs/key_result_form.html#metric",
        {"form": form, "objective": objective, "metric": metric, "metric_notes": notes},
    )


@require_http_methods(["GET", "POST"])
def key_result_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    """Confirm (GET), then delete (POST) a key result; a locked one needs a reason."""
    kr = _key_result(request, pk, edit=True)
    objective = kr.objective
    _ensure_open(objective.cycle)
    locked = objective.is_locked()
    form = ReasonForm(_posted(request), locked=locked)
    context = {"kr": kr, "objective": objective, "form": form, "locked": locked,
               "back": _objective_url(objective, f"kr-{kr.pk}"), "what": "key_result"}  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            services.key_result_delete(
                key_result=kr, by=request.user, reason=form.cleaned_data.get("reason", "")
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            if not request.htmx:
                messages.success(request, "Key result deleted.")
                return redirect(_objective_url(objective))
            response = _empty(request, f"#kr-{pk}")
            trigger_client_event(response, f"kr-changed-{objective.pk}")
            trigger_client_event(
                response, "okrs:focus", {"target": f"#objective-{objective.pk}-title"},
                after="settle",
            )  # fmt: skip
            return response
    template = "okrs/confirm_delete.html#key_result" if request.htmx else "okrs/confirm_delete.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def key_result_move(request: AuthedRequest, pk: int) -> HttpResponse:
    """Move a key result to another objective of the same unit and cycle."""
    kr = _key_result(request, pk, edit=True)
    objective = kr.objective
    _ensure_open(objective.cycle)
    choices = move_choices(kr)
    # A reason is asked for when either side is locked; the service decides exactly.
    locked = objective.is_locked() or any(o.is_locked() for o in choices.select_related("cycle"))
    form = MoveKeyResultForm(_posted(request), objectives=choices, locked=locked)
    if request.method == "POST" and form.is_valid():
        to = form.cleaned_data["to"]
        try:
            services.key_result_move(
                key_result=kr, to=to, by=request.user, reason=form.cleaned_data.get("reason", "")
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            if not request.htmx:
                messages.success(request, f"Moved to “{to.title}”.")
                return redirect(_objective_url(to, f"kr-{kr.pk}"))
            response = _empty(request, f"#kr-{pk}")
            for event in ("kr-changed-", "krs-changed-"):
                trigger_client_event(response, f"{event}{to.pk}")
            trigger_client_event(response, f"kr-changed-{objective.pk}")
            trigger_client_event(
                response, "okrs:focus", {"target": f"#objective-{to.pk}-title"}, after="settle"
            )
            return response
    context = {"kr": kr, "objective": objective, "form": form, "locked": locked}
    template = "okrs/move_form.html#form" if request.htmx else "okrs/move_form.html"
    return render(request, template, context)


@require_POST
def key_result_reorder(request: AuthedRequest, pk: int) -> HttpResponse:
    """Move a key result one place up or down its objective's list."""
    kr = _key_result(request, pk, edit=True)
    _ensure_open(kr.objective.cycle)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        return HttpResponse("Say up or down.", status=400)
    moved = services.key_result_shift(key_result=kr, direction=direction, by=request.user)
    if not request.htmx:
        return redirect(_objective_url(kr.objective, f"kr-{kr.pk}"))
    return _moved(request, f"kr-{pk}", direction, moved)


# Alignment and dependencies -------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def alignment_link_create(request: AuthedRequest, pk: int) -> HttpResponse:
    """The team picks an objective its own contributes to, and says how."""
    objective = _objective(request, pk, perm="okrs.change_objective")
    _ensure_open(objective.cycle)
    form = AlignmentForm(_posted(request), parents=alignment_choices(objective, _tree(request)))
    if request.method == "POST" and form.is_valid():
        try:
            services.alignment_link_create(
                child=objective,
                parent=form.cleaned_data["parent"],
                how=form.cleaned_data["how"],
                expected_contribution=form.cleaned_data["expected_contribution"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            if not request.htmx:
                messages.success(request, "Alignment saved.")
                return redirect(_objective_url(objective))
            response = _part(request, objective.pk, "alignment", focus="align")
            retarget(response, f"#objective-{objective.pk}-alignment")
            return response
    template = "okrs/alignment_form.html#form" if request.htmx else "okrs/alignment_form.html"
    return render(request, template, {"form": form, "objective": objective})


@require_POST
def alignment_link_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    """Stop contributing to a parent objective."""
    link = get_object_or_404(
        AlignmentLink.objects.select_related("child__unit", "child__cycle", "parent"), pk=pk
    )
    if not request.user.has_perm("okrs.change_objective", link.child):
        raise PermissionDenied(
            f"Only leads of {link.child.unit.name} change what its objectives align to."
        )
    _ensure_open(link.child.cycle)
    child = link.child
    services.alignment_link_delete(link=link, by=request.user)
    if not request.htmx:
        messages.success(request, f"No longer aligned to “{link.parent.title}”.")
        return _back(request, _objective_url(child))
    return _part(request, child.pk, "alignment", focus="align")


@require_http_methods(["GET", "POST"])
def dependency_create(request: AuthedRequest, pk: int) -> HttpResponse:
    """Record that the objective needs something from another unit (whose leads are told)."""
    objective = _objective(request, pk, perm="okrs.change_objective")
    _ensure_open(objective.cycle)
    form = DependencyForm(_posted(request), providers=provider_choices(objective))
    if request.method == "POST" and form.is_valid():
        try:
            services.dependency_create(
                objective=objective,
                provider=form.cleaned_data["provider"],
                description=form.cleaned_data["description"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            if not request.htmx:
                messages.success(request, "Dependency recorded: that unit's leads are told.")
                return redirect(_objective_url(objective))
            response = _part(request, objective.pk, "dependencies", focus="depend")
            retarget(response, f"#objective-{objective.pk}-dependencies")
            return response
    template = "okrs/dependency_form.html#form" if request.htmx else "okrs/dependency_form.html"
    return render(request, template, {"form": form, "objective": objective})


@require_http_methods(["GET", "POST"])
def dependency_answer(request: AuthedRequest, pk: int) -> HttpResponse:
    """The unit asked for help accepts or declines (with a note), or marks it done."""
    dependency = get_object_or_404(
        Dependency.objects.select_related(
            "objective__unit", "objective__cycle", "provider", "requested_by", "answered_by"
        ),
        pk=pk,
    )
    if not request.user.has_perm("okrs.answer_dependency", dependency):
        raise PermissionDenied(f"Only leads of {dependency.provider.name} answer this request.")
    cycle = dependency.objective.cycle
    _ensure_open(cycle)
    form = DependencyAnswerForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.dependency_answer(
                dependency=dependency,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            if not request.htmx:
                messages.success(request, "Answer sent.")
                return redirect(
                    _setting_url(dependency.provider_id, cycle.pk, f"dependency-{dependency.pk}")
                )
            form = DependencyAnswerForm()
            dependency.refresh_from_db()
            return render(
                request,
                "okrs/setting.html#incoming-item",
                {"dep": dependency, "answer_form": form, "can_answer": True, "focus": True},
            )
    if request.method == "GET" and request.htmx:
        form = DependencyAnswerForm()
    template = "okrs/setting.html#incoming-item" if request.htmx else "okrs/dependency_answer.html"
    return render(
        request,
        template,
        {"dep": dependency, "answer_form": form, "can_answer": True, "cycle": cycle},
    )


# The debate -----------------------------------------------------------------------------------


@require_POST
def objective_comment_add(request: AuthedRequest, pk: int) -> HttpResponse:
    """Add to an objective's debate (on its page); everyone involved is emailed."""
    from okrs.forms import CommentForm
    from okrs.views import render_objective_page

    objective = _objective(request, pk, perm=None)
    if not request.user.has_perm("okrs.comment_objective", objective):
        raise PermissionDenied("Sign in to join the debate.")
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.objective_comment_add(
                objective=objective, by=request.user, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            if not request.htmx:
                messages.success(request, "Comment added.")
                return redirect(reverse("okrs:objective-detail", args=[pk]) + "#thread")
            form = CommentForm()
    if request.htmx:
        return render(
            request,
            "okrs/objective_detail.html#thread",
            {
                "objective": objective,
                "comments": list(objective.comments.select_related("author")),
                "comment_form": form,
                "can_comment": True,
            },
        )
    return render_objective_page(request, objective, comment_form=form)
