"""The alignment tree's rows, printed by okrs/tree_html.py (string joins: a template per row
costs more than the rest of an expansion)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from okrs import tree_html
from okrs.tree_present import KeyResultView, NodeView

register = template.Library()


@register.filter
def tree_row(node: NodeView) -> SafeString:
    return SafeString(tree_html.row(node))


@register.filter
def tree_nodes(nodes: list[NodeView]) -> SafeString:
    return tree_html.nodes(nodes)


@register.filter
def tree_key_results(key_results: list[KeyResultView]) -> SafeString:
    return tree_html.key_results(key_results)
