"""The site's API calls, as the traffic generator makes them, and only to the workshop's own APIs.

The client sends what the browser sends: `GET /mysfits` (optionally filtered) and
`GET /mysfits/{id}` on the Mysfits API stage, `POST /clicks` on the click API stage, and like
and adopt with the signed-in user's ID token in `Authorization`. It takes the base URLs, a
token source and a transport as arguments, so tests drive it with a fake transport, and it
refuses any other host. `own_endpoints` admits only execute-api URLs of REST APIs in the
workshop's own account and region.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from .errors import WorkshopError
from .workshop import Workshop

# (method, url, headers, JSON body or None) -> (status, decoded JSON body or None)
Transport = Callable[[str, str, dict[str, str], Any], tuple[int, Any]]
TokenSource = Callable[[int], str]  # a signed-in user's number -> their ID token
_EXECUTE_API = re.compile(r"^([a-z0-9]+)\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$")


class ForeignEndpoint(WorkshopError):
    """A URL that is not one of the workshop's own API stages: traffic is never sent there."""


@dataclass(frozen=True)
class Endpoints:
    """Base URLs (reachable from here) of the Mysfits API stage and the click API stage."""

    api: str
    clicks: str


def http_transport(timeout: float = 10.0) -> Transport:
    """A transport over one keep-alive `requests` session."""
    session = requests.Session()

    def send(method: str, url: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        response = session.request(method, url, headers=headers, json=body, timeout=timeout)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None

    return send


def _rest_api_ids(ws: Workshop) -> set[str]:
    pages = ws.client("apigateway").get_paginator("get_rest_apis").paginate()
    return {api["id"] for page in pages for api in page.get("items", [])}


def own_endpoints(ws: Workshop, api_url: str, clicks_url: str) -> Endpoints:
    """`Endpoints` for two stage URLs (`https://{id}.execute-api.{region}.amazonaws.com/{stage}`),
    after checking that each is a REST API of this workshop's account and region."""
    ours = _rest_api_ids(ws)
    for url in (api_url, clicks_url):
        match = _EXECUTE_API.match(urlsplit(url).hostname or "")
        if match is None or match.group(2) != ws.region or match.group(1) not in ours:
            raise ForeignEndpoint(
                f"{url} is not a stage of a REST API in account {ws.account_id}, {ws.region}: "
                "traffic goes only to the workshop's own APIs (use the URLs notebooks 04 and 05 "
                "show, e.g. api.find_api(ws).url)"
            )
    return Endpoints(ws.url(api_url), ws.url(clicks_url))


class MysfitsClient:
    """The site's requests; every URL is checked against the two base URLs' hosts first."""

    def __init__(self, endpoints: Endpoints, tokens: TokenSource, transport: Transport) -> None:
        self.endpoints, self._tokens, self._transport = endpoints, tokens, transport
        self._hosts = {urlsplit(endpoints.api).netloc, urlsplit(endpoints.clicks).netloc}

    def _send(
        self, method: str, base: str, path: str, body: Any = None, user: int | None = None
    ) -> tuple[int, Any]:
        url = base.rstrip("/") + path
        if urlsplit(url).netloc not in self._hosts:
            raise ForeignEndpoint(f"{url} is not one of the workshop's endpoints: not sent")
        headers = {"Accept": "application/json"}
        if user is not None:
            headers["Authorization"] = self._tokens(user)  # the ID token, as the site sends it
        return self._transport(method, url, headers, body)

    def list_mysfits(self, filter: tuple[str, str] | None = None) -> tuple[int, Any]:
        query = "" if filter is None else "?" + urlencode({"filter": filter[0], "value": filter[1]})
        return self._send("GET", self.endpoints.api, f"/mysfits{query}")

    def get_mysfit(self, mysfit_id: str) -> tuple[int, Any]:
        return self._send("GET", self.endpoints.api, f"/mysfits/{mysfit_id}")

    def send_click(self, mysfit_id: str, user_id: str) -> tuple[int, Any]:
        body = {"mysfitId": mysfit_id, "userId": user_id}
        return self._send("POST", self.endpoints.clicks, "/clicks", body)

    def like(self, mysfit_id: str, user: int) -> tuple[int, Any]:
        return self._send("POST", self.endpoints.api, f"/mysfits/{mysfit_id}/like", user=user)

    def adopt(self, mysfit_id: str, user: int) -> tuple[int, Any]:
        return self._send("POST", self.endpoints.api, f"/mysfits/{mysfit_id}/adopt", user=user)
