"""Module 5's stream on the local cloud, counted with module 6's loader: N clicks sent at once
through the click API arrive as exactly N enriched records, and records the processor refuses
(put on the stream directly, as the API's validator would refuse them) arrive as error records,
so what went in equals what the loader reports, ok plus failed."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mysfits import clicks, clicksynth
from mysfits.streaming import ClickStream
from mysfits.workshop import Workshop

from .clickstream import deploy_click_stream, wait_for_records

pytestmark = pytest.mark.integration
SENT = 200
CONCURRENCY = 16
UNKNOWN = "00000000-0000-4000-8000-000000000000"
# What only a direct PutRecord can carry: the API's request validator refuses each of these.
MALFORMED = [
    b"{this is not json",
    b'["a", "list"]',
    json.dumps({"clickId": "direct-no-mysfit", "requestTime": 1}).encode(),
    json.dumps({"clickId": "direct-unknown", "mysfitId": UNKNOWN, "requestTime": 1}).encode(),
]


@pytest.fixture
def stream(ws: Workshop) -> ClickStream:
    return deploy_click_stream(ws)


def send_concurrently(ws: Workshop, stream: ClickStream, ids: list[str]) -> dict[str, Any]:
    """SENT clicks through the API, CONCURRENCY at a time: each answer's clickId -> its body."""
    bodies = [{"mysfitId": ids[n % len(ids)], "userId": f"u{n:03d}"} for n in range(SENT)]
    answers = clicks.send_all(ws, stream, bodies, concurrency=CONCURRENCY)
    assert Counter(a.status for a in answers) == {200: SENT}, [a.body for a in answers][:3]
    return {str(a.click_id): a.sent for a in answers if a.click_id}


def assert_enriched(got: pd.DataFrame, sent: dict[str, Any], catalogue: dict[str, Any]) -> None:
    """Each click is the one sent, with its mysfit's attributes and both timestamps."""
    for click_id, body in sent.items():
        record, mysfit = got.loc[click_id], catalogue[body["mysfitId"]]
        assert (record["mysfitId"], record["userId"]) == (body["mysfitId"], body["userId"])
        assert (record["name"], record["species"]) == (mysfit["name"], mysfit["species"])
    assert got["processedAt"].notna().all() and got["requestTime"].notna().all()


def test_clicks_sent_concurrently_arrive_exactly_once_enriched_and_failures_add_up(
    ws: Workshop, stream: ClickStream, tmp_path: Path
) -> None:
    catalogue = {m["mysfitId"]: m for m in clicksynth.catalogue()}
    sent = send_concurrently(ws, stream, sorted(catalogue))
    assert len(sent) == SENT  # one distinct request id per click
    for body in MALFORMED:
        ws.client("firehose").put_record(
            DeliveryStreamName=stream.stream_name, Record={"Data": body}
        )

    loaded = wait_for_records(ws, stream, SENT + len(MALFORMED), tmp_path / "cache")

    got = loaded.clicks.set_index("clickId")
    assert sorted(got.index) == sorted(sent)
    assert (len(loaded.duplicates), len(loaded.incomplete), len(loaded.malformed)) == (0, 0, 0)
    assert_enriched(got, sent, catalogue)
    assert sorted(loaded.failed["rawData"]) == sorted(body.decode() for body in MALFORMED)
    assert set(loaded.failed["errorOutputType"]) == {"processing-failed"}
    assert SENT + len(MALFORMED) == len(loaded.clicks) + len(loaded.failed)  # in = ok + failed
