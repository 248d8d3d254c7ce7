"""Checks of the Mysfits API over HTTP, wherever it is served (load balancer or API Gateway)."""

from __future__ import annotations

from typing import Any

import requests

from .checks import Check
from .errors import ResourceNotFound

_TIMEOUT = 10


def _get(url: str) -> tuple[int, Any]:
    response = requests.get(url, timeout=_TIMEOUT)
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, response.text[:120]


def check_list(base_url: str, expect_count: int = 12) -> Check:
    """GET /mysfits answers 200 with `expect_count` mysfits."""
    status, body = _get(f"{base_url}/mysfits")
    count = len(body.get("mysfits", [])) if isinstance(body, dict) else None
    return Check(
        f"GET /mysfits lists {expect_count} mysfits",
        status == 200 and count == expect_count,
        f"HTTP {status}, {count} mysfits",
    )


def check_filter(base_url: str, filter_name: str, value: str, expect_count: int) -> Check:
    """GET /mysfits?filter=…&value=… answers 200 with `expect_count` matching mysfits."""
    status, body = _get(f"{base_url}/mysfits?filter={filter_name}&value={value}")
    items = body.get("mysfits", []) if isinstance(body, dict) else []
    field = {"GoodEvil": "goodEvil", "LawChaos": "lawChaos"}.get(filter_name, filter_name)
    all_match = all(item.get(field) == value for item in items)
    return Check(
        f"{filter_name}={value} gives {expect_count}",
        status == 200 and len(items) == expect_count and all_match,
        f"HTTP {status}, {len(items)} mysfits, all {field}={value}: {all_match}",
    )


def check_status(base_url: str, path: str, expect: int, method: str = "GET") -> Check:
    """`method path` answers `expect` with a JSON body (errors included)."""
    response = requests.request(method, f"{base_url}{path}", timeout=_TIMEOUT)
    is_json = response.headers.get("Content-Type", "").startswith("application/json")
    excerpt = " ".join(response.text.split())[:100]
    return Check(
        f"{method} {path} answers {expect}",
        response.status_code == expect and is_json,
        f"HTTP {response.status_code} {response.headers.get('Content-Type', '')}: {excerpt}",
    )


def mysfits(base_url: str) -> list[dict[str, Any]]:
    """GET /mysfits: every mysfit the API lists (an empty list if it does not answer 200)."""
    status, body = _get(f"{base_url}/mysfits")
    return body.get("mysfits", []) if status == 200 and isinstance(body, dict) else []


def find_by_name(base_url: str, name: str) -> dict[str, Any]:
    """The mysfit called `name`, as the API lists it."""
    found = [m for m in mysfits(base_url) if m.get("name") == name]
    if not found:
        raise ResourceNotFound(f"the API at {base_url} lists no mysfit called {name!r}")
    return found[0]


def adoption_candidate(base_url: str) -> str:
    """The id of the first mysfit (by name) nobody has adopted yet; the first of all if all are."""
    listed = sorted(mysfits(base_url), key=lambda m: m.get("name", ""))
    if not listed:
        raise ResourceNotFound(f"the API at {base_url} lists no mysfits")
    free = [m for m in listed if not m.get("adopted")]
    return str((free or listed)[0]["mysfitId"])


def _mysfit(base_url: str, mysfit_id: str) -> dict[str, Any]:
    status, body = _get(f"{base_url}/mysfits/{mysfit_id}")
    return body if status == 200 and isinstance(body, dict) else {}


def check_like(base_url: str, mysfit_id: str) -> Check:
    """Read the likes, POST one like, read again: the count must have gone up by exactly one.

    Run it while nobody else likes this mysfit, or their likes count too.
    """
    mysfit = _mysfit(base_url, mysfit_id)
    before = mysfit.get("likes")
    response = requests.post(f"{base_url}/mysfits/{mysfit_id}/like", timeout=_TIMEOUT)
    after = _mysfit(base_url, mysfit_id).get("likes")
    ok = response.status_code == 200 and isinstance(before, int) and after == before + 1
    return Check(
        f"a like for {mysfit.get('name', mysfit_id)} adds one",
        ok,
        f"likes {before} -> {after}, POST answered HTTP {response.status_code}",
    )


def check_adopt(base_url: str, mysfit_id: str) -> Check:
    """Adopt a mysfit: the first adoption answers 200 and marks it adopted, any later one 409.

    A mysfit that is still free is adopted and then adopted again (200, then 409); one adopted
    earlier (say, by a previous run) must answer 409 and still read as adopted.
    """
    url = f"{base_url}/mysfits/{mysfit_id}"
    mysfit = _mysfit(base_url, mysfit_id)
    name = f"adopting {mysfit.get('name', mysfit_id)} works once"
    if not mysfit:
        return Check(name, False, f"GET {url} did not answer 200")
    statuses = []
    if not mysfit.get("adopted"):
        first = requests.post(f"{url}/adopt", timeout=_TIMEOUT)
        statuses.append(first.status_code)
        if first.status_code != 200 or _mysfit(base_url, mysfit_id).get("adopted") is not True:
            return Check(name, False, f"the first adoption answered HTTP {first.status_code}")
    statuses.append(requests.post(f"{url}/adopt", timeout=_TIMEOUT).status_code)
    adopted = _mysfit(base_url, mysfit_id).get("adopted") is True
    ok = statuses[-1] == 409 and adopted
    earlier = "" if len(statuses) == 2 else " (adopted by an earlier run)"
    return Check(
        name,
        ok,
        f"POST /adopt answered {' then '.join(map(str, statuses))}{earlier}; "
        f"adopted now: {adopted}",
    )


RELEASE_HEADER = "X-Mysfits-Release"


def release_of(base_url: str) -> str | None:
    """Which release answers GET /mysfits: its X-Mysfits-Release header (None before any)."""
    return requests.get(f"{base_url}/mysfits", timeout=_TIMEOUT).headers.get(RELEASE_HEADER)


def check_release_header(base_url: str, expect: str | None) -> Check:
    """GET /mysfits carries the X-Mysfits-Release header `expect` (None: no header)."""
    response = requests.get(f"{base_url}/mysfits", timeout=_TIMEOUT)
    found = response.headers.get(RELEASE_HEADER)
    ok = response.status_code == 200 and found == expect
    return Check(
        f"the API answers as release {expect}",
        ok,
        f"HTTP {response.status_code}, {RELEASE_HEADER}: {found}",
    )
