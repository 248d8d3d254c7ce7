"""ListCache: TTL, single-flight refresh, patching after writes."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from mysfits_service.cache import ListCache
from mysfits_service.filters import ListFilter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def record(mysfit_id: str, likes: int = 0) -> dict[str, Any]:
    return {"mysfitId": mysfit_id, "goodEvil": "Good", "likes": likes}


def decode(body: bytes) -> list[dict[str, Any]]:
    return json.loads(body)["mysfits"]


def test_fresh_entry_is_served_without_loading() -> None:
    clock, loads = Clock(), []

    def loader(key: Any) -> list[dict[str, Any]]:
        loads.append(key)
        return [record("a")]

    cache = ListCache(loader, 2.0, clock)
    assert cache.fresh(None) is None
    body = cache.get(None)
    assert decode(body) == [record("a")]
    assert cache.fresh(None) == body
    clock.now += 1.9
    assert cache.get(None) == body
    assert loads == [None]
    clock.now += 0.2
    assert cache.fresh(None) is None
    cache.get(None)
    assert loads == [None, None]


def test_keys_are_cached_separately() -> None:
    loads: list[Any] = []

    def loader(key: Any) -> list[dict[str, Any]]:
        loads.append(key)
        return []

    cache = ListCache(loader, 5.0, Clock())
    good = ListFilter("GoodEvil", "Good")
    for _ in range(3):
        cache.get(None)
        cache.get(good)
        cache.get(ListFilter("GoodEvil", "Good"))
    assert loads == [None, good]


def test_zero_ttl_disables_caching() -> None:
    loads: list[Any] = []
    cache = ListCache(lambda key: loads.append(key) or [], 0.0, Clock())
    cache.get(None)
    cache.get(None)
    assert cache.fresh(None) is None
    assert len(loads) == 2


def test_single_flight_refresh_serves_previous_value() -> None:
    clock = Clock()
    generation = [0]
    started, release = threading.Event(), threading.Event()
    calls = []

    def loader(key: Any) -> list[dict[str, Any]]:
        calls.append(key)
        if generation[0] > 0:
            started.set()
            assert release.wait(5)
        return [record("a", likes=generation[0])]

    cache = ListCache(loader, 2.0, clock)
    old_body = cache.get(None)
    clock.now += 3
    generation[0] = 1

    results: dict[str, bytes] = {}
    refresher = threading.Thread(target=lambda: results.setdefault("refresher", cache.get(None)))
    refresher.start()
    assert started.wait(5)
    # While the refresh is in flight, other callers get the previous body at once.
    others = [cache.get(None) for _ in range(20)]
    assert others == [old_body] * 20
    release.set()
    refresher.join(5)
    assert decode(results["refresher"])[0]["likes"] == 1
    assert cache.get(None) == results["refresher"]
    assert len(calls) == 2


def test_cold_callers_wait_for_the_one_load() -> None:
    calls = []
    gate = threading.Event()

    def loader(key: Any) -> list[dict[str, Any]]:
        calls.append(key)
        assert gate.wait(5)
        return [record("a")]

    cache = ListCache(loader, 2.0, Clock())
    bodies: list[bytes] = []
    threads = [threading.Thread(target=lambda: bodies.append(cache.get(None))) for _ in range(16)]
    for thread in threads:
        thread.start()
    time.sleep(0.1)
    gate.set()
    for thread in threads:
        thread.join(5)
    assert len(bodies) == 16 and len(set(bodies)) == 1
    assert len(calls) == 1


def test_failed_load_propagates_and_is_retried() -> None:
    attempts = []

    def loader(key: Any) -> list[dict[str, Any]]:
        attempts.append(key)
        if len(attempts) == 1:
            raise RuntimeError("backend down")
        return [record("a")]

    cache = ListCache(loader, 2.0, Clock())
    with pytest.raises(RuntimeError, match="backend down"):
        cache.get(None)
    assert decode(cache.get(None)) == [record("a")]


def test_patch_replaces_cached_record_in_every_key() -> None:
    clock = Clock()
    good = ListFilter("GoodEvil", "Good")
    cache = ListCache(lambda key: [record("a"), record("b")], 60.0, clock)
    cache.get(None)
    cache.get(good)
    cache.patch(record("b", likes=7))
    for key in (None, good):
        body = cache.fresh(key)
        assert body is not None
        assert decode(body) == [record("a"), record("b", likes=7)]


def test_patch_during_refresh_makes_the_refreshed_copy_stale() -> None:
    clock = Clock()
    in_load, release = threading.Event(), threading.Event()
    first = [True]

    def loader(key: Any) -> list[dict[str, Any]]:
        if first[0]:
            first[0] = False
            return [record("a")]
        in_load.set()
        assert release.wait(5)
        return [record("a")]  # read before the like below landed

    cache = ListCache(loader, 60.0, clock)
    cache.get(None)
    clock.now += 61
    thread = threading.Thread(target=cache.get, args=(None,))
    thread.start()
    assert in_load.wait(5)
    cache.patch(record("a", likes=1))
    release.set()
    thread.join(5)
    # The copy loaded across the write must not be trusted for a full TTL.
    assert cache.fresh(None) is None
