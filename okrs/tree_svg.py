"""The alignment map: one objective and everything below it as an SVG picture, for a meeting.

A small layered layout, computed here so the file stands alone (no script, no external font or
stylesheet): each objective sits in the column of its longest path from the root, so every
link runs left to right; within a column, objectives are ordered by where their parents sit
(the barycentre heuristic), which keeps most links from crossing. An objective that
contributes to several parents appears once, with a link to each. All text is escaped.
"""

from __future__ import annotations

from datetime import date
from html import escape

from django.utils.text import slugify

from okrs.tree import Forest
from okrs.tree_present import percent

BOX_W, BOX_H = 232, 92
GAP_X, GAP_Y = 64, 14
MARGIN, HEADER = 24, 64
TITLE_CHARS, TITLE_LINES = 32, 2
FACT_CHARS = 38
INK, MUTED, LINE, NAVY, RISK = "#1c2430", "#4b5563", "#8a94a3", "#14365d", "#8a1c1c"


def filename(title: str, objective_id: int) -> str:
    slug = slugify(title)[:60].strip("-") or f"objective-{objective_id}"
    return f"{slug}-alignment-map.svg"


def _title_lines(title: str) -> list[str]:
    """Greedy word wrap to TITLE_CHARS, at most TITLE_LINES lines, the last one cut with an
    ellipsis when the title is longer. (textwrap does the same at five times the cost, which
    is most of a large map's time.)"""
    lines: list[str] = []
    line = ""
    for word in title.split():
        while len(word) > TITLE_CHARS:  # a word longer than a line is broken
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:TITLE_CHARS])
            word = word[TITLE_CHARS:]
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= TITLE_CHARS:
            line = f"{line} {word}"
        else:
            lines.append(line)
            line = word
    if line or not lines:
        lines.append(line)
    if len(lines) > TITLE_LINES:
        lines = lines[:TITLE_LINES]
        lines[-1] = lines[-1][: TITLE_CHARS - 1].rstrip() + "…"
    return lines


def layout(forest: Forest, root: int) -> dict[int, tuple[int, int]]:
    """Top-left corner of each objective's box."""
    depth = forest.depths(root)
    columns: dict[int, list[int]] = {}
    for node, d in depth.items():
        columns.setdefault(d, []).append(node)
    parents: dict[int, list[int]] = {}
    for parent, kids in forest.children.items():
        for kid in kids:
            if kid in depth and parent in depth:
                parents.setdefault(kid, []).append(parent)
    position: dict[int, float] = {root: 0.0}
    for d in sorted(columns):
        if d == 0:
            continue
        column = columns[d]

        def barycentre(node: int) -> tuple[float, str, int]:
            placed = [position[p] for p in parents.get(node, []) if p in position]
            o = forest.objectives[node]
            return (sum(placed) / len(placed) if placed else 0.0, o.unit_name.casefold(), node)

        column.sort(key=barycentre)
        for index, node in enumerate(column):
            position[node] = float(index)
    tallest = max(len(c) for c in columns.values())
    corners = {}
    for d, column in columns.items():
        offset = (tallest - len(column)) * (BOX_H + GAP_Y) // 2
        for index, node in enumerate(column):
            corners[node] = (
                MARGIN + d * (BOX_W + GAP_X),
                HEADER + offset + index * (BOX_H + GAP_Y),
            )
    return corners


def _box(forest: Forest, node: int, x: int, y: int, is_root: bool) -> str:
    o = forest.objectives[node]
    progress = o.progress
    at_risk = o.at_risk
    border = RISK if at_risk else (NAVY if is_root else LINE)
    parts = [
        f'<g class="box"><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" '
        f'rx="6" fill="#ffffff" stroke="{border}" stroke-width="{2 if at_risk or is_root else 1}"/>'
    ]
    for i, line in enumerate(_title_lines(o.title)):
        parts.append(
            f'<text x="{x + 10}" y="{y + 18 + i * 15}" font-size="12.5" '
            f'font-weight="600" fill="{INK}">{escape(line)}</text>'
        )
    unit = o.unit_name
    if len(unit) > FACT_CHARS:  # the box is fixed: a long unit name must not spill out
        unit = unit[: FACT_CHARS - 1].rstrip() + "…"
    facts = []
    if o.mean_confidence is not None:
        facts.append(f"confidence {percent(o.mean_confidence / 100)}")
    if o.blocked:
        facts.append(f"{o.blocked} blocked")
    if o.stale:
        facts.append(f"{o.stale} stale")
    parts.append(
        f'<text x="{x + 10}" y="{y + 52}" font-size="11" fill="{MUTED}">{escape(unit)}</text>'
        f'<text x="{x + 10}" y="{y + 67}" font-size="11" fill="{INK}">'
        f"{' · '.join(facts)}</text>"
    )
    bar_w = BOX_W - 70
    parts.append(
        f'<rect x="{x + 10}" y="{y + BOX_H - 14}" width="{bar_w}" height="6" '
        f'rx="2" fill="#e3e7ed"/>'
    )
    if progress is not None:
        parts.append(
            f'<rect x="{x + 10}" y="{y + BOX_H - 14}" width="{bar_w * progress:.1f}" '
            f'height="6" rx="2" fill="{NAVY}"/>'
        )
    parts.append(
        f'<text x="{x + 20 + bar_w}" y="{y + BOX_H - 8}" font-size="11" '
        f'fill="{INK}">{percent(progress) if progress is not None else "no data"}</text></g>'
    )
    return "".join(parts)


def alignment_map(forest: Forest, root: int, today: date | None = None) -> str:
    """The SVG document for `root` and everything below it, from `tree.load_subtree`."""
    corners = layout(forest, root)
    width = max(x for x, _ in corners.values()) + BOX_W + MARGIN
    height = max(y for _, y in corners.values()) + BOX_H + MARGIN
    width = max(width, 520)
    root_row = forest.objectives[root]
    others = len(corners) - 1
    when = (today or forest.today).isoformat()
    title = f"Alignment map: {root_row.title}"
    desc = (
        f"{root_row.title} ({root_row.unit_name}) and the {others} objective"
        f"{'' if others == 1 else 's'} that contribute to it, directly or through others, "
        f"as of {when}. Each box shows an objective's own progress; contributions are never "
        "averaged into their parents."
    )
    subtitle = (
        f"{others} contributing objectives · as of {when} · "
        "red border: at risk (low confidence or an open blocker)"
    )
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="map-title map-desc" '
        'font-family="Helvetica, Arial, sans-serif">',
        f'<title id="map-title">{escape(title)}</title>',
        f'<desc id="map-desc">{escape(desc)}</desc>',
        '<rect width="100%" height="100%" fill="#f4f5f7"/>',
        f'<text x="{MARGIN}" y="30" font-size="18" font-weight="700" fill="{INK}">'
        f"{escape(title)}</text>",
        f'<text x="{MARGIN}" y="50" font-size="12" fill="{MUTED}">{escape(subtitle)}</text>',
        f'<g fill="none" stroke="{LINE}" stroke-width="1.2">',
    ]
    half = BOX_H // 2
    for parent, kids in forest.children.items():
        if parent not in corners:
            continue
        px, py = corners[parent]
        for kid in kids:
            if kid not in corners:
                continue
            cx, cy = corners[kid]
            x1, y1, x2, y2 = px + BOX_W, py + half, cx, cy + half
            bend = (x2 - x1) // 2
            out.append(f'<path d="M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}"/>')
    out.append("</g>")
    for node, (x, y) in corners.items():
        out.append(_box(forest, node, x, y, node == root))
    out.append("</svg>\n")
    return "".join(out)
