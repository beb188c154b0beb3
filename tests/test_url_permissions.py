"""Every URL: anonymous visitors only reach the public pages, and every URL that names an
object answers each persona as tests/url_matrix.py says."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import Org
from tests.url_matrix import ROUTES, Route

PUBLIC = {
    "accounts:sign-in",
    "accounts:password-reset",
    "accounts:password-reset-done",
    "accounts:password-reset-confirm",
    "accounts:password-reset-complete",
    "accounts:invitation-accept",
    "cycles:reminder-link",
    "cycles:reminder-link-check-in",
    "cycles:unsubscribe",
    "healthz",
}


def _patterns(resolver: URLResolver, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # Django admin checks is_staff itself
            ns = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            found.extend(_patterns(entry, ns))
        elif entry.name:
            found.append((f"{prefix}{entry.name}", entry))
    return found


ALL = _patterns(get_resolver())


def test_every_url_with_an_object_parameter_is_in_the_matrix() -> None:
    covered = {route.name for route in ROUTES}
    with_params = {name for name, p in ALL if p.pattern.converters}
    missing = sorted(with_params - covered)
    assert not missing, f"URL patterns with no entry in tests/url_matrix.py: {missing}"


@pytest.mark.parametrize("name", sorted(n for n, p in ALL if not p.pattern.converters))
def test_anonymous_visitors_only_see_public_pages(client, db, name: str) -> None:
    response = client.get(reverse(name))
    if name in PUBLIC:
        assert response.status_code in (200, 302, 405)
        if response.status_code == 302:
            assert "/accounts/sign-in/" not in response["Location"]
    else:
        assert response.status_code in (302, 405), name
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/sign-in/"), name


CASES = [(route, persona) for route in ROUTES for persona in route.expect]


@pytest.mark.parametrize(("route", "persona"), CASES, ids=[f"{r}-{p}" for r, p in CASES])
def test_object_urls_answer_each_persona(client, org: Org, route: Route, persona: str) -> None:
    url = reverse(route.name, kwargs=route.kwargs(org))
    user = org.persona(persona)
    if user is not None:
        client.force_login(user)
    response = getattr(client, route.method)(url, route.data(org), headers=route.headers)
    assert response.status_code == route.status_for(persona), f"{persona}: {route} {url}"
    if persona == "anonymous" and response.status_code == 302 and route.name not in PUBLIC:
        assert response["Location"].startswith("/accounts/sign-in/")
