"""The floors of bench/tree.py: each page's rows fetched by one raw SQL statement and printed
with "".join and escape(), served behind the same middleware as the page
(../shared/reference/performance-reliability.md, 1.3). PostgreSQL only.

- `first_paint`: everything the tree's first paint shows (company objectives, their key
  results, their first contributors with their own progress and what lies below each, the
  blockers below each company objective, the counts at the top), computed by the database in
  one statement.
- `first_paint_reads`: a second, lower reference: the page's own whole-cycle reads as raw
  statements, then the displayed rows printed with no assembly at all. It cannot show what
  the page shows (nothing below a node is counted), so it bounds the page from below.
- `children`: one objective opened: its key results and its contributors, each with its own
  progress and what lies below it.
- `alignment_map`: the SVG map of one objective and everything below it, nodes placed by
  depth and order, no layout work.
"""

from __future__ import annotations

from html import escape

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from okrs.tree import gc_paused

FIRST = 7  # contributors a company objective shows on first paint (FIRST_PAINT_CHILDREN)

# Progress of one key result (KeyResult.progress()) in SQL, over "k".
PROGRESS = """CASE
    WHEN k.target IS NULL OR coalesce(k.current_value, k.baseline_value) IS NULL THEN NULL
    WHEN k.direction = 'stay_above'
      THEN CASE WHEN coalesce(k.current_value, k.baseline_value) >= k.target THEN 1 ELSE 0 END
    WHEN k.direction = 'stay_below'
      THEN CASE WHEN coalesce(k.current_value, k.baseline_value) <= k.target THEN 1 ELSE 0 END
    WHEN k.baseline_value IS NULL THEN NULL
    WHEN k.direction = 'decrease' THEN CASE WHEN k.target >= k.baseline_value
      THEN CASE WHEN coalesce(k.current_value, k.baseline_value) <= k.baseline_value
           THEN 1 ELSE 0 END
      ELSE least(1, greatest(0, (k.baseline_value - coalesce(k.current_value, k.baseline_value))
                                / (k.baseline_value - k.target))) END
    ELSE CASE WHEN k.target <= k.baseline_value
      THEN CASE WHEN coalesce(k.current_value, k.baseline_value) >= k.baseline_value
           THEN 1 ELSE 0 END
      ELSE least(1, greatest(0, (coalesce(k.current_value, k.baseline_value) - k.baseline_value)
                                / (k.target - k.baseline_value))) END
  END"""

FIRST_PAINT_SQL = f"""
WITH RECURSIVE
cyc AS MATERIALIZED (
  SELECT o.id, o.unit_id, o.title, o."order" AS ord, o.kind, o.status,
         u.name AS unit_name, u.kind AS unit_kind
  FROM okrs_objective o JOIN accounts_orgunit u ON u.id = o.unit_id WHERE o.cycle_id = %(cycle)s),
lnk AS MATERIALIZED (
  SELECT l.id, l.parent_id, l.child_id, l.expected_contribution FROM okrs_alignmentlink l
  WHERE l.child_id IN (SELECT id FROM cyc)),
fl AS MATERIALIZED (
  SELECT k.objective_id,
         sum(CASE WHEN k.check_in_due_on < %(today)s THEN 1 ELSE 0 END) AS stale,
         sum(CASE WHEN k.blocker <> '' THEN 1 ELSE 0 END) AS blocked
  FROM okrs_keyresult k
  WHERE k.objective_id IN (SELECT id FROM cyc)
    AND (k.blocker <> '' OR k.check_in_due_on < %(today)s)
  GROUP BY k.objective_id),
roots AS MATERIALIZED (SELECT id FROM cyc WHERE unit_kind = 'company'),
lvl2 AS MATERIALIZED (
  SELECT l.parent_id AS root, l.child_id AS id,
         row_number() OVER (PARTITION BY l.parent_id ORDER BY
           CASE c.unit_kind WHEN 'function' THEN 1 ELSE 2 END, lower(c.unit_name), c.ord, c.id) rn
  FROM lnk l JOIN roots r ON r.id = l.parent_id JOIN cyc c ON c.id = l.child_id),
shown AS MATERIALIZED (
  SELECT id, NULL::bigint AS parent FROM roots
  UNION ALL SELECT id, root FROM lvl2 WHERE rn <= {FIRST}),
tops AS MATERIALIZED (SELECT DISTINCT id FROM shown),
pairs(top, node) AS (
  SELECT t.id, c.child_id FROM tops t CROSS JOIN LATERAL (
    SELECT l.child_id FROM okrs_alignmentlink l WHERE l.parent_id = t.id OFFSET 0) c
  UNION
  SELECT p.top, c.child_id FROM pairs p CROSS JOIN LATERAL (
    SELECT l.child_id FROM okrs_alignmentlink l WHERE l.parent_id = p.node OFFSET 0) c),
below AS MATERIALIZED (
  SELECT p.top, count(*) AS n, count(DISTINCT c.unit_id) AS units,
         coalesce(sum(f.stale), 0) AS stale, coalesce(sum(f.blocked), 0) AS blocked
  FROM pairs p JOIN cyc c ON c.id = p.node LEFT JOIN fl f ON f.objective_id = p.node
  GROUP BY p.top),
prog AS MATERIALIZED (
  SELECT k.objective_id, avg(k.confidence) AS conf, avg({PROGRESS}) AS progress
  FROM okrs_keyresult k
  WHERE k.objective_id IN (SELECT id FROM lvl2 UNION SELECT id FROM roots)
  GROUP BY k.objective_id)
SELECT 'node', s.id, s.parent, c.title, c.unit_name, c.kind, c.status, pr.progress::float8,
       pr.conf::float8, b.n, b.units, b.stale, b.blocked, coalesce(f.stale, 0),
       coalesce(f.blocked, 0), l.expected_contribution
FROM shown s JOIN cyc c ON c.id = s.id LEFT JOIN prog pr ON pr.objective_id = s.id
LEFT JOIN below b ON b.top = s.id LEFT JOIN fl f ON f.objective_id = s.id
LEFT JOIN lnk l ON l.child_id = s.id AND l.parent_id = s.parent
UNION ALL
SELECT 'kr', k.id, k.objective_id, k.statement, k.unit, k.direction, k.blocker,
       k.current_value::float8, k.target::float8, k.confidence, NULL, NULL, NULL, NULL, NULL, NULL
FROM okrs_keyresult k WHERE k.objective_id IN (SELECT id FROM roots)
UNION ALL
SELECT * FROM (
  SELECT 'blocker', k.id, p.top, k.statement, c.unit_name, NULL, k.blocker, NULL::float8,
         NULL::float8, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint,
         NULL::bigint, NULL
  FROM pairs p JOIN roots r ON r.id = p.top
  JOIN okrs_keyresult k ON k.objective_id = p.node AND k.blocker <> ''
  JOIN cyc c ON c.id = p.node) bl
UNION ALL
SELECT 'glance', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       (SELECT count(*) FROM cyc), (SELECT coalesce(sum(stale), 0) FROM fl),
       (SELECT coalesce(sum(blocked), 0) FROM fl),
       (SELECT count(*) FROM cyc c WHERE c.unit_kind <> 'company'
          AND NOT EXISTS (SELECT 1 FROM lnk l WHERE l.child_id = c.id)),
       NULL, NULL, NULL
"""


def _rows(sql: str, params: dict | list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{round(value * 100)}%"


def _page(body: str) -> HttpResponse:
    return HttpResponse(f"<!doctype html><html><body><ul>{body}</ul></body></html>")


def hello(request: HttpRequest) -> HttpResponse:
    """The framework's own cost: a signed-in request through the same middleware."""
    return HttpResponse(b"ok")


def _node(r: tuple) -> str:
    return (
        f'<li><a href="/objectives/{r[1]}/">{escape(r[3])}</a> {escape(r[4])} {r[5]} {r[6]} '
        f"{_pct(r[7])} {'' if r[8] is None else round(r[8])} "
        f"{r[9] or 0} below in {r[10] or 0} units, {r[12] or 0} blocked, {r[11] or 0} stale; "
        f"own {r[13]} stale {r[14]} blocked {escape(r[15] or '')}</li>"
    )


def first_paint(request: HttpRequest) -> HttpResponse:
    with gc_paused():
        cycle = request.GET["cycle"]
        rows = _rows(FIRST_PAINT_SQL, {"cycle": cycle, "today": timezone.localdate()})
        out = []
        shown_blockers: dict[int, int] = {}
        for r in rows:
            if r[0] == "node":
                out.append(_node(r))
            elif r[0] == "kr":
                out.append(
                    f"<li>{escape(r[3])} now {r[7]} {escape(r[4])} target {r[8]} {r[9]} "
                    f"{escape(r[6])}</li>"
                )
            elif r[0] == "blocker":
                seen = shown_blockers.get(r[2], 0)
                shown_blockers[r[2]] = seen + 1
                if seen < 5:
                    out.append(f"<li>{escape(r[3])} ({escape(r[4])}): {escape(r[6])}</li>")
            else:
                out.append(f"<li>{r[9]} objectives, {r[11]} blocked, {r[10]} stale, {r[12]}</li>")
        return _page("".join(out))


def first_paint_reads(request: HttpRequest) -> HttpResponse:
    """The page's whole-cycle reads as raw statements, and the shown rows printed: the
    least any design that reads the whole cycle can cost."""
    with gc_paused():
        cycle, today = request.GET["cycle"], timezone.localdate()
        objectives = _rows(
            "SELECT o.id, o.unit_id, o.title, o.kind, o.status, o.sufficiency, o.sufficiency_note"
            " FROM okrs_objective o WHERE o.cycle_id = %s",
            [cycle],
        )
        links = _rows(
            "SELECT l.child_id, l.parent_id, l.expected_contribution FROM okrs_alignmentlink l "
            "JOIN okrs_objective o ON o.id = l.child_id WHERE o.cycle_id = %s ORDER BY l.id",
            [cycle],
        )
        units = {
            r[0]: r for r in _rows("SELECT id, parent_id, name, kind FROM accounts_orgunit", [])
        }
        _rows(
            """SELECT k.objective_id, k.check_in_due_on < %s, k.baseline_value IS NULL,
                      CASE WHEN k.blocker <> '' THEN k.statement END, k.blocker
               FROM okrs_keyresult k JOIN okrs_objective o ON o.id = k.objective_id
               WHERE o.cycle_id = %s AND (k.blocker <> '' OR k.check_in_due_on < %s
                 OR k.baseline_value IS NULL)""",
            [today, cycle, today],
        )
        by_id = {r[0]: r for r in objectives}
        roots = [r for r in objectives if units[r[1]][3] == "company"]
        kids: dict[int, list[int]] = {}
        for child, parent, _ in links:
            kids.setdefault(parent, []).append(child)
        shown = [r[0] for r in roots] + [k for r in roots for k in kids.get(r[0], [])[:FIRST]]
        key_results = _rows(
            "SELECT objective_id, statement, current_value, target, confidence FROM "
            "okrs_keyresult WHERE objective_id = ANY(%s)",
            [shown],
        )
        out = [
            f'<li><a href="/objectives/{i}/">{escape(by_id[i][2])}</a> '
            f"{escape(units[by_id[i][1]][2])} {by_id[i][3]} {by_id[i][4]}</li>"
            for i in shown
        ]
        out += [f"<li>{escape(k[1])} {k[2]} {k[3]} {k[4]}</li>" for k in key_results]
        return _page("".join(out))


CHILDREN_SQL = f"""
WITH RECURSIVE
kids AS MATERIALIZED (
  SELECT l.child_id AS id, l.expected_contribution FROM okrs_alignmentlink l
  WHERE l.parent_id = %(pk)s),
pairs(top, node) AS (
  SELECT k.id, c.child_id FROM kids k CROSS JOIN LATERAL (
    SELECT l.child_id FROM okrs_alignmentlink l WHERE l.parent_id = k.id OFFSET 0) c
  UNION
  SELECT p.top, c.child_id FROM pairs p CROSS JOIN LATERAL (
    SELECT l.child_id FROM okrs_alignmentlink l WHERE l.parent_id = p.node OFFSET 0) c),
fl AS MATERIALIZED (
  SELECT k.objective_id, avg(k.confidence) AS conf, avg({PROGRESS}) AS progress,
         sum(CASE WHEN k.check_in_due_on < %(today)s THEN 1 ELSE 0 END) AS stale,
         sum(CASE WHEN k.blocker <> '' THEN 1 ELSE 0 END) AS blocked
  FROM okrs_keyresult k
  WHERE k.objective_id IN (SELECT id FROM kids UNION SELECT node FROM pairs)
  GROUP BY k.objective_id),
below AS MATERIALIZED (
  SELECT p.top, count(*) AS n, coalesce(sum(f.stale), 0) AS stale,
         coalesce(sum(f.blocked), 0) AS blocked
  FROM pairs p LEFT JOIN fl f ON f.objective_id = p.node GROUP BY p.top)
SELECT 'node', o.id, o.title, u.name, o.kind, o.status, f.progress::float8, f.conf::float8,
       coalesce(f.stale, 0), coalesce(f.blocked, 0), b.n, b.stale, b.blocked,
       k.expected_contribution
FROM kids k JOIN okrs_objective o ON o.id = k.id JOIN accounts_orgunit u ON u.id = o.unit_id
LEFT JOIN fl f ON f.objective_id = o.id LEFT JOIN below b ON b.top = o.id
UNION ALL
SELECT 'kr', k.id, k.statement, k.unit, k.direction, k.blocker, k.current_value::float8,
       k.target::float8, k.confidence, NULL, NULL, NULL, NULL, NULL
FROM okrs_keyresult k WHERE k.objective_id = %(pk)s
"""


def children(request: HttpRequest, pk: int) -> HttpResponse:
    with gc_paused():
        rows = _rows(CHILDREN_SQL, {"pk": pk, "today": timezone.localdate()})
        out = []
        for r in rows:
            if r[0] == "node":
                out.append(
                    f'<li><a href="/objectives/{r[1]}/">{escape(r[2])}</a> {escape(r[3])} '
                    f"{r[4]} {r[5]} {_pct(r[6])} {'' if r[7] is None else round(r[7])} "
                    f"{r[8]} stale {r[9]} blocked; {r[10] or 0} below, {r[12] or 0} blocked, "
                    f"{r[11] or 0} stale {escape(r[13] or '')}</li>"
                )
            else:
                out.append(f"<li>{escape(r[2])} now {r[6]} target {r[7]} {r[8]}</li>")
        return HttpResponse("".join(out))


MAP_SQL = f"""
WITH RECURSIVE
walk(node, depth) AS (
  SELECT %(pk)s::bigint, 0
  UNION
  SELECT c.child_id, w.depth + 1 FROM walk w CROSS JOIN LATERAL (
    SELECT l.child_id FROM okrs_alignmentlink l WHERE l.parent_id = w.node OFFSET 0) c),
nodes AS MATERIALIZED (SELECT node, max(depth) AS depth FROM walk GROUP BY node),
prog AS MATERIALIZED (
  SELECT k.objective_id, avg({PROGRESS}) AS progress FROM okrs_keyresult k
  WHERE k.objective_id IN (SELECT node FROM nodes) GROUP BY k.objective_id)
SELECT 'node', n.node, n.depth, row_number() OVER (PARTITION BY n.depth ORDER BY o.title),
       o.title, u.name, p.progress::float8
FROM nodes n JOIN okrs_objective o ON o.id = n.node JOIN accounts_orgunit u ON u.id = o.unit_id
LEFT JOIN prog p ON p.objective_id = n.node
UNION ALL
SELECT 'edge', l.parent_id, l.child_id, NULL, NULL, NULL, NULL
FROM okrs_alignmentlink l WHERE l.parent_id IN (SELECT node FROM nodes)
"""


def alignment_map(request: HttpRequest, pk: int) -> HttpResponse:
    with gc_paused():
        rows = _rows(MAP_SQL, {"pk": pk})
        at: dict[int, tuple[int, int]] = {}
        boxes = []
        for r in rows:
            if r[0] == "node":
                x, y = 24 + r[2] * 296, 64 + (r[3] - 1) * 106
                at[r[1]] = (x, y)
                boxes.append(
                    f'<g><rect x="{x}" y="{y}" width="232" height="92"/>'
                    f'<text x="{x + 10}" y="{y + 18}">{escape(r[4])}</text>'
                    f'<text x="{x + 10}" y="{y + 70}">{escape(r[5])} {_pct(r[6])}</text></g>'
                )
        edges = [
            f'<path d="M{at[r[1]][0] + 232},{at[r[1]][1] + 46} L{at[r[2]][0]},{at[r[2]][1] + 46}"/>'
            for r in rows
            if r[0] == "edge" and r[1] in at and r[2] in at
        ]
        svg = (
            '<svg xmlns="http://www.w3.org/2000/svg">' + "".join(edges) + "".join(boxes) + "</svg>"
        )
        response = HttpResponse(svg, content_type="image/svg+xml")
        response["Content-Disposition"] = 'attachment; filename="map.svg"'
        return response
