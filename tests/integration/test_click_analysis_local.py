"""Module 6's loader against the local cloud's S3, with deliveries written in Firehose's layout
(module 5's stream is not needed): plain and GZIP objects, a redelivered batch, an error record
of the run, and a delivery that arrives while the notebook waits."""

from __future__ import annotations

import gzip
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mysfits import analysis, clicksynth
from mysfits.workshop import Workshop

from ..unit.clickstory import analysed

pytestmark = pytest.mark.integration
ERRORS = "processing-failed/"


def put(ws: Workshop, bucket: str, body: bytes, second: int, zipped: bool = False) -> None:
    key = clicksynth.firehose_key("clicks/", datetime.now(UTC) + timedelta(seconds=second))
    if zipped:
        key, body = key + ".gz", gzip.compress(body)
    ws.client("s3").put_object(Bucket=bucket, Key=key, Body=body)


def test_the_loader_finds_every_click_of_the_run_as_it_arrives(
    ws: Workshop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MYSFITS_HOME", str(tmp_path))  # the cache goes to this test's own home
    story = analysed()
    bucket = f"{ws.prefix}-clicks-{ws.account_id}-{ws.region}"
    ws.client("s3").create_bucket(Bucket=bucket)
    bodies = clicksynth.objects(story.lines[:-1], 1_000)  # the last click is refused instead
    for n, body in enumerate(bodies):
        put(ws, bucket, body, n, zipped=n % 2 == 1)
    put(ws, bucket, bodies[0], 100)  # a retried batch, delivered again
    refused = story.lines[-1].replace(b'"mysfitId":"', b'"mysfitId":"unknown-')
    error_key = clicksynth.firehose_key(ERRORS, datetime.now(UTC))
    late = threading.Timer(
        1.0,
        lambda: ws.client("s3").put_object(
            Bucket=bucket, Key=error_key, Body=clicksynth.error_object([refused])
        ),
    )
    late.start()
    loaded = analysis.wait_for_clicks(ws, bucket, story.truth, timeout=60, interval=0.5)
    late.join()

    clicks = analysis.of_run(loaded.clicks, story.truth.run_id)
    assert len(clicks) == story.truth.total_clicks - 1 and len(loaded.failed) == 1
    assert loaded.failed["rawData"][0] == refused.decode()
    assert len(loaded.duplicates) == bodies[0].count(b"\n")
    # A click the stream refused is missing from the figures: the check against the truth says so.
    per_minute = analysis.check_clicks_per_minute(analysis.clicks_per_minute(clicks), story.truth)
    assert not per_minute and f"the truth sent {story.truth.total_clicks}" in per_minute.evidence
    assert loaded.objects == len(bodies) + 2
    assert analysis.load_clicks(ws, bucket).fetched == 0  # everything is in the cache now
    assert analysis.delete_cache(ws, bucket) and not analysis.delete_cache(ws, bucket)
