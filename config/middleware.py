"""Site-wide response headers."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers


class VaryOnHtmxMiddleware:
    """Every response varies on HX-Request.

    Many views answer the same URL with a whole page or, for htmx, a fragment of it (a
    filtered tree, a refreshed summary). Without this header the browser keeps the fragment
    as the page for that URL, and Back after leaving it showed the bare fragment, unstyled.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request",))
        return response
