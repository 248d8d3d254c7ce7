"""Module 6 on module 5's real click stream (local cloud): clicks sent through the click API
with the traffic client arrive enriched, the one the processor refuses arrives as an error
record, and the loader and the checks find exactly what was sent."""

from __future__ import annotations

import random
import uuid
from collections import Counter

import pytest

import mysfits
from mysfits import analysis, clicksynth, traffic
from mysfits.trafficclient import MysfitsClient, http_transport, own_endpoints

from .clickstream import deploy_click_stream

pytestmark = pytest.mark.integration
UNKNOWN = "00000000-0000-4000-8000-000000000000"  # UUID-shaped, so the API admits it


def test_clicks_sent_through_the_click_api_are_loaded_and_checked(
    local_cloud: dict[str, object], tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MYSFITS_HOME", str(tmp_path))
    ws = mysfits.connect(
        "local", prefix=f"a{uuid.uuid4().hex[:8]}", endpoint_url=str(local_cloud["endpoint_url"])
    )
    stream = deploy_click_stream(ws)
    base = stream.clicks_url.removesuffix("/clicks")
    client = MysfitsClient(own_endpoints(ws, base, base), lambda user: "", http_transport())

    catalogue = {m["mysfitId"]: m for m in clicksynth.catalogue()}
    rng, run_id = random.Random(5), "itrun"
    sent = [rng.choice(sorted(catalogue)) for _ in range(40)]
    for n, mysfit_id in enumerate([*sent, UNKNOWN]):
        status, body = client.send_click(mysfit_id, f"{run_id}-{n % 7:04d}")
        assert status == 200 and body["clickId"], body

    keep = ("name", "species", "goodEvil", "lawChaos")
    truth = traffic.GroundTruth(
        run_id, 5, {}, {k: {f: m[f] for f in keep} for k, m in catalogue.items()}, {}, []
    )
    truth.clicks = dict(Counter(sent))
    truth.clicks[UNKNOWN] = 1  # accepted by the API; the processor refuses it
    loaded = analysis.wait_for_clicks(ws, stream.bucket, truth, timeout=120, interval=1)

    clicks = analysis.of_run(loaded.clicks, run_id)
    assert len(clicks) == len(sent) and clicks["clickId"].is_unique
    assert list(loaded.failed["mysfitId"]) == [UNKNOWN]
    assert set(loaded.failed["errorOutputType"]) == {"processing-failed"}
    truth.clicks.pop(UNKNOWN)
    assert analysis.check_clicks_per_mysfit(analysis.clicks_per_mysfit(clicks), truth)
    assert analysis.check_clicks_by(analysis.clicks_by(clicks, "species"), truth, "species")
    assert str(clicks["requestTime"].dtype) == "datetime64[us, UTC]"
    assert clicks["requestTime"].notna().all() and clicks["processedAt"].notna().all()
