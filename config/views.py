"""Project-level pages: the health check and the development mailbox."""

from __future__ import annotations

import logging

from csp.decorators import csp
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config import mailbox
from config.celery_app import app as celery_app

log = logging.getLogger(__name__)


def _database_state() -> str:
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # any driver error means "not usable"
        log.warning("healthz: database unreachable: %s", exc)
        return "unreachable"


def _broker_state() -> str:
    try:
        with celery_app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception as exc:
        log.warning("healthz: broker unreachable: %s", exc)
        return "unreachable"


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers (naming the broker's state too); 503 when it does not.

    A load balancer takes the instance out on 503. A broker outage alone keeps 200: pages work,
    only background mail waits, and the outbox sweeper catches up once the broker is back.
    """
    database = _database_state()
    broker = _broker_state()
    status = "ok" if database == broker == "ok" else "degraded"
    if database != "ok":
        status = "down"
    return JsonResponse(
        {"status": status, "database": database, "broker": broker},
        status=200 if database == "ok" else 503,
    )


@login_not_required
@require_GET
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico whatever the page links; point them at the SVG icon."""
    return HttpResponseRedirect(static("img/favicon.svg"))


def _require_mailbox() -> None:
    if not (settings.DEBUG and settings.EMAIL_BACKEND == "config.mailbox.MailboxBackend"):
        raise Http404("The mailbox exists only in development.")


@require_GET
def mailbox_list(request: HttpRequest) -> HttpResponse:
    _require_mailbox()
    return render(request, "mailbox/list.html", {"messages_": mailbox.list_messages()})


@require_GET
def mailbox_detail(request: HttpRequest, name: str) -> HttpResponse:
    _require_mailbox()
    message = mailbox.get_message(name)
    if message is None:
        raise Http404("No such message.")
    return render(request, "mailbox/detail.html", {"message": message})


# The HTML part of a message is someone else's markup: show it alone, sandboxed, with no script.
@csp(
    {
        "default-src": ["'none'"],
        "style-src": ["'unsafe-inline'"],
        "img-src": ["data:"],
        "sandbox": True,
        "frame-ancestors": ["'self'"],
    }
)
@require_GET
def mailbox_html(request: HttpRequest, name: str) -> HttpResponse:
    _require_mailbox()
    message = mailbox.get_message(name)
    if message is None or not message.html:
        raise Http404("No HTML part.")
    response = HttpResponse(message.html, content_type="text/html; charset=utf-8")
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response
