"""The alignment tree's rows as HTML, built with string joins.

A page of the tree prints dozens of objective rows and an expansion up to forty; at 10-20 µs
per row in Django templates that was most of an expansion's time (bench/tree.py), so the
rows are written here instead, from the view models of okrs/tree_present.py. Every value
from the database goes through `esc`. The page around the rows stays a template
(templates/okrs/tree.html, _tree_children.html).
"""

from __future__ import annotations

from html import escape

from django.utils.safestring import SafeString, mark_safe

from okrs.tree_present import KeyResultView, NodeView


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def _progress(value: str, text: str, label: str) -> str:
    return (
        f'<span class="progress"><meter min="0" max="1" value="{value}" aria-label="{label}">'
        f'{text}</meter> <span class="progress__number">{text}</span></span>'
    )


def row(n: NodeView) -> str:
    """One objective's own row (title, unit, tags, figures, flags, notes)."""
    out = [
        f'<div class="node__row"><p class="node__head"><a class="node__title" href="{n.url}">'
        f'{esc(n.title)}</a> <span class="node__unit">{esc(n.unit_name)}</span></p>'
        f'<p class="node__facts"><span class="tag tag--{esc(n.kind)}">{esc(n.kind_label)}</span> '
        f'<span class="tag tag--status-{esc(n.status)}">{esc(n.status_label)}</span> '
    ]
    if n.at_risk:
        out.append(f'<span class="tag tag--risk">At risk: {esc(n.risk_text)}</span> ')
    if n.repeat:
        out.append('<span class="tag tag--repeat">Repeat: it contributes elsewhere too</span> ')
    if n.has_progress:
        out.append(_progress(n.progress_value, n.progress_text, "Progress of its own key results"))
    else:
        out.append('<span class="muted">No progress yet</span>')
    if n.confidence_text:
        out.append(f" <span>Confidence {n.confidence_text}")
        if n.lowest_text:
            out.append(f' <span class="muted">(lowest {n.lowest_text})</span>')
        out.append("</span>")
    if n.score_text:
        out.append(f" <span>Score {esc(n.score_text)}</span>")
    out.append("</p>")
    if n.flags:
        out.append('<ul class="flags" aria-label="Flags">')
        out.extend(f'<li class="flag flag--{f.code}">{esc(f.text)}</li>' for f in n.flags)
        out.append("</ul>")
    if n.expected:
        out.append(f'<p class="node__note">Expected contribution: {esc(n.expected)}</p>')
    if n.sufficiency:
        note = f": {esc(n.sufficiency_note)}" if n.sufficiency_note else ""
        out.append(
            '<p class="node__note">Enough if every contribution lands? '
            f"<strong>{esc(n.sufficiency_label)}</strong>{note}</p>"
        )
    elif n.asks_sufficiency:
        out.append(
            '<p class="node__note muted">Enough if every contribution lands? Not answered yet.</p>'
        )
    if n.below_text:
        out.append(f'<p class="node__below">{esc(n.below_text)}</p>')
    out.append("</div>")
    return "".join(out)


def node(n: NodeView) -> str:
    """An objective below the top level: its row, and a disclosure that loads its key results
    and contributors when first opened (htmx on the toggle). Without JavaScript the
    disclosure links to the objective's page."""
    classes = "node"
    if n.context_only:
        classes += " node--context"
    if n.at_risk:
        classes += " node--risk"
    return (
        f'<li class="{classes}">{row(n)}'
        f'<details class="node__more" hx-get="{esc(n.children_url)}" hx-trigger="toggle once" '
        f'hx-target="find .node__body"><summary>{esc(n.summary_text)}</summary>'
        f'<div class="node__body"><p><a href="{n.url}">See its key results and contributors</a>'
        " on its page.</p></div></details></li>"
    )


def nodes(views: list[NodeView]) -> SafeString:
    return mark_safe("".join([node(n) for n in views]))  # noqa: S308 (escaped above)


def key_result(kr: KeyResultView) -> str:
    out = [
        f'<li class="krow{" krow--stale" if kr.stale else ""}">'
        f'<p class="krow__statement">{esc(kr.statement)}</p><p class="krow__facts">'
        f"<span>Now {esc(kr.now_text)}; target {esc(kr.target_text)}</span> "
    ]
    if kr.has_progress:
        out.append(
            _progress(kr.progress_value, kr.progress_text, "Progress from baseline to target")
        )
    if kr.confidence_text:
        out.append(f" <span>Confidence {kr.confidence_text}</span>")
    if kr.check_in_text:
        out.append(f' <span class="muted">Checked in {kr.check_in_text}</span>')
    if kr.stale:
        out.append(f' <span class="flag flag--stale">Check-in due since {kr.due_text}</span>')
    elif kr.due_text:
        out.append(f' <span class="muted">Next check-in by {kr.due_text}</span>')
    if kr.score_text:
        out.append(f" <span>Score {kr.score_text}</span>")
        if kr.score_note:
            out.append(f' <span class="score-note">{esc(kr.score_note)}</span>')
    if kr.no_baseline:
        out.append(' <span class="flag flag--no-baseline">No baseline</span>')
    if kr.output:
        out.append(' <span class="flag flag--output">Reads like an output</span>')
    out.append("</p>")
    if kr.blocker:
        unit = (
            f' <span class="muted">(could unblock: {esc(kr.blocker_unit)})</span>'
            if kr.blocker_unit
            else ""
        )
        out.append(
            f'<p class="krow__blocker"><strong>Blocked:</strong> {esc(kr.blocker)}{unit}</p>'
        )
    out.append("</li>")
    return "".join(out)


def key_results(views: list[KeyResultView]) -> SafeString:
    return mark_safe("".join([key_result(kr) for kr in views]))  # noqa: S308 (escaped above)
