"""Module 4's checks over HTTP: what the API's stage answers, with and without a signed-in user.

Each takes the stage's base URL (`api.Stage.url`), so the same check runs against AWS and the
local cloud, and against a stand-in server in the unit tests.
"""

from __future__ import annotations

from typing import Any

import requests

from .checks import Check
from .serviceapi import check_adopt

_TIMEOUT = 10
UNAUTHORIZED = {"message": "Unauthorized"}
MISSING_TOKEN = {"message": "Missing Authentication Token"}
SITE_ORIGIN = "https://example.com"  # any origin: the API allows every one ('*')


def _body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return " ".join(response.text.split())[:100]


def _mysfit(base_url: str, mysfit_id: str, token: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": token} if token else {}
    response = requests.get(f"{base_url}/mysfits/{mysfit_id}", headers=headers, timeout=_TIMEOUT)
    body = _body(response)
    return body if response.status_code == 200 and isinstance(body, dict) else {}


def check_unauthorized(
    base_url: str, mysfit_id: str, token: str | None = None, what: str = "no token"
) -> Check:
    """A like with `token` (None: no Authorization header) answers 401 {"message":"Unauthorized"}
    with a CORS header (so the site can read it), and the likes do not change."""
    before = _mysfit(base_url, mysfit_id).get("likes")
    headers = {"Origin": SITE_ORIGIN, **({"Authorization": token} if token is not None else {})}
    response = requests.post(
        f"{base_url}/mysfits/{mysfit_id}/like", headers=headers, timeout=_TIMEOUT
    )
    after = _mysfit(base_url, mysfit_id).get("likes")
    cors = response.headers.get("Access-Control-Allow-Origin")
    body = _body(response)
    ok = response.status_code == 401 and body == UNAUTHORIZED and cors == "*" and before == after
    evidence = (
        f"HTTP {response.status_code} {body}, Access-Control-Allow-Origin {cors}; "
        f"likes {before} -> {after}"
    )
    return Check(f"a like with {what} is refused", ok, evidence)


def check_like_with_token(base_url: str, mysfit_id: str, token: str) -> Check:
    """A like with a valid ID token answers 200 and adds one like, and the mysfit then reads as
    liked by this user; a user who liked it before (an earlier run) adds none (one like each)."""
    before = _mysfit(base_url, mysfit_id, token)
    response = requests.post(
        f"{base_url}/mysfits/{mysfit_id}/like", headers={"Authorization": token}, timeout=_TIMEOUT
    )
    after = _mysfit(base_url, mysfit_id, token)
    earlier = before.get("liked") is True
    likes = (before.get("likes"), after.get("likes"))
    added = 0 if earlier else 1
    ok = (
        response.status_code == 200
        and isinstance(likes[0], int)
        and likes[1] == likes[0] + added
        and after.get("liked", True) is True
    )
    note = " (this user liked it in an earlier run: one like per user)" if earlier else ""
    return Check(
        f"a signed-in like for {before.get('name', mysfit_id)} counts once",
        ok,
        f"HTTP {response.status_code}; likes {likes[0]} -> {likes[1]}{note}",
    )


def check_adopt_with_token(base_url: str, mysfit_id: str, token: str) -> Check:
    """Adopting with a valid ID token works once (200), then answers 409."""
    return check_adopt(base_url, mysfit_id, headers={"Authorization": token})


def check_unknown_route(base_url: str, path: str = "/no-such-route") -> Check:
    """A route the API does not have answers 403 {"message":"Missing Authentication Token"}."""
    response = requests.get(f"{base_url}{path}", timeout=_TIMEOUT)
    body = _body(response)
    return Check(
        f"GET {path} is not a route",
        response.status_code == 403 and body == MISSING_TOKEN,
        f"HTTP {response.status_code} {body}",
    )


def check_preflight(base_url: str, path: str, method: str = "POST") -> Check:
    """A browser's CORS preflight for `method path` with an Authorization header is allowed."""
    response = requests.options(
        f"{base_url}{path}",
        headers={
            "Origin": SITE_ORIGIN,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization,content-type",
        },
        timeout=_TIMEOUT,
    )
    allow = {
        name: response.headers.get(f"Access-Control-Allow-{name}", "")
        for name in ("Origin", "Methods", "Headers")
    }
    methods = {m.strip().upper() for m in allow["Methods"].split(",")}
    headers = {h.strip().lower() for h in allow["Headers"].split(",")}
    ok = (
        response.status_code == 200
        and allow["Origin"] == "*"
        and method in methods
        and "authorization" in headers
    )
    shown = ", ".join(f"Allow-{name}: {value or '-'}" for name, value in allow.items())
    return Check(
        f"the preflight of {method} {path} is allowed", ok, f"HTTP {response.status_code}; {shown}"
    )
