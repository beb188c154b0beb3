"""Context every page gets: the current cycle and what its phase asks of people."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from cycles.hints import hints_for
from okrs.views import current_cycle


def site(request: HttpRequest) -> dict[str, object]:
    # Lazy: a page that never shows the cycle (the sign-in page, an htmx fragment) does not
    # pay for the query.
    return {
        "current_cycle": SimpleLazyObject(lambda: current_cycle(request)),
        # What the phase asks of this person (one query, only on pages showing the banner).
        "cycle_hints": SimpleLazyObject(
            lambda: hints_for(getattr(request, "user", None), current_cycle(request))
        ),
        "debug_mailbox": settings.DEBUG
        and settings.EMAIL_BACKEND == "config.mailbox.MailboxBackend",
    }
