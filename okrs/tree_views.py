"""Leadership's alignment tree: the page, the htmx fragments that open it further, the SVG
map, and the sufficiency answer on a parent objective.

Everyone signed in reads the tree. The page's first paint shows the company objectives (with
their key results, what blocks them, and their first contributors) and, by structure, the
company and its functions; everything deeper loads when a reader opens it (htmx on the
<details> toggle), so the page stays small however large the organisation. Each view's query
count is fixed and pinned in tests/okrs/test_tree_views.py.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BigIntegerField
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import push_url

from accounts.http import AuthedRequest
from cycles.models import Cycle, pick_current
from okrs import services, tree
from okrs.models import Objective
from okrs.tree import COMPANY, FLAGS, FUNCTION, Filters, Forest, Visibility
from okrs.tree_forms import SufficiencyForm
from okrs.tree_memo import VERSION_SQL, data_version, remembered, remembering
from okrs.tree_present import (
    NodeView,
    blocker_views,
    children_url,
    contributors_text,
    key_result_view,
    node_view,
    plural,
)
from okrs.views import current_cycle

# How many contributors a company objective shows before "show more" (first paint), and how
# many any expansion shows at a time. Together they keep the first paint near 1,500 elements.
FIRST_PAINT_CHILDREN = 7
PAGE_SIZE = 20
BLOCKERS_SHOWN = 5


def _cycle_and_version(request: AuthedRequest) -> tuple[Any, int | None, list[Cycle]]:
    """The cycle the page is about (?cycle=, else the current one; None when there are no
    cycles), the tree's data version (`tree_memo`), and every cycle, newest first (for the
    quarter picker): one query."""
    cycles = list(
        Cycle.objects.annotate(
            tree_version=RawSQL(f"({VERSION_SQL})", [], output_field=BigIntegerField())
        ).order_by("-starts_on")
    )
    current = pick_current(cycles)
    if not hasattr(request, "_current_cycle"):
        request._current_cycle = current  # type: ignore[attr-defined]  # for the banner
    raw = request.GET.get("cycle")
    cycle = current
    if raw:
        cycle = next((c for c in cycles if raw.isdigit() and c.pk == int(raw)), None)
        if cycle is None:
            raise Http404("No such cycle.")
    return cycle, getattr(cycle, "tree_version", None), cycles


def remembers(view: Any) -> Any:
    """Run a view that reads no cycle with the tree's data version read first (one query),
    so its reads come from memory while nothing they read has changed (`tree_memo`)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with remembering(data_version()):
            return view(*args, **kwargs)

    return wrapper


def remembers_fragment(view: Any) -> Any:
    """`remembers`, and the rendered fragment itself kept under the data version, the URL
    and the date: an htmx fragment of the tree is the same for every reader, so opening a
    node someone has opened since the last change costs no rendering at all."""

    @functools.wraps(view)
    def wrapper(request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with remembering(data_version()):
            key = ("fragment", view.__name__, request.get_full_path(), _today())
            content = remembered(
                key, lambda: view(request, *args, **kwargs).content, pool="fragments"
            )
        return HttpResponse(content)

    return wrapper


def paused_gc(view: Any) -> Any:
    """Run the view with the cyclic garbage collector held (see `tree.gc_paused`)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with tree.gc_paused():
            return view(*args, **kwargs)

    return wrapper


def _today() -> date:
    return timezone.localdate()


def _offset(request: AuthedRequest) -> int:
    raw = request.GET.get("offset", "")
    return min(int(raw), 1_000_000) if raw.isdigit() else 0


def _params(request: AuthedRequest, filters: Filters, cycle: Any) -> dict[str, str]:
    """The query string every link and fragment URL on the page carries along."""
    params = filters.as_params()
    if request.GET.get("cycle") and cycle is not None:
        params["cycle"] = str(cycle.pk)
    return params


def _matcher(
    forest: Forest,
    filters: Filters,
    *,
    cycle_id: int | None = None,
    among: list[int] | None = None,
) -> Any:
    """The filters as a per-objective test; None when nothing is filtered. Asks the database
    only for what the filters need: key-result text for a search, the output check for the
    output flag."""
    if not filters.active:
        return None
    if filters.function_id and not forest.units:
        forest.units = tree.load_units()
    hits: set[int] = set()
    if filters.flag == tree.OUTPUT:
        # One pass over the key results answers both the output flag and a text search.
        outputs, hits = tree.load_output_flags(cycle_id=cycle_id, among=among or (), q=filters.q)
        for objective_id, n in outputs.items():
            o = forest.objectives.get(objective_id)
            if o is not None and n > o.output:
                forest.own(objective_id).output = n  # type: ignore[union-attr]
    elif filters.q:
        hits = tree.search_key_results(filters.q, cycle_id=cycle_id, among=among or ())
    return tree.matcher(forest, filters, text_hits=hits)


def _attach(forest: Forest, ids: list[int], today: date) -> dict[int, list[tree.KeyResultRow]]:
    """Load and roll up the key results of these objectives (one query)."""
    found = tree.load_key_results(ids, today)
    for objective_id in ids:
        o = forest.own(objective_id)
        if o is not None:
            o.attach(found.get(objective_id, []))
    return found


@dataclass
class Glance:
    """The line at the top: how the company's objectives stand, in numbers."""

    company: int = 0
    at_risk: int = 0
    objectives: int = 0
    blocked: int = 0
    stale: int = 0
    unaligned: int = 0


@dataclass
class UnitView:
    id: int
    url: str
    name: str
    kind: str
    kind_label: str
    objectives_text: str
    over_five: bool
    below_text: str
    children_url: str
    context_only: bool
    objectives: list[NodeView] = field(default_factory=list)
    units: list[UnitView] = field(default_factory=list)


def _base_context(request: AuthedRequest, cycle: Any, filters: Filters, view: str) -> dict:
    flag_choices = list(FLAGS.items())
    return {
        "cycle": cycle,
        "filters": filters,
        "view": view,
        "flag_choices": flag_choices,
        "flag_label": FLAGS.get(filters.flag or "", ""),
        "is_current": cycle is not None and cycle == current_cycle(request),
    }


@require_GET
@paused_gc
def tree_page(request: AuthedRequest) -> HttpResponse:
    """The alignment tree (or, with ?view=org, the same objectives by organisation).

    Queries: session, user, the cycle (with the tree's data version), `tree.load_cycle`
    (units with their objectives, links, flagged key results), the key results shown, the
    direct contributors' progress, the banner's hint: 9; a text search adds one. Once
    remembered (`tree_memo`), only session, user, cycle and the banner's: 4.
    """
    cycle, version, cycles = _cycle_and_version(request)
    filters = Filters.from_query(request.GET)
    view = "org" if request.GET.get("view") == "org" else "alignment"
    context = _base_context(request, cycle, filters, view)
    context["cycles"] = cycles
    if cycle is not None:
        with remembering(version):
            context.update(_tree_context(request, cycle, filters, view))
    if request.htmx and not request.htmx.history_restore_request:
        # The filters' own URL goes into the address bar (the form's hx-push-url alone put
        # the previous one there when a select submitted it).
        response = render(request, "okrs/tree.html#tree-body", context)
        return push_url(response, request.get_full_path())
    return render(request, "okrs/tree.html", context)


def _tree_context(request: AuthedRequest, cycle: Any, filters: Filters, view: str) -> dict:
    today = _today()
    forest = tree.load_cycle(cycle, today)
    params = _params(request, filters, cycle)
    keep = {"cycle": params.get("cycle", ""), "view": "org" if view == "org" else ""}
    context: dict[str, Any] = {
        "functions": sorted(
            (u for u in forest.units.values() if u.kind == FUNCTION), key=lambda u: u.name
        ),
        "function_name": (
            forest.units[filters.function_id].name if filters.function_id in forest.units else ""
        ),
        "params": params,
        "alignment_url": "?" + urlencode(params),
        "org_url": "?" + urlencode({**params, "view": "org"}),
        # Filters go; the quarter and the arrangement stay.
        "clear_url": "?" + urlencode({k: v for k, v in keep.items() if v}),
        "unaligned_filter_url": "?"
        + urlencode({k: v for k, v in params.items() if k == "cycle"} | {"flag": tree.UNALIGNED}),
    }
    matches = _matcher(forest, filters, cycle_id=cycle.pk)
    if view == "alignment":
        context.update(_alignment(forest, matches, params, today, cycle.pk))
    else:
        context.update(_organisation(forest, matches, params, today))
    return context


def _alignment(
    forest: Forest, matches: Any, params: dict[str, str], today: date, cycle_id: int
) -> dict:
    """Company objectives, each with its key results, what blocks it and its first
    contributors (by alignment link); the bucket of objectives aligned to nothing."""
    visibility = Visibility(forest, matches)
    objectives = forest.objectives
    roots = sorted(
        (o for o in objectives.values() if o.unit_kind == COMPANY and visibility.shows(o.id)),
        key=lambda o: (o.order, o.id),
    )
    level2 = {r.id: [k for k in forest.kids(r.id) if visibility.shows(k)] for r in roots}
    # Full key results for what is shown; every direct contributor's progress (numbers only)
    # for the line that sets it beside the company objective's own.
    shown = [k for kids in level2.values() for k in kids[:FIRST_PAINT_CHILDREN]]
    _attach(forest, [r.id for r in roots] + shown, today)
    roots = [objectives[r.id] for r in roots]  # the request's own copies, now filled in
    # Named by a subquery, not a list of ids: a few hundred parameters cost more to send
    # than the database needs to find them.
    progress_of = tree.load_progress(tree.company_contributors_sql(), [cycle_id])

    def progress(k: int) -> float | None:
        o = objectives[k]
        return o.progress if o.rollup is not None else progress_of.get(k)

    nodes = []
    for root in roots:
        kids = level2[root.id]
        below = visibility.below(root.id)
        node = node_view(
            forest,
            root.id,
            parent_id=None,
            visibility=visibility,
            params=params,
            below_counts=below,
        )
        node.key_results = [key_result_view(kr) for kr in root.key_results or []]
        node.children = [
            node_view(
                forest,
                k,
                parent_id=root.id,
                visibility=visibility,
                params=params,
                below_counts=visibility.below(k),
            )
            for k in kids[:FIRST_PAINT_CHILDREN]
        ]
        if len(kids) > FIRST_PAINT_CHILDREN:
            rest = len(kids) - FIRST_PAINT_CHILDREN
            node.more_url = children_url(
                root.id, params, offset=FIRST_PAINT_CHILDREN, only="children"
            )
            node.more_text = f"Show {plural(rest, 'more contributor')}"
        node.contributors_text = contributors_text(map(progress, kids))
        blocker_rows = list(forest.blockers.get(root.id, [])) + visibility.subtrees.blockers_below(
            root.id
        )
        node.blockers = blocker_views(forest, blocker_rows[:BLOCKERS_SHOWN])
        if len(blocker_rows) > BLOCKERS_SHOWN:
            node.blockers_more_text = plural(len(blocker_rows) - BLOCKERS_SHOWN, "more blocker")
            node.blockers_url = "?" + urlencode({**params, "flag": tree.BLOCKED})
        nodes.append(node)

    unaligned = [
        o.id
        for o in objectives.values()
        if not o.parent_count and o.unit_kind != COMPANY and visibility.shows(o.id)
    ]
    subtrees = visibility.subtrees
    glance = Glance(
        company=len(roots),
        at_risk=sum(1 for r in roots if r.at_risk),
        objectives=len(objectives),
        blocked=sum(subtrees.blocked_of.values()),
        stale=sum(subtrees.stale_of.values()),
        unaligned=len(unaligned),
    )
    return {
        "nodes": nodes,
        "glance": glance,
        "unaligned_count": len(unaligned),
        "unaligned_url": reverse("okrs:tree-unaligned") + "?" + urlencode(params),
    }


def _unit_view(
    unit: tree.UnitRow,
    totals: dict[int, tree.UnitTotals],
    sub_units: dict[int | None, list[int]],
    params: dict[str, str],
    matches: Any,
) -> UnitView:
    t = totals.get(unit.id, tree.UnitTotals())
    below = t.objectives - t.own_objectives
    n_units = _count_below(unit.id, sub_units)
    bits = []
    if n_units:
        bits.append(plural(n_units, "team") if unit.kind != COMPANY else plural(n_units, "unit"))
    if below:
        bits.append(f"{plural(below, 'objective')} below")
    if t.blocked:
        bits.append(plural(t.blocked, "open blocker"))
    if t.stale:
        bits.append(plural(t.stale, "stale check-in"))
    if matches is not None:
        bits.append(plural(t.matches, "match", "matches"))
    return UnitView(
        id=unit.id,
        url=reverse("okrs:unit-detail", args=[unit.id]),
        name=unit.name,
        kind=unit.kind,
        kind_label=unit.kind.capitalize(),
        objectives_text=plural(t.own_objectives, "objective"),
        over_five=t.own_objectives > tree.MAX_OBJECTIVES,
        below_text=" · ".join(bits),
        children_url=reverse("okrs:tree-unit", args=[unit.id]) + "?" + urlencode(params),
        context_only=matches is not None and t.matches == 0,
    )


def _count_below(unit_id: int, sub_units: dict[int | None, list[int]]) -> int:
    count, stack = 0, list(sub_units.get(unit_id, []))
    while stack:
        node = stack.pop()
        count += 1
        stack.extend(sub_units.get(node, []))
    return count


def _sub_units(units: dict[int, tree.UnitRow]) -> dict[int | None, list[int]]:
    found: dict[int | None, list[int]] = {}
    for unit in sorted(units.values(), key=lambda u: u.name.casefold()):
        found.setdefault(unit.parent_id, []).append(unit.id)
    return found


def _unit_objective_nodes(
    forest: Forest,
    unit_id: int,
    matches: Any,
    params: dict[str, str],
) -> list[int]:
    return sorted(
        (
            o.id
            for o in forest.objectives.values()
            if o.unit_id == unit_id and (matches is None or matches(o.id))
        ),
        key=lambda i: (forest.objectives[i].order, i),
    )


def _organisation(forest: Forest, matches: Any, params: dict[str, str], today: date) -> dict:
    """The company unit open with its objectives, and its functions closed, each with what
    it holds; a function opens into its objectives and teams (`tree_unit`)."""
    units = forest.units
    totals = tree.unit_totals(forest, matches)
    sub_units = _sub_units(units)
    company = next((u for u in units.values() if u.parent_id is None), None)
    if company is None:
        return {"company_unit": None}
    function_units = (
        tree.units_under(units, int(params["function"])) if "function" in params else None
    )
    own = _unit_objective_nodes(forest, company.id, matches, params)
    _attach(forest, own, today)
    visibility = Visibility(forest, None)
    view = _unit_view(company, totals, sub_units, params, matches)
    view.objectives = [
        node_view(forest, i, parent_id=None, visibility=visibility, params=params) for i in own
    ]
    view.units = [
        _unit_view(units[u], totals, sub_units, params, matches)
        for u in sub_units.get(company.id, [])
        if (function_units is None or u in function_units)
        and (matches is None or totals.get(u, tree.UnitTotals()).matches)
    ]
    return {"company_unit": view}


@require_GET
@paused_gc
@remembers_fragment
def tree_children(request: AuthedRequest, pk: int) -> HttpResponse:
    """An objective opened in the tree: its key results and what contributes to it (htmx
    fragment; with ?only=children and ?offset=, the next contributors only).

    Queries: session, user, the data version (`tree_memo`), the subtree (one recursive query,
    with each objective's figures), the key results shown: 5; a text search or a function
    filter adds one each. Opened again with nothing changed: 3, and no rendering.
    """
    filters = Filters.from_query(request.GET)
    offset = _offset(request)
    today = _today()
    # Deeper rows' details only when a filter looks at them (more than five in a unit).
    forest = tree.load_subtree(pk, today, everyone=filters.flag == tree.OVER_FIVE)
    if forest is None:
        raise Http404("No such objective.")
    kids = forest.kids(pk)
    matches = _matcher(forest, filters, among=list(forest.objectives))
    visibility = Visibility(forest, matches)
    shown = [k for k in kids if visibility.shows(k)]
    page = shown[offset : offset + PAGE_SIZE]
    # Full key results for what is printed; the database's averages serve the rest.
    _attach(forest, [pk, *page] if offset == 0 else page, today)
    params = filters.as_params()
    if request.GET.get("cycle", "").isdigit():
        params["cycle"] = request.GET["cycle"]
    nodes = [
        node_view(
            forest,
            k,
            parent_id=pk,
            visibility=visibility,
            params=params,
            below_counts=visibility.below(k),
        )
        for k in page
    ]
    rest = len(shown) - offset - len(page)
    context = {
        "only_children": request.GET.get("only") == "children" or offset > 0,
        "key_results": [key_result_view(kr) for kr in forest.objectives[pk].key_results or []]
        if offset == 0
        else [],
        "nodes": nodes,
        "objective_id": pk,
        "nodes_heading": "What contributes to it",
        "objective_url": reverse("okrs:objective-detail", args=[pk]),
        "hidden": len(kids) - len(shown),
        "contributors_text": contributors_text(forest.objectives[k].progress for k in shown)
        if offset == 0
        else "",
        "more_url": children_url(pk, params, offset=offset + len(page), only="children")
        if rest > 0
        else "",
        "more_text": f"Show {plural(rest, 'more contributor')}",
        "filters": filters,
    }
    return render(request, "okrs/_tree_children.html", context)


@require_GET
@paused_gc
def tree_unaligned(request: AuthedRequest) -> HttpResponse:
    """The bucket: objectives below company level aligned to nothing (htmx fragment).

    Queries: session, user, cycle (with the data version), `tree.load_cycle` (3), their key
    results: 7; once remembered (`tree_memo`), 3.
    """
    cycle, version, _ = _cycle_and_version(request)
    filters = Filters.from_query(request.GET)
    offset = _offset(request)
    nodes: list[NodeView] = []
    rest = 0
    params: dict[str, str] = {}
    if cycle is not None:
        with remembering(version):
            nodes, rest, params = _unaligned(request, cycle, filters, offset)
    more_url = ""
    if rest > 0:
        more_url = (
            reverse("okrs:tree-unaligned")
            + "?"
            + urlencode({**params, "offset": offset + PAGE_SIZE})
        )
    return render(
        request,
        "okrs/_tree_children.html",
        {
            "only_children": offset > 0,
            "key_results": None,
            "nodes": nodes,
            "more_url": more_url,
            "more_text": f"Show {plural(rest, 'more')}",
            # Without JavaScript, "show more" opens the tree filtered to this bucket.
            "objective_url": reverse("okrs:tree")
            + "?"
            + urlencode({**params, "flag": tree.UNALIGNED}),
            "empty_text": "Every objective below company level contributes to another.",
        },
    )


def _unaligned(
    request: AuthedRequest, cycle: Any, filters: Filters, offset: int
) -> tuple[list[NodeView], int, dict[str, str]]:
    """One page of the bucket's nodes, how many are left after it, and the query string."""
    today = _today()
    forest = tree.load_cycle(cycle, today)
    params = _params(request, filters, cycle)
    matches = _matcher(forest, filters, cycle_id=cycle.pk)
    visibility = Visibility(forest, matches)
    roots = sorted(
        (
            o
            for o in forest.objectives.values()
            if o.unit_kind != COMPANY and o.parent_count == 0 and visibility.shows(o.id)
        ),
        key=lambda o: (tree.KIND_RANK.get(o.unit_kind, 3), o.unit_name.casefold(), o.order),
    )
    page = [o.id for o in roots[offset : offset + PAGE_SIZE]]
    _attach(forest, page, today)
    nodes = [
        node_view(
            forest,
            i,
            parent_id=None,
            visibility=visibility,
            params=params,
            below_counts=visibility.below(i),
        )
        for i in page
    ]
    rest = len(roots) - offset - len(page)
    return nodes, rest, params


@require_GET
@paused_gc
def tree_unit(request: AuthedRequest, pk: int) -> HttpResponse:
    """A unit opened in the organisation view: its objectives and the units within it, each
    with what it holds (htmx fragment).

    Queries: session, user, cycle (with the data version), units, the objectives of the unit
    and all units below it (with their flag counts), the unit's own objectives' key results:
    6; once remembered (`tree_memo`), 3.
    """
    cycle, version, _ = _cycle_and_version(request)
    filters = Filters.from_query(request.GET)
    with remembering(version):
        return _tree_unit(request, pk, cycle, filters)


def _tree_unit(request: AuthedRequest, pk: int, cycle: Any, filters: Filters) -> HttpResponse:
    units = tree.load_units()
    if pk not in units:
        raise Http404("No such unit.")
    today = _today()
    nodes: list[NodeView] = []
    unit_views: list[UnitView] = []
    if cycle is not None:
        params = _params(request, filters, cycle)
        within = tree.units_under(units, pk)
        forest = tree.load_unit_objectives(cycle, within, today, units)
        matches = _matcher(forest, filters, among=list(forest.objectives))
        totals = tree.unit_totals(forest, matches)
        sub_units = _sub_units(units)
        own = _unit_objective_nodes(forest, pk, matches, params)
        _attach(forest, own, today)
        visibility = Visibility(forest, None)
        nodes = [
            node_view(forest, i, parent_id=None, visibility=visibility, params=params) for i in own
        ]
        unit_views = [
            _unit_view(units[u], totals, sub_units, params, matches)
            for u in sub_units.get(pk, [])
            if matches is None or totals.get(u, tree.UnitTotals()).matches
        ]
    return render(
        request,
        "okrs/_tree_unit.html",
        {"nodes": nodes, "units": unit_views, "unit": units[pk], "filters": filters},
    )


@require_GET
@paused_gc
@remembers
def tree_map_svg(request: AuthedRequest, pk: int) -> HttpResponse:
    """An alignment map of one objective and everything below it, as an SVG file to download.

    Queries: session, user, the data version (`tree_memo`), the subtree (one recursive query,
    with each objective's figures) and nothing else: 4; once remembered, 3.
    """
    from okrs import tree_svg

    today = _today()
    forest = tree.load_subtree(pk, today, everyone=True)
    if forest is None:
        raise Http404("No such objective.")
    root = forest.objectives[pk]
    svg = tree_svg.alignment_map(forest, pk)
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    filename = tree_svg.filename(root.title, pk)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_http_methods(["GET", "POST"])
def objective_sufficiency(request: AuthedRequest, pk: int) -> HttpResponse:
    """The parent's owner (or its unit's leads) answers: if everything that contributes were
    achieved, would this objective's key results reach their targets?

    GET shows the form (the page without JavaScript; the fragment for htmx). A valid POST
    saves through the service: htmx gets the answer fragment back, a plain POST is
    redirected to the objective's page. An invalid one shows the form again with the message
    beside the field.
    """
    objective = get_object_or_404(Objective.objects.select_related("unit", "owner"), pk=pk)
    if not request.user.has_perm("okrs.answer_sufficiency", objective):
        raise PermissionDenied("Only the objective's owner or its unit's leads answer for it.")
    saved = False
    if request.method == "POST":
        form = SufficiencyForm(request.POST)
        if form.is_valid():
            try:
                services.objective_answer_sufficiency(
                    objective=objective,
                    answer=form.cleaned_data["answer"],
                    note=form.cleaned_data["note"],
                    by=request.user,
                )
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    target = {"sufficiency": "answer", "sufficiency_note": "note"}.get(name)
                    for error in errors:
                        form.add_error(target, error)
            else:
                if not request.htmx:
                    messages.success(request, "Your answer is saved.")
                    return redirect(reverse("okrs:objective-detail", args=[pk]) + "#sufficiency")
                saved = True
                form = sufficiency_form(objective)
    else:
        form = sufficiency_form(objective)
    context = {"objective": objective, "form": form, "can_answer": True, "saved": saved}
    if request.htmx:
        return render(request, "okrs/_sufficiency.html", context)
    return render(request, "okrs/objective_sufficiency.html", context)


def sufficiency_form(objective: Objective) -> SufficiencyForm:
    return SufficiencyForm(
        initial={"answer": objective.sufficiency, "note": objective.sufficiency_note}
    )
