"""The project's Redis cache backend (smartdiplomacy/cache.py) against a real Redis."""

import os
import uuid

import pytest

from smartdiplomacy.cache import RedisCache


@pytest.mark.services
def test_the_redis_cache_keeps_one_client_per_pool_and_works():
    url = os.environ["CELERY_BROKER_URL"].rsplit("/", 1)[0] + "/13"
    cache = RedisCache(url, {"KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}"})
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=False) is client  # one server: one pool, one client
    cache.set("page", (b"x" * 300_000, "application/json", None), 30)
    assert cache.get("page") == (b"x" * 300_000, "application/json", None)
    assert cache.add("page", "other", 30) is False
    cache.delete("page")
    assert cache.get("page") is None
