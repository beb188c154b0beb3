"""Sign-in required everywhere except pages marked @login_not_required."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


class SignInRequiredMiddleware(LoginRequiredMiddleware):
    """Django's LoginRequiredMiddleware, except for htmx requests.

    A plain request is redirected to the sign-in page as usual. An htmx request (a session that
    expired while someone was typing) gets a 401 with a short message instead: htmx would
    otherwise follow the redirect and paste the whole sign-in page into the form, losing what
    was typed. htmx does not swap a 401, so the form keeps its contents; static/js/site.js shows
    the message, whose link opens sign-in in a new tab so the work can be sent again after.
    """

    def handle_no_permission(self, request: HttpRequest, view_func: Any) -> HttpResponse:
        if request.headers.get("HX-Request") != "true":
            return super().handle_no_permission(request, view_func)
        page = request.headers.get("HX-Current-URL", "")
        body = render_to_string("errors/_401.html", {"next": page}, request=request)
        return HttpResponse(body, status=401)
