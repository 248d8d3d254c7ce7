"""Module 4's checks: each passes on a stage that answers as API Gateway does, and fails on the
flaw it exists to catch (a like let through without a token, an error the site cannot read, a
like counted twice, a route answered by the service, a preflight without Authorization).

The stage is a stand-in on loopback (`Gateway`), answering from a small in-memory service with
one like per user; `flaws` switch on one wrong behaviour each.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from mysfits import apichecks

from .fakes import Request, http_server

MYSFIT = "4e53920c-505a-4a90-a694-b9300791f0ae"
TOKEN = "eyJ.valid.token"
JSON = "application/json"
CORS = {"Access-Control-Allow-Origin": "*"}


@dataclass
class Gateway:
    """API Gateway in front of the service, as far as the checks can see; `flaws` break it."""

    flaws: set[str] = field(default_factory=set)
    likes: int = 3
    liked_by: set[str] = field(default_factory=set)
    adopted: bool = False

    def __call__(self, request: Request) -> tuple[Any, ...]:
        token = request.headers.get("Authorization")
        path = request.path
        if request.method == "OPTIONS":
            return self._preflight()
        if path == f"/mysfits/{MYSFIT}" and request.method == "GET":
            return self._answer(200, self._view(token))
        if path in (f"/mysfits/{MYSFIT}/like", f"/mysfits/{MYSFIT}/adopt"):
            return self._write(path.rsplit("/", 1)[-1], token)
        if "unknown-route-to-service" in self.flaws:
            return self._answer(404, {"detail": "Not Found"})
        return self._error(403, "Missing Authentication Token")

    def _view(self, token: str | None) -> dict[str, Any]:
        view = {"mysfitId": MYSFIT, "name": "Gretta", "likes": self.likes, "adopted": self.adopted}
        return {**view, "liked": token in self.liked_by} if token == TOKEN else view

    def _write(self, action: str, token: str | None) -> tuple[Any, ...]:
        if token != TOKEN and "no-authorizer" not in self.flaws:
            return self._error(401, "Unauthorized")
        if action == "adopt":
            if self.adopted:
                return self._answer(409, {"message": "already adopted"})
            self.adopted = True
        elif "likes-twice" in self.flaws or token not in self.liked_by:
            self.likes += 1
            self.liked_by.add(str(token))
        return self._answer(200, self._view(token))

    def _error(self, status: int, message: str) -> tuple[Any, ...]:
        headers = {} if "no-cors-on-errors" in self.flaws else CORS
        return (
            status,
            JSON,
            json.dumps({"message": message}, separators=(",", ":")).encode(),
            headers,
        )

    def _answer(self, status: int, body: dict[str, Any]) -> tuple[Any, ...]:
        return status, JSON, json.dumps(body).encode()

    def _preflight(self) -> tuple[Any, ...]:
        allowed = (
            "Content-Type"
            if "preflight-without-authorization" in self.flaws
            else ("Authorization,Content-Type")
        )
        headers = {
            **CORS,
            "Access-Control-Allow-Methods": "OPTIONS,POST",
            "Access-Control-Allow-Headers": allowed,
        }
        return 200, JSON, b"{}", headers


@pytest.fixture
def gateway() -> Gateway:
    return Gateway()


@pytest.fixture
def stage(gateway: Gateway) -> Iterator[str]:
    with http_server(gateway) as url:
        yield url


def test_a_like_without_a_token_is_refused_with_a_body_the_site_can_read(stage: str) -> None:
    check = apichecks.check_unauthorized(stage, MYSFIT)
    assert check.ok, check
    assert check.evidence == (
        "HTTP 401 {'message': 'Unauthorized'}, Access-Control-Allow-Origin *; likes 3 -> 3"
    )


def test_a_like_let_through_without_a_token_fails(stage: str, gateway: Gateway) -> None:
    gateway.flaws.add("no-authorizer")
    check = apichecks.check_unauthorized(stage, MYSFIT)
    assert not check.ok and "HTTP 200" in check.evidence and "likes 3 -> 4" in check.evidence


def test_a_401_without_cors_headers_fails(stage: str, gateway: Gateway) -> None:
    gateway.flaws.add("no-cors-on-errors")
    check = apichecks.check_unauthorized(stage, MYSFIT, token="forged", what="a forged token")
    assert not check.ok and "Access-Control-Allow-Origin None" in check.evidence
    assert check.name == "a like with a forged token is refused"


def test_a_signed_in_like_counts_once_and_then_not_again(stage: str) -> None:
    first = apichecks.check_like_with_token(stage, MYSFIT, TOKEN)
    assert first.ok and first.evidence == "HTTP 200; likes 3 -> 4", first
    again = apichecks.check_like_with_token(stage, MYSFIT, TOKEN)
    assert again.ok and again.evidence.startswith("HTTP 200; likes 4 -> 4 (this user liked"), again


def test_a_like_counted_twice_for_one_user_fails(stage: str, gateway: Gateway) -> None:
    gateway.flaws.add("likes-twice")
    assert apichecks.check_like_with_token(stage, MYSFIT, TOKEN).ok
    check = apichecks.check_like_with_token(stage, MYSFIT, TOKEN)
    assert not check.ok and "likes 4 -> 5" in check.evidence


def test_a_like_with_a_token_the_gateway_refuses_fails(stage: str) -> None:
    check = apichecks.check_like_with_token(stage, MYSFIT, "not-a-token")
    assert not check.ok and check.evidence.startswith("HTTP 401")


def test_adopting_with_a_token_works_once(stage: str) -> None:
    check = apichecks.check_adopt_with_token(stage, MYSFIT, TOKEN)
    assert check.ok and "answered 200 then 409" in check.evidence, check


def test_adopting_without_a_valid_token_fails(stage: str) -> None:
    check = apichecks.check_adopt_with_token(stage, MYSFIT, "not-a-token")
    assert not check.ok and "first adoption answered HTTP 401" in check.evidence


def test_an_unknown_route_is_the_gateways_403(stage: str) -> None:
    check = apichecks.check_unknown_route(stage)
    assert check.ok and check.evidence == "HTTP 403 {'message': 'Missing Authentication Token'}"


def test_an_unknown_route_answered_by_the_service_fails(stage: str, gateway: Gateway) -> None:
    gateway.flaws.add("unknown-route-to-service")
    check = apichecks.check_unknown_route(stage)
    assert not check.ok and check.evidence.startswith("HTTP 404")


def test_the_preflight_allows_the_authorization_header(stage: str) -> None:
    check = apichecks.check_preflight(stage, f"/mysfits/{MYSFIT}/like")
    assert check.ok, check
    assert "Allow-Headers: Authorization,Content-Type" in check.evidence


def test_a_preflight_without_authorization_fails(stage: str, gateway: Gateway) -> None:
    gateway.flaws.add("preflight-without-authorization")
    check = apichecks.check_preflight(stage, f"/mysfits/{MYSFIT}/like")
    assert not check.ok and "Allow-Headers: Content-Type" in check.evidence


def test_a_preflight_for_a_method_the_path_lacks_fails(stage: str) -> None:
    assert not apichecks.check_preflight(stage, f"/mysfits/{MYSFIT}/like", method="DELETE").ok
