"""An in-memory stand-in for the deployed site's APIs, as a traffic transport.

It answers like the service behind API Gateway (list, filter, profile, like once per user,
adopt once, 401 without a valid token) and like the click API (200 with a clickId), and keeps
what it received so tests can compare the generator's ground truth with it.
"""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mysfits import clicksynth

API, CLICKS = "http://api.test/prod", "http://clicks.test/prod"


def token(user: int) -> str:
    return f"token-{user}"


class FakeSite:
    """The service and the click API in memory; `send` is a `trafficclient.Transport`."""

    def __init__(self, likes: dict[str, int] | None = None, adopted: set[str] = frozenset()):
        self.mysfits = {m["mysfitId"]: copy.deepcopy(m) for m in clicksynth.catalogue()}
        for mysfit_id, mysfit in self.mysfits.items():
            mysfit["likes"] = (likes or {}).get(mysfit_id, 0)
            mysfit["adopted"] = mysfit_id in adopted
        self.likers: set[tuple[str, str]] = set()
        self.clicks: list[dict[str, Any]] = []  # {clickId, mysfitId, userId, at}
        self.requests: list[tuple[str, str]] = []

    def send(self, method: str, url: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        self.requests.append((method, url))
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" == CLICKS.rsplit("/", 1)[0]:
            return self._click(body)
        path = parts.path.removeprefix("/prod")
        segments = path.strip("/").split("/")
        if method == "GET" and path == "/mysfits":
            return 200, {"mysfits": self._listed(parse_qs(parts.query))}
        mysfit = self.mysfits.get(segments[1]) if len(segments) > 1 else None
        if mysfit is None:
            return 404, {"error": {"code": "not_found", "message": "no such mysfit"}}
        if method == "GET":
            return 200, mysfit
        return self._act(segments[2], mysfit, headers.get("Authorization", ""))

    def _listed(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        if not query:
            return list(self.mysfits.values())
        field = {"GoodEvil": "goodEvil", "LawChaos": "lawChaos"}[query["filter"][0]]
        return [m for m in self.mysfits.values() if m[field] == query["value"][0]]

    def _act(self, action: str, mysfit: dict[str, Any], authorization: str) -> tuple[int, Any]:
        if not authorization.startswith("token-"):
            return 401, {"message": "Unauthorized"}
        if action == "like":
            if (authorization, mysfit["mysfitId"]) not in self.likers:
                self.likers.add((authorization, mysfit["mysfitId"]))
                mysfit["likes"] += 1
            return 200, {**mysfit, "liked": True}
        if mysfit["adopted"]:
            return 409, {"error": {"code": "already_adopted", "message": "adopted already"}}
        mysfit["adopted"] = True
        return 200, mysfit

    def _click(self, body: dict[str, Any]) -> tuple[int, Any]:
        click_id = str(uuid.uuid4())
        self.clicks.append({**body, "clickId": click_id, "at": datetime.now(UTC)})
        return 200, {"clickId": click_id}

    def delivered(self) -> list[bytes]:
        """The clicks as the processor would write them (one JSON line each)."""
        return [
            clicksynth.click_record(self.mysfits[c["mysfitId"]], c["clickId"], c["userId"], c["at"])
            for c in self.clicks
        ]

    def table_items(self) -> list[dict[str, Any]]:
        """The mysfits as `database.scan_items` returns them (plain values, PascalCase)."""
        names = {"mysfitId": "MysfitId", "name": "Name", "species": "Species"}
        names |= {"goodEvil": "GoodEvil", "lawChaos": "LawChaos", "likes": "Likes"}
        return [
            {**{names[k]: m[k] for k in names}, "Adopted": m["adopted"]}
            for m in self.mysfits.values()
        ]
