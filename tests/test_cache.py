"""The project's Redis cache backend (smartdiplomacy/cache.py) against a real Redis."""

import os
import uuid

import pytest
from django.core.cache.backends.locmem import LocMemCache

from smartdiplomacy.cache import RedisCache, incr_window, incr_window_and_get


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


@pytest.mark.services
def test_a_window_counter_counts_and_keeps_the_expiry_it_was_created_with():
    url = os.environ["CELERY_BROKER_URL"].rsplit("/", 1)[0] + "/13"
    cache = RedisCache(url, {"KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}"})
    assert [incr_window(cache, "window", 30) for _ in range(3)] == [1, 2, 3]
    assert cache.get("window") == 3  # an integer, as Django's own incr leaves it
    client = cache._cache.get_client(write=True)
    key = cache.make_and_validate_key("window")
    assert 0 < client.ttl(key) <= 30
    client.expire(key, 5)
    incr_window(cache, "window", 30)  # later counts never push the window's end back
    assert client.ttl(key) <= 5
    cache.delete("window")


def test_a_window_counter_works_on_any_cache():
    cache = LocMemCache(f"test-{uuid.uuid4().hex[:8]}", {})
    assert [incr_window(cache, "window", 30) for _ in range(3)] == [1, 2, 3]


@pytest.mark.services
def test_a_window_counter_reads_other_keys_in_its_round_trip():
    url = os.environ["CELERY_BROKER_URL"].rsplit("/", 1)[0] + "/13"
    cache = RedisCache(url, {"KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}"})
    cache.set("generation", "abc", 30)
    cache.set("number", 7, 30)
    count, read = incr_window_and_get(cache, "window", 30, ["generation", "number", "missing"])
    assert count == 1 and read == {"generation": "abc", "number": 7}
    assert incr_window_and_get(cache, "window", 30, []) == (2, {})
    cache.delete_many(["window", "generation", "number"])


def test_a_window_counter_reads_other_keys_on_any_cache():
    cache = LocMemCache(f"test-{uuid.uuid4().hex[:8]}", {})
    cache.set("generation", "abc", 30)
    assert incr_window_and_get(cache, "window", 30, ["generation", "missing"]) == (
        1,
        {"generation": "abc"},
    )
