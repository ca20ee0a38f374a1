import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def cache_empty(db):
    """Start with an empty cache: the headline's figures are cached per owner, and a browser test run earlier in the
    same process commits its cached rows, which the flush after it leaves (the cache table is no model's)."""
    cache.clear()
