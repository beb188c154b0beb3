"""Error pages in the site's own look. htmx requests get a short fragment instead of a page:
static/js/site.js shows it in the page's alert region."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    template = "errors/_403.html" if _is_htmx(request) else "403.html"
    message = str(exception) if exception and str(exception) else ""
    return render(request, template, {"reason": message}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    template = "errors/_404.html" if _is_htmx(request) else "404.html"
    return render(request, template, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: whatever broke may be the database they would query.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
