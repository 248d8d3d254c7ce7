"""The API checks against the real Mysfits service on loopback, and against flawed stand-ins.

Passing states come from the service itself (tests/service covers it): version 1 on the data
file, version 2 on a table seeded by the library in moto's DynamoDB. Broken states are either
real (version 1 cannot like or adopt; a table missing a mysfit) or a small server with the flaw
the check exists to catch (HTML error pages, a like counted twice, adoptions without a condition).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from mysfits import database, paths, serviceapi
from mysfits.workshop import Workshop

from .fakes import Request, http_server, serve_app

SERVICE_DIR = Path(__file__).resolve().parents[2] / "service"
if str(SERVICE_DIR) not in sys.path:
    sys.path.insert(0, str(SERVICE_DIR))

from mysfits_service.app import create_app  # noqa: E402
from mysfits_service.config import Settings  # noqa: E402

MYSFITS = json.loads(paths.data_file().read_text())["mysfits"]
GRETTA = next(m for m in MYSFITS if m["name"] == "Gretta")
EVANGELINE = next(m for m in MYSFITS if m["name"] == "Evangeline")  # Evil


@pytest.fixture
def file_api() -> Iterator[str]:
    """Version 1 of the service: the data file, read-only."""
    with serve_app(create_app(Settings(data_file=str(paths.data_file())))) as url:
        yield url


@pytest.fixture
def table(ws: Workshop) -> database.Table:
    table = database.ensure_table(ws)
    database.seed_table(ws, table)
    return table


@pytest.fixture
def table_api(
    ws: Workshop, table: database.Table, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Version 2 of the service: the seeded table (moto's DynamoDB, in-process), no list cache."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", ws.region)
    with serve_app(create_app(Settings(table=table.name, list_cache_seconds=0))) as url:
        yield url


def _json(status: int, body: Any) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(body).encode()


# -- GET /mysfits ----------------------------------------------------------------------------------


def test_list_passes_on_the_service(file_api: str) -> None:
    check = serviceapi.check_list(file_api, expect_count=12)
    assert check.ok and check.evidence == "HTTP 200, 12 mysfits"


def test_list_fails_when_the_table_lost_a_mysfit(
    ws: Workshop, table: database.Table, table_api: str
) -> None:
    ws.client("dynamodb").delete_item(
        TableName=table.name, Key={"MysfitId": {"S": GRETTA["mysfitId"]}}
    )
    check = serviceapi.check_list(table_api, expect_count=12)
    assert not check.ok and check.evidence == "HTTP 200, 11 mysfits"


def test_list_fails_when_something_else_answers() -> None:
    with http_server(lambda request: (502, "text/html", b"<html>502 Bad Gateway</html>")) as url:
        check = serviceapi.check_list(url)
    assert not check.ok and check.evidence == "HTTP 502, None mysfits"


# -- filters ---------------------------------------------------------------------------------------


def test_filter_passes_on_the_service(file_api: str) -> None:
    check = serviceapi.check_filter(file_api, "GoodEvil", "Evil", expect_count=4)
    assert check.ok and check.evidence == "HTTP 200, 4 mysfits, all goodEvil=Evil: True"


def test_filter_fails_when_an_item_was_changed(
    ws: Workshop, table: database.Table, table_api: str
) -> None:
    ws.client("dynamodb").update_item(
        TableName=table.name,
        Key={"MysfitId": {"S": EVANGELINE["mysfitId"]}},
        UpdateExpression="SET GoodEvil = :v",
        ExpressionAttributeValues={":v": {"S": "Good"}},
    )
    check = serviceapi.check_filter(table_api, "GoodEvil", "Evil", expect_count=4)
    assert not check.ok and check.evidence == "HTTP 200, 3 mysfits, all goodEvil=Evil: True"


def test_filter_fails_when_the_api_ignores_the_filter() -> None:
    # Four mysfits, so the count matches; but they are not the four Evil ones.
    first_four = {"mysfits": MYSFITS[:4]}
    with http_server(lambda request: _json(200, first_four)) as url:
        check = serviceapi.check_filter(url, "GoodEvil", "Evil", expect_count=4)
    assert not check.ok and check.evidence == "HTTP 200, 4 mysfits, all goodEvil=Evil: False"


# -- status codes ----------------------------------------------------------------------------------


def test_status_passes_on_the_services_json_errors(file_api: str) -> None:
    bad_filter = serviceapi.check_status(file_api, "/mysfits?filter=Colour&value=Red", expect=400)
    unknown = serviceapi.check_status(
        file_api, "/mysfits/00000000-0000-0000-0000-000000000000", expect=404
    )
    assert bad_filter.ok and unknown.ok, (bad_filter, unknown)
    assert bad_filter.evidence.startswith("HTTP 400 application/json")


def test_status_fails_on_an_html_error_page() -> None:
    # The right status from the wrong server: a default web server's page, not the API's JSON error.
    with http_server(lambda request: (404, "text/html", b"<html><h1>Not Found</h1></html>")) as url:
        check = serviceapi.check_status(
            url, "/mysfits/00000000-0000-0000-0000-000000000000", expect=404
        )
    assert not check.ok and check.evidence == "HTTP 404 text/html: <html><h1>Not Found</h1></html>"


def test_status_fails_on_another_status(file_api: str) -> None:
    check = serviceapi.check_status(file_api, f"/mysfits/{GRETTA['mysfitId']}", expect=404)
    assert not check.ok and check.evidence.startswith("HTTP 200 application/json")


# -- likes and adoptions ---------------------------------------------------------------------------


class FlawedApi:
    """Serves one mysfit, writing it wrongly: a like adds `like_step`, adopting is unconditional."""

    def __init__(self, like_step: int = 1) -> None:
        self.mysfit = {**GRETTA, "likes": 0, "adopted": False}
        self.like_step = like_step

    def __call__(self, request: Request) -> tuple[int, str, bytes]:
        path = urlsplit(request.path).path
        if path.endswith("/like"):
            self.mysfit["likes"] += self.like_step
        elif path.endswith("/adopt"):
            self.mysfit["adopted"] = True  # should answer 409 once it is already adopted
        return _json(200, self.mysfit)


def test_like_passes_on_the_table_backed_service(table_api: str) -> None:
    check = serviceapi.check_like(table_api, GRETTA["mysfitId"])
    assert check.ok and check.evidence == "likes 0 -> 1, POST answered HTTP 200"


def test_like_fails_on_the_read_only_version(file_api: str) -> None:
    check = serviceapi.check_like(file_api, GRETTA["mysfitId"])
    assert not check.ok and check.evidence.endswith("POST answered HTTP 501")


def test_like_fails_when_a_like_counts_twice() -> None:
    with http_server(FlawedApi(like_step=2)) as url:
        check = serviceapi.check_like(url, GRETTA["mysfitId"])
    assert not check.ok and check.evidence == "likes 0 -> 2, POST answered HTTP 200"


def test_adopt_passes_once_then_conflicts(table_api: str) -> None:
    check = serviceapi.check_adopt(table_api, GRETTA["mysfitId"])
    assert check.ok and check.evidence == "POST /adopt answered 200 then 409; adopted now: True"
    again = serviceapi.check_adopt(table_api, GRETTA["mysfitId"])  # a second run finds it adopted
    assert (
        again.ok
        and again.evidence
        == "POST /adopt answered 409 (adopted by an earlier run); adopted now: True"
    )


def test_adopt_fails_on_the_read_only_version(file_api: str) -> None:
    check = serviceapi.check_adopt(file_api, GRETTA["mysfitId"])
    assert not check.ok and check.evidence == "the first adoption answered HTTP 501"


def test_adopt_fails_when_a_second_adoption_is_accepted() -> None:
    with http_server(FlawedApi()) as url:
        check = serviceapi.check_adopt(url, GRETTA["mysfitId"])
    assert not check.ok and check.evidence == "POST /adopt answered 200 then 200; adopted now: True"


def test_adopt_fails_for_a_mysfit_the_api_does_not_know(table_api: str) -> None:
    check = serviceapi.check_adopt(table_api, "00000000-0000-0000-0000-000000000000")
    assert not check.ok and check.evidence.endswith("did not answer 200")
