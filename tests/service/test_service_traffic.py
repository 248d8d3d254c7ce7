"""Module 6's traffic generator against the real service (DynamoDB backend in moto): the
requests it sends are the ones the service answers, and its ground truth matches the table."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from mysfits import traffic
from mysfits.trafficclient import Endpoints, MysfitsClient
from mysfits.trafficmodel import Behaviour, plan

from .conftest import TABLE

API, CLICKS = "http://api.test", "http://clicks.test"
# One profile per session and one session per visitor: no visitor likes a mysfit twice, so the
# truth holds whether or not this version of the service counts a user's repeated like again.
ONCE_EACH = Behaviour(users=40, signed_in=40, sessions_per_user=(1, 1), profiles_per_session=(1, 1))


def through(service: TestClient, clicks: list[dict[str, Any]]):
    def send(method: str, url: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" == CLICKS:
            clicks.append(body)
            return 200, {"clickId": str(uuid.uuid4())}
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = service.request(method, path, headers=headers, json=body)
        return response.status_code, response.json()

    return send


def test_the_truth_of_a_run_matches_what_the_service_recorded(dynamo_client, dynamodb) -> None:
    clicks: list[dict[str, Any]] = []
    client = MysfitsClient(
        Endpoints(API, CLICKS), lambda user: f"token-{user}", through(dynamo_client, clicks)
    )
    truth = traffic.start_truth(client, "svc", 3, ONCE_EACH)
    mysfits = [{"mysfitId": k, **v} for k, v in sorted(truth.catalogue.items())]
    traffic.drive(client, plan(ONCE_EACH, mysfits, 3), truth)

    assert len(truth.catalogue) == 12
    assert not any(key.startswith(("browse", "click", "like")) for key in truth.refused), (
        truth.refused
    )
    assert truth.clicks == dict(Counter(c["mysfitId"] for c in clicks))
    items = dynamodb.scan(TableName=TABLE)["Items"]
    likes = {i["MysfitId"]["S"]: int(i.get("Likes", {"N": "0"})["N"]) for i in items}
    adopted = {i["MysfitId"]["S"] for i in items if i.get("Adopted", {}).get("BOOL")}
    assert likes == truth.likes_after() and sum(truth.likes.values()) > 0
    assert adopted == truth.adopted_after() and truth.adoptions
