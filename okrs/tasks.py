"""Celery tasks for okrs: periodic jobs run by beat (config/settings.py CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from okrs import tree_memo


@shared_task(acks_late=True)
def prune_tree_changes() -> int:
    """Keep the alignment tree's change log short (its rows are counted on every tree page),
    leaving the data version as it was. Returns how many rows went; a duplicate run finds
    nothing to do."""
    return tree_memo.prune()
