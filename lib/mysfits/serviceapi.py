"""Checks of the Mysfits API over HTTP, wherever it is served (load balancer or API Gateway)."""

from __future__ import annotations

from typing import Any

import requests

from .checks import Check

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
    return Check(f"GET /mysfits lists {expect_count} mysfits", status == 200 and count == expect_count,
                 f"HTTP {status}, {count} mysfits")


def check_filter(base_url: str, filter_name: str, value: str, expect_count: int) -> Check:
    """GET /mysfits?filter=…&value=… answers 200 with `expect_count` matching mysfits."""
    status, body = _get(f"{base_url}/mysfits?filter={filter_name}&value={value}")
    items = body.get("mysfits", []) if isinstance(body, dict) else []
    field = {"GoodEvil": "goodEvil", "LawChaos": "lawChaos"}.get(filter_name, filter_name)
    all_match = all(item.get(field) == value for item in items)
    return Check(f"{filter_name}={value} gives {expect_count}", status == 200 and len(items) == expect_count and all_match,
                 f"HTTP {status}, {len(items)} mysfits, all {field}={value}: {all_match}")


def check_status(base_url: str, path: str, expect: int, method: str = "GET") -> Check:
    """`method path` answers `expect` with a JSON body (errors included)."""
    response = requests.request(method, f"{base_url}{path}", timeout=_TIMEOUT)
    is_json = response.headers.get("Content-Type", "").startswith("application/json")
    excerpt = " ".join(response.text.split())[:100]
    return Check(f"{method} {path} answers {expect}", response.status_code == expect and is_json,
                 f"HTTP {response.status_code} {response.headers.get('Content-Type', '')}: {excerpt}")
