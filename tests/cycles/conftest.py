from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache():
    """The reminder link's rate limit counts in the cache, which the test process keeps between
    tests: start each from zero."""
    cache.clear()
    yield
    cache.clear()
