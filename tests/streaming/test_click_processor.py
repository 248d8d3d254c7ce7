"""The click processor: enrichment, per-record failures, one lookup per mysfit, Firehose's reply."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from click_processor import app
from tests.streaming.conftest import TABLE, click, item, record

NOW = datetime(2026, 5, 1, 12, 30, 45, 678_000, tzinfo=UTC)
UNKNOWN = "00000000-0000-4000-8000-000000000000"


class FakeDynamo:
    """BatchGetItem over a dict of items; `unprocessed` holds back that many keys per call."""

    def __init__(self, items: list[dict[str, Any]], unprocessed: list[int] | None = None):
        self.items = {i["MysfitId"]["S"]: i for i in items}
        self.unprocessed = list(unprocessed or [])
        self.calls: list[list[str]] = []

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        ((table, request),) = RequestItems.items()
        keys = [key["MysfitId"]["S"] for key in request["Keys"]]
        assert len(keys) <= 100, "BatchGetItem takes at most 100 keys"
        self.calls.append(keys)
        held = self.unprocessed.pop(0) if self.unprocessed else 0
        served, kept = keys[held:], keys[:held]
        answer: dict[str, Any] = {
            "Responses": {table: [self.items[k] for k in served if k in self.items]}
        }
        if kept:
            answer["UnprocessedKeys"] = {
                table: {**request, "Keys": [{"MysfitId": {"S": k}} for k in kept]}
            }
        return answer


@pytest.fixture(autouse=True)
def _fresh_client() -> None:
    app._clients.clear()  # a warm client from another test's moto must not be reused


def decoded(entry: dict[str, str]) -> bytes:
    return base64.b64decode(entry["data"])


def run(records: list[dict[str, Any]], dynamo: FakeDynamo) -> dict[str, Any]:
    return app.transform(
        records, lambda ids: app.lookup(dynamo, TABLE, ids, sleep=lambda s: None), lambda: NOW
    )


def test_a_click_is_enriched_as_one_json_line(mysfits: list[dict[str, Any]]) -> None:
    mysfit = mysfits[0]
    reply = run(
        [record("r1", click(mysfit["mysfitId"], 1, user="ana"))], FakeDynamo([item(mysfit)])
    )
    (entry,) = reply["records"]
    assert entry["recordId"] == "r1" and entry["result"] == "Ok"
    line = decoded(entry)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line) == {
        "clickId": "click-1",
        "mysfitId": mysfit["mysfitId"],
        "userId": "ana",
        "requestTime": "2023-11-14T22:13:20.001Z",
        "processedAt": "2026-05-01T12:30:45.678Z",
        "name": mysfit["name"],
        "species": mysfit["species"],
        "goodEvil": mysfit["goodEvil"],
        "lawChaos": mysfit["lawChaos"],
        "age": mysfit["age"],
    }


def test_a_click_without_a_user_has_a_null_user_id(mysfits: list[dict[str, Any]]) -> None:
    reply = run([record("r1", click(mysfits[0]["mysfitId"]))], FakeDynamo([item(mysfits[0])]))
    assert json.loads(decoded(reply["records"][0]))["userId"] is None


@pytest.mark.parametrize(
    ("why", "bad"),
    [
        ("not JSON", record("bad", None, raw=b"{not json")),
        ("not base64", {"recordId": "bad", "data": "***"}),
        ("not an object", record("bad", ["a", "list"])),
        ("no clickId", record("bad", {"mysfitId": UNKNOWN, "requestTime": 1})),
        ("no mysfitId", record("bad", {"clickId": "c", "requestTime": 1})),
        ("no requestTime", record("bad", {"clickId": "c", "mysfitId": UNKNOWN})),
        ("mysfitId not a UUID", record("bad", click("not-a-uuid"))),
        ("requestTime a date", record("bad", {**click(UNKNOWN), "requestTime": "2024-01-01"})),
        ("userId a number", record("bad", click(UNKNOWN, user=7))),  # type: ignore[arg-type]
        ("an unknown mysfit", record("bad", click(UNKNOWN))),
    ],
)
def test_a_bad_record_fails_alone_and_keeps_its_data(
    why: str, bad: dict[str, Any], mysfits: list[dict[str, Any]]
) -> None:
    good = [record(f"ok{i}", click(m["mysfitId"], i)) for i, m in enumerate(mysfits[:2])]
    records = [good[0], bad, good[1]]
    reply = run(records, FakeDynamo([item(m) for m in mysfits]))
    results = [(e["recordId"], e["result"]) for e in reply["records"]]
    assert results == [("ok0", "Ok"), ("bad", "ProcessingFailed"), ("ok1", "Ok")], why
    assert reply["records"][1]["data"] == bad["data"]  # the original bytes, for the error prefix


def test_the_reply_has_exactly_firehoses_shape(mysfits: list[dict[str, Any]]) -> None:
    records = [record(f"id-{i}", click(mysfits[i % 3]["mysfitId"], i)) for i in range(7)]
    records.append(record("id-bad", None, raw=b"\xff"))
    reply = run(records, FakeDynamo([item(m) for m in mysfits]))
    assert list(reply) == ["records"]
    assert [e["recordId"] for e in reply["records"]] == [r["recordId"] for r in records]
    assert all(set(e) == {"recordId", "result", "data"} for e in reply["records"])
    assert {e["result"] for e in reply["records"]} == {"Ok", "ProcessingFailed"}


def test_each_distinct_mysfit_is_looked_up_once_per_batch(mysfits: list[dict[str, Any]]) -> None:
    records = [record(str(i), click(mysfits[i % len(mysfits)]["mysfitId"], i)) for i in range(500)]
    dynamo = FakeDynamo([item(m) for m in mysfits])
    reply = run(records, dynamo)
    assert len(dynamo.calls) == 1
    assert sorted(dynamo.calls[0]) == sorted(m["mysfitId"] for m in mysfits)
    assert all(e["result"] == "Ok" for e in reply["records"])


def test_a_batch_of_only_bad_records_looks_nothing_up() -> None:
    dynamo = FakeDynamo([])
    reply = run([record("1", None, raw=b"nope")], dynamo)
    assert dynamo.calls == [] and reply["records"][0]["result"] == "ProcessingFailed"


def test_more_than_100_mysfits_are_asked_for_100_at_a_time(mysfits: list[dict[str, Any]]) -> None:
    template = item(mysfits[0])
    ids = [f"{n:08x}-0000-4000-8000-000000000000" for n in range(250)]
    dynamo = FakeDynamo([{**template, "MysfitId": {"S": i}} for i in ids])
    reply = run([record(i, click(i)) for i in ids], dynamo)
    assert [len(keys) for keys in dynamo.calls] == [100, 100, 50]
    assert sorted(k for keys in dynamo.calls for k in keys) == sorted(ids)
    assert all(e["result"] == "Ok" for e in reply["records"])


def test_unprocessed_keys_are_asked_for_again(mysfits: list[dict[str, Any]]) -> None:
    dynamo = FakeDynamo([item(m) for m in mysfits], unprocessed=[5, 2])
    pauses: list[float] = []
    found = app.lookup(dynamo, TABLE, [m["mysfitId"] for m in mysfits], sleep=pauses.append)
    assert set(found) == {m["mysfitId"] for m in mysfits}
    assert [len(keys) for keys in dynamo.calls] == [12, 5, 2]
    assert len(pauses) == 2  # a pause before each retry


def test_keys_left_unprocessed_after_every_retry_fail_the_invocation(
    mysfits: list[dict[str, Any]],
) -> None:
    dynamo = FakeDynamo([item(m) for m in mysfits], unprocessed=[1] * app.MAX_ATTEMPTS)
    records = [record("1", click(mysfits[0]["mysfitId"]))]
    with pytest.raises(app.LookupIncomplete, match="1 mysfit lookups still unprocessed"):
        run(records, dynamo)
    assert len(dynamo.calls) == app.MAX_ATTEMPTS


def test_the_handler_reads_the_table_named_by_its_environment(
    table: Any, mysfits: list[dict[str, Any]]
) -> None:
    """Against moto's DynamoDB: the projection (with the reserved word Name) is accepted."""
    records = [record(str(i), click(m["mysfitId"], i)) for i, m in enumerate(mysfits)]
    records.append(record("unknown", click(UNKNOWN)))
    reply = app.handler({"invocationId": "x", "records": records})
    results = {e["recordId"]: e["result"] for e in reply["records"]}
    assert results.pop("unknown") == "ProcessingFailed"
    assert set(results.values()) == {"Ok"}
    names = {json.loads(decoded(e))["name"] for e in reply["records"] if e["result"] == "Ok"}
    assert names == {m["name"] for m in mysfits}


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_become_one_answer_and_never_an_exception(data: bytes) -> None:
    reply = run([record("x", None, raw=data)], FakeDynamo([]))
    (entry,) = reply["records"]
    assert entry["recordId"] == "x" and entry["result"] == "ProcessingFailed"
