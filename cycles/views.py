"""Check-ins, cadences and reminders: pages and htmx endpoints.

Thin views: permission-aware getter -> form -> service -> response. htmx POSTs get the fragment
they replace (a key result's row, or the key result page's main region, chosen by the request's
HX-Target) and an HX-Trigger event; plain POSTs redirect, so everything works without
JavaScript; an invalid form comes back with its messages and what was typed, status 200.
Query counts are pinned in tests/cycles/test_views.py.

The reminder link pages (`reminder_link*`) are the only ones open without signing in: a signed
token authorises check-ins on that reminder's key results by that person, and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthedRequest
from accounts.models import OrgUnit, OutgoingEmail, User
from cycles import services
from cycles.cadence import due_times, local_date
from cycles.charts import Trend, key_result_chart, trend
from cycles.forms import CadenceForm, CheckInForm, ReminderSettingsForm, load_unit_choices
from cycles.models import CadenceMap, CheckIn, Reminder, ReminderSettings, describe_cadence
from okrs.models import KeyResult
from okrs.templatetags.okrs import number
from okrs.views import current_cycle

CHECK_IN_SAVED = "checkin-saved"
PAGE_TARGET = "key-result-main"
TREND_LENGTH = 8
# Posts through one reminder link: plenty for a person checking in on every key result twice,
# few enough to make guessing at anything pointless.
LINK_POSTS_PER_WINDOW = 30
LINK_POST_WINDOW_SECONDS = 600


# Rows of key results with their check-in state ---------------------------------------------


@dataclass
class Row:
    """One key result as "My key results" and the reminder link page show it."""

    kr: KeyResult
    state: services.DueState
    due: bool
    can_check_in: bool
    trend: Trend | None
    form: CheckInForm | None = None
    saved: bool = False

    @property
    def dom_id(self) -> str:
        return f"kr-row-{self.kr.pk}"

    @property
    def due_on(self):
        return self.state.expected_on

    @property
    def period_on(self):
        if self.state.period_due_at is None:
            return None
        return local_date(self.state.period_due_at, self.state.zone_name)


def recent_values(kr_ids: list[int]) -> dict[int, list[Decimal]]:
    """The last few effective check-in values per key result, oldest first: one query."""
    if not kr_ids:
        return {}
    rows = (
        CheckIn.objects.filter(key_result_id__in=kr_ids, corrected_by__isnull=True)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("key_result_id")],
                order_by=[F("created_at").desc(), F("pk").desc()],
            )
        )
        .filter(rank__lte=TREND_LENGTH)
        .order_by()
        .values_list("key_result_id", "created_at", "pk", "value")
    )
    found: dict[int, list[tuple[datetime, int, Decimal]]] = {}
    for kr_id, created_at, pk, value in rows:
        found.setdefault(kr_id, []).append((created_at, pk, value))
    return {kr_id: [v for _, _, v in sorted(items)] for kr_id, items in found.items()}


def check_in_form(
    kr: KeyResult,
    units: list[tuple[str, str]],
    data: Any = None,
    *,
    correcting: CheckIn | None = None,
) -> CheckInForm:
    if correcting is not None:
        initial = {
            "confidence": correcting.confidence,
            "value": number(correcting.value),
            "blocker": correcting.blocker,
            "blocker_unit": correcting.blocker_unit_id or "",
        }
        prefix = "correct"
    else:
        current = kr.current_value if kr.current_value is not None else kr.baseline_value
        # "0.31", not the column's "0.3100".
        initial = {"value": number(current) if current is not None else None}
        prefix = f"kr{kr.pk}"
    form = CheckInForm(
        data,
        prefix=prefix,
        initial=initial,
        previous_confidence=kr.confidence,
        units=units,
        correcting=correcting is not None,
    )
    if kr.confidence is not None and correcting is None:
        form.fields["confidence"].widget.attrs["placeholder"] = f"was {kr.confidence}"
    return form


def build_rows(
    krs: list[KeyResult],
    user: User,
    *,
    now: datetime,
    cadences: CadenceMap,
    units: list[tuple[str, str]],
    open_due: bool,
    forms_for_all: bool = False,
) -> list[Row]:
    values = recent_values([kr.pk for kr in krs])
    rows = []
    for kr in krs:
        state = services.due_state(kr, cadences, now)
        due = state.is_due(now)
        can = services.check_in_open(kr) and user.has_perm("cycles.check_in", kr)
        row = Row(kr=kr, state=state, due=due, can_check_in=can, trend=trend(values.get(kr.pk, [])))
        if can and ((due and open_due) or forms_for_all):
            row.form = check_in_form(kr, units)
        rows.append(row)
    return rows


def _add_errors(form: CheckInForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _safe_next(request: AuthedRequest, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _key_result(pk: int) -> KeyResult:
    return get_object_or_404(
        KeyResult.objects.select_related(
            "objective__unit", "objective__cycle", "owner", "metric", "blocker_unit"
        ),
        pk=pk,
    )


def get_key_result_for_check_in(request: AuthedRequest, pk: int) -> KeyResult:
    kr = _key_result(pk)
    if not request.user.has_perm("cycles.check_in", kr):
        raise PermissionDenied(
            "Only the key result's owner and the leads of its unit check in on it."
        )
    return kr


# My key results ------------------------------------------------------------------------------


@require_GET
def my_key_results(request: AuthedRequest) -> HttpResponse:
    """Every key result the person owns this cycle, due ones first with their check-in forms
    open, so that several are checked in from one screen without a click to open anything."""
    now = timezone.now()
    cycle = current_cycle(request)
    krs: list[KeyResult] = []
    if cycle is not None:
        krs = list(
            KeyResult.objects.filter(owner=request.user, objective__cycle=cycle)
            .select_related("objective__unit", "objective__cycle", "owner", "blocker_unit")
            .order_by("objective__unit__name", "objective__order", "objective_id", "order", "pk")
        )
    units = load_unit_choices() if krs else []
    rows = build_rows(
        krs, request.user, now=now, cadences=CadenceMap.load(), units=units, open_due=True
    )
    rows.sort(key=lambda r: not r.due)  # due first, otherwise in the objectives' order
    due = [r for r in rows if r.due]
    template = "cycles/my_key_results.html"
    if request.htmx:
        template += "#summary"
    return render(
        request,
        template,
        {
            "cycle": cycle,
            "rows": rows,
            "due_count": len(due),
            "done_count": sum(1 for r in rows if r.state.checked_in_for_period),
            "post_next": reverse("cycles:my-key-results"),
        },
    )


# Checking in --------------------------------------------------------------------------------


def _row_response(request: AuthedRequest, row: Row, *, token: str | None = None) -> HttpResponse:
    return render(
        request,
        "cycles/_check_in_row.html",
        {"row": row, "link_mode": token is not None, "token": token, "post_next": ""},
    )


def _single_row(
    request: AuthedRequest, kr: KeyResult, form: CheckInForm | None, *, saved: bool = False
) -> Row:
    now = timezone.now()
    cadences = CadenceMap.load()
    state = services.due_state(kr, cadences, now)
    values = recent_values([kr.pk])
    return Row(
        kr=kr,
        state=state,
        due=state.is_due(now),
        can_check_in=True,
        trend=trend(values.get(kr.pk, [])),
        form=form,
        saved=saved,
    )


@require_http_methods(["GET", "POST"])
def check_in_create(request: AuthedRequest, pk: int) -> HttpResponse:
    """GET (htmx): the key result's row with its check-in form open. POST: record it."""
    kr = get_key_result_for_check_in(request, pk)
    if request.method == "GET":
        if not request.htmx:
            return redirect(reverse("cycles:key-result-detail", args=[kr.pk]) + "#check-in")
        row = _single_row(request, kr, check_in_form(kr, load_unit_choices()))
        return _row_response(request, row)

    units = load_unit_choices()
    form = check_in_form(kr, units, request.POST)
    if form.is_valid():
        try:
            services.check_in_create(key_result=kr, by=request.user, **_service_args(form, units))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            kr = _key_result(kr.pk)
            if request.htmx:
                if request.htmx.target == PAGE_TARGET:
                    response = _key_result_page(request, kr, partial=True)
                else:
                    row = _single_row(request, kr, None, saved=True)
                    response = _row_response(request, row)
                response["HX-Trigger"] = CHECK_IN_SAVED
                return response
            messages.success(request, f"Checked in on “{kr.statement}”.")
            return redirect(_safe_next(request, reverse("cycles:key-result-detail", args=[kr.pk])))
    if request.htmx and request.htmx.target != PAGE_TARGET:
        row = _single_row(request, kr, form)
        return _row_response(request, row)
    return _key_result_page(request, kr, partial=bool(request.htmx), form=form)


def _service_args(form: CheckInForm, units: list[tuple[str, str]]) -> dict[str, Any]:
    data = form.cleaned_data
    unit_id = data.get("blocker_unit")
    return {
        "confidence": data["confidence"],
        "value": data["value"],
        "what_changed": data.get("what_changed") or "",
        "blocker": data.get("blocker") or "",
        # The form checked the id against the choices it offered; the unit is fetched only
        # when one was named.
        "blocker_unit": OrgUnit.objects.get(pk=unit_id) if unit_id else None,
    }


@require_http_methods(["GET", "POST"])
def check_in_correct(request: AuthedRequest, pk: int) -> HttpResponse:
    """Correct the latest check-in on a key result: a new check-in that says so."""
    original = get_object_or_404(CheckIn.objects.select_related("key_result"), pk=pk)
    kr = get_key_result_for_check_in(request, original.key_result_id)
    page = reverse("cycles:key-result-detail", args=[kr.pk])
    if request.method == "GET":
        return redirect(page + "#correct")
    units = load_unit_choices()
    form = check_in_form(kr, units, request.POST, correcting=original)
    if form.is_valid():
        try:
            services.check_in_correct(
                original=original, by=request.user, **_service_args(form, units)
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if request.htmx:
                response = _key_result_page(request, _key_result(kr.pk), partial=True)
                response["HX-Trigger"] = CHECK_IN_SAVED
                return response
            messages.success(request, "Correction recorded; the original stays in the history.")
            return redirect(page)
    return _key_result_page(request, kr, partial=bool(request.htmx), correction_form=form)


# The key result page -------------------------------------------------------------------------


@require_GET
def key_result_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """A key result's history, its chart of value and confidence against the baseline-to-target
    line, its blockers, and (for those who may) the check-in form."""
    return _key_result_page(request, _key_result(pk), partial=bool(request.htmx))


def _key_result_page(
    request: AuthedRequest,
    kr: KeyResult,
    *,
    partial: bool,
    form: CheckInForm | None = None,
    correction_form: CheckInForm | None = None,
) -> HttpResponse:
    now = timezone.now()
    cycle = kr.objective.cycle
    can = services.check_in_open(kr) and request.user.has_perm("cycles.check_in", kr)
    history = list(
        kr.check_ins.select_related("author", "blocker_unit").order_by("created_at", "pk")
    )
    corrected = {c.corrects_id for c in history if c.corrects_id}
    effective = [c for c in history if c.pk not in corrected]
    state = services.due_state(kr, CadenceMap.load(), now)
    latest = history[-1] if history else None
    units: list[tuple[str, str]] = []
    if can:
        units = load_unit_choices()
        form = form or check_in_form(kr, units)
        if latest is not None:
            correction_form = correction_form or check_in_form(kr, units, correcting=latest)
    chart = key_result_chart(
        kr,
        [(c.created_at, c.value, c.confidence) for c in effective],
        starts_on=cycle.starts_on,
        ends_on=cycle.ends_on,
        now=now,
    )
    template = "cycles/key_result_detail.html"
    if partial:
        template += "#main"
    return render(
        request,
        template,
        {
            "kr": kr,
            "objective": kr.objective,
            "cycle": cycle,
            "can_check_in": can,
            "history": list(reversed(history)),
            "corrected": corrected,
            "latest": latest,
            # Earlier blockers: the open one is shown on its own, and a corrected check-in's
            # blocker is replaced by its correction's.
            "blockers": [c for c in reversed(effective[:-1]) if c.blocker],
            "state": state,
            "due": state.is_due(now),
            "chart": chart,
            "form": form if can else None,
            "correction_form": correction_form if can else None,
            "correction_open": correction_form is not None and correction_form.is_bound,
            "post_url": reverse("cycles:check-in-create", args=[kr.pk]),
        },
    )


# A unit's check-in coverage ------------------------------------------------------------------


@dataclass
class PersonCoverage:
    person: User | None
    rows: list[tuple[KeyResult, str]]  # (key result, DueState.status())

    @property
    def done(self) -> int:
        return sum(1 for _, s in self.rows if s == "done")

    @property
    def missing(self) -> int:
        return sum(1 for _, s in self.rows if s == "due")


@require_GET
def unit_check_ins(request: AuthedRequest, pk: int) -> HttpResponse:
    """For the current due period: whose key results in this unit are checked in and whose are
    not, the unit's open blockers, blockers other units name this unit for, and (for its leads)
    reminder emails that could not be delivered.

    A page of cycles rather than a section of okrs' unit page: okrs imports no cycles code, so
    its view cannot compute due periods, and the unit page's pinned query count stays its own.
    The unit page links here.
    """
    now = timezone.now()
    unit = get_object_or_404(OrgUnit.objects.select_related("parent"), pk=pk)
    cycle = current_cycle(request)
    krs: list[KeyResult] = []
    naming: list[KeyResult] = []
    failed: list[Reminder] = []
    if cycle is not None:
        krs = list(
            KeyResult.objects.filter(objective__unit=unit, objective__cycle=cycle)
            .select_related("objective__cycle", "owner", "blocker_unit")
            .order_by("owner__name", "objective__order", "order", "pk")
        )
        naming = list(
            KeyResult.objects.filter(blocker_unit=unit, objective__cycle=cycle)
            .exclude(blocker="")
            .exclude(objective__unit=unit)
            .select_related("objective__unit", "owner")
            .order_by("checked_in_at")
        )
    cadences = CadenceMap.load()
    people: dict[int | None, PersonCoverage] = {}
    for kr in krs:
        status = services.due_state(kr, cadences, now).status(now)
        entry = people.setdefault(kr.owner_id, PersonCoverage(person=kr.owner, rows=[]))
        entry.rows.append((kr, status))
    can_see_delivery = request.user.has_perm("cycles.view_reminder_delivery", unit)
    if can_see_delivery and cycle is not None and krs:
        failed = list(
            Reminder.objects.filter(
                cycle=cycle,
                key_results__objective__unit=unit,
                email__state=OutgoingEmail.State.FAILED,
            )
            .select_related("user", "email")
            .distinct()
            .order_by("-due_at")[:20]
        )
    cadence = cadences.for_unit(unit.pk)
    return render(
        request,
        "cycles/unit_check_ins.html",
        {
            "unit": unit,
            "cycle": cycle,
            "people": sorted(
                people.values(), key=lambda p: (p.person is None, p.person.name if p.person else "")
            ),
            "done": sum(p.done for p in people.values()),
            "missing": sum(p.missing for p in people.values()),
            "blockers_here": [kr for kr in krs if kr.blocker],
            "blockers_naming": naming,
            "failed": failed,
            "can_see_delivery": can_see_delivery,
            "cadence_text": describe_cadence(cadence),
        },
    )


# Cadence -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def unit_cadence(request: AuthedRequest, pk: int) -> HttpResponse:
    """A unit's cadence: its own or inherited (and from where), the next three due dates, and
    for the leads of the unit and above, the form to change it."""
    unit = get_object_or_404(OrgUnit.objects.select_related("parent"), pk=pk)
    can_edit = request.user.has_perm("cycles.edit_cadence", unit)
    cadences = CadenceMap.load()
    own = cadences.own.get(unit.pk)
    effective = cadences.for_unit(unit.pk)
    form = CadenceForm(
        request.POST or None,
        has_parent=unit.parent_id is not None,
        initial={
            "source": CadenceForm.OWN if own else CadenceForm.INHERIT,
            "frequency": effective.frequency,
            "weekday": effective.weekday,
            "hour": effective.hour,
        },
    )
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Only leads of this unit and the units above set its cadence.")
        if form.is_valid():
            data = form.cleaned_data
            if data["source"] == CadenceForm.INHERIT:
                services.cadence_clear(unit=unit, by=request.user)
                messages.success(request, f"{unit} now follows the cadence of the unit above.")
            else:
                services.cadence_set(
                    unit=unit,
                    frequency=data["frequency"],
                    weekday=data["weekday"],
                    hour=data["hour"],
                    by=request.user,
                )
                messages.success(request, f"{unit}'s cadence is saved; due dates have moved.")
            return redirect("cycles:unit-cadence", pk=unit.pk)
    source_name = None
    if effective.source_unit_id not in (None, unit.pk):
        source_name = (
            OrgUnit.objects.filter(pk=effective.source_unit_id)
            .values_list("name", flat=True)
            .first()
        )
    cycle = current_cycle(request)
    upcoming: list[datetime] = []
    if cycle is not None:
        times = due_times(
            starts_on=cycle.starts_on,
            ends_on=cycle.ends_on,
            cadence=effective,
            zone_name=request.user.time_zone,
        )
        now = timezone.now()
        upcoming = [timezone.localtime(t, request.user.zone) for t in times if t > now][:3]
    inheriting = len(cadences.inheritors(unit.pk)) - 1 if own else 0
    return render(
        request,
        "cycles/unit_cadence.html",
        {
            "unit": unit,
            "cycle": cycle,
            "form": form,
            "can_edit": can_edit,
            "own": own is not None,
            "cadence_text": describe_cadence(effective),
            "source_name": source_name,
            "upcoming": upcoming,
            "inheriting": inheriting,
        },
    )


# Reminder settings and unsubscribing ---------------------------------------------------------


@require_http_methods(["GET", "POST"])
def reminder_settings(request: AuthedRequest) -> HttpResponse:
    """A person's own reminders: on, paused until a date, or off; and their last reminders."""
    row = ReminderSettings.objects.filter(user=request.user).first()
    today = timezone.localdate(timezone=request.user.zone)
    form = ReminderSettingsForm(
        request.POST or None,
        today=today,
        initial={
            "state": row.state if row else ReminderSettings.State.ON,
            "paused_until": row.paused_until if row else None,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.reminder_settings_set(
                user=request.user,
                state=form.cleaned_data["state"],
                paused_until=form.cleaned_data.get("paused_until"),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Your reminder settings are saved.")
            return redirect("cycles:reminder-settings")
    recent = list(
        Reminder.objects.filter(user=request.user).select_related("email").order_by("-due_at")[:5]
    )
    return render(
        request,
        "cycles/reminder_settings.html",
        {"form": form, "settings_row": row, "recent": recent, "today": today},
    )


@login_not_required
@csrf_exempt  # RFC 8058: the mail provider POSTs "List-Unsubscribe=One-Click" with no token;
# the signed URL is the authorisation, and turning reminders off is all it can do.
@require_http_methods(["GET", "POST"])
def unsubscribe(request: AuthedRequest, token: str) -> HttpResponse:
    """One-click unsubscribe. GET only asks (mail scanners open links); POST turns reminders off."""
    user = services.user_for_unsubscribe_token(token)
    if user is None:
        return render(request, "cycles/unsubscribe.html", {"invalid": True}, status=400)
    done = False
    if request.method == "POST":
        services.reminder_settings_set(user=user, state=ReminderSettings.State.OFF)
        done = True
    return render(request, "cycles/unsubscribe.html", {"person": user, "done": done})


# The reminder email's link ------------------------------------------------------------------


def _link_problem(request: AuthedRequest, message: str, *, status: int) -> HttpResponse:
    template = (
        "cycles/_reminder_link_problem.html"
        if request.htmx
        else "cycles/reminder_link_problem.html"
    )
    return render(request, template, {"message": message}, status=status)


def _reminder_from_link(request: AuthedRequest, token: str) -> Reminder | HttpResponse:
    try:
        reminder = services.reminder_for_token(token)
    except services.LinkProblem as problem:
        return _link_problem(request, str(problem), status=410 if problem.expired else 400)
    if request.user.is_authenticated and request.user.pk != reminder.user_id:
        # Someone else's link while signed in: show nothing of it.
        return _link_problem(
            request,
            "This check-in link was sent to someone else. Sign out and open it again, or use "
            "“My key results” for your own.",
            status=400,
        )
    return reminder


def _link_rows(reminder: Reminder, *, now: datetime) -> list[Row]:
    krs = list(
        reminder.key_results.select_related(
            "objective__unit", "objective__cycle", "owner", "blocker_unit"
        ).order_by("objective__unit__name", "objective__order", "order", "pk")
    )
    # Every key result of the reminder gets its form: one already checked in since the email
    # shows it folded away, for a second thought.
    return build_rows(
        krs,
        reminder.user,
        now=now,
        cadences=CadenceMap.load(),
        units=load_unit_choices() if krs else [],
        open_due=True,
        forms_for_all=True,
    )


@login_not_required
@require_GET
def reminder_link(request: AuthedRequest, token: str) -> HttpResponse:
    """What the reminder email links to: that person's due key results with their check-in
    forms. Changes nothing (mail scanners pre-fetch links) and signs nobody in."""
    reminder = _reminder_from_link(request, token)
    if isinstance(reminder, HttpResponse):
        return reminder
    rows = _link_rows(reminder, now=timezone.now())
    return render(
        request,
        "cycles/reminder_link.html",
        {
            "reminder": reminder,
            "person": reminder.user,
            "rows": rows,
            "token": token,
            "window_ends_at": timezone.localtime(reminder.window_ends_at, reminder.user.zone),
        },
    )


def _rate_limited(reminder: Reminder) -> bool:
    key = f"qd:reminder-link-posts:{reminder.pk}"
    cache.add(key, 0, timeout=LINK_POST_WINDOW_SECONDS)
    try:
        return cache.incr(key) > LINK_POSTS_PER_WINDOW
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=LINK_POST_WINDOW_SECONDS)
        return False


@login_not_required
@require_POST
def reminder_link_check_in(request: AuthedRequest, token: str, pk: int) -> HttpResponse:
    """A check-in submitted from the reminder link's page, authorised by the link: on one of
    that reminder's key results, as that person, while the window is open."""
    reminder = _reminder_from_link(request, token)
    if isinstance(reminder, HttpResponse):
        return reminder
    kr = (
        reminder.key_results.select_related(
            "objective__unit", "objective__cycle", "owner", "metric", "blocker_unit"
        )
        .filter(pk=pk)
        .first()
    )
    if kr is None:
        return _link_problem(
            request,
            "This link does not cover that key result. Sign in to check in on it.",
            status=404,
        )
    if _rate_limited(reminder):
        return _link_problem(
            request,
            "Many check-ins came through this link in a few minutes. Wait a little, or sign in.",
            status=429,
        )
    link_page = reverse("cycles:reminder-link", args=[token])
    units = load_unit_choices()
    form = check_in_form(kr, units, request.POST)
    if form.is_valid():
        try:
            services.check_in_create(
                key_result=kr,
                by=reminder.user,
                via=CheckIn.Via.EMAIL,
                **_service_args(form, units),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if request.htmx:
                kr = _key_result(kr.pk)
                row = _single_row(request, kr, None, saved=True)
                response = _row_response(request, row, token=token)
                response["HX-Trigger"] = CHECK_IN_SAVED
                return response
            messages.success(request, f"Checked in on “{kr.statement}”.")
            return HttpResponseRedirect(link_page + f"#kr-row-{kr.pk}")
    row = _single_row(request, kr, form)
    if request.htmx:
        return _row_response(request, row, token=token)
    rows = _link_rows(reminder, now=timezone.now())
    rows = [row if r.kr.pk == kr.pk else r for r in rows]
    return render(
        request,
        "cycles/reminder_link.html",
        {
            "reminder": reminder,
            "person": reminder.user,
            "rows": rows,
            "token": token,
            "window_ends_at": timezone.localtime(reminder.window_ends_at, reminder.user.zone),
        },
    )
