"""The analysis answers and their checks against the truth: passing on a faithful delivery,
failing on each kind of discrepancy (fake site for the traffic, S3 in moto for the delivery)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from mysfits import analysis, clicksynth, traffic
from mysfits.trafficclient import Endpoints, MysfitsClient
from mysfits.trafficmodel import Behaviour, plan
from mysfits.workshop import Workshop

from .fakeapi import API, CLICKS, FakeSite, token

BUCKET = "clicks-bucket"


@pytest.fixture(scope="module")
def ran() -> tuple[FakeSite, traffic.GroundTruth]:
    site = FakeSite(likes={clicksynth.catalogue()[0]["mysfitId"]: 3})
    client = MysfitsClient(Endpoints(API, CLICKS), token, site.send)
    behaviour = Behaviour(users=20, signed_in=10)
    truth = traffic.start_truth(client, "run1", 4, behaviour)
    traffic.drive(client, plan(behaviour, clicksynth.catalogue(), 4), truth)
    return site, truth


def deliver(ws: Workshop, lines: list[bytes], again: int = 0) -> analysis.ClickLoad:
    s3 = ws.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    start = datetime.now(UTC)
    bodies = clicksynth.objects(lines, 2_000) + clicksynth.objects(lines[:again], 2_000)
    for n, body in enumerate(bodies):
        key = clicksynth.firehose_key("clicks/", start + timedelta(seconds=n))
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return analysis.load_clicks(ws, BUCKET, cache=False)


def answers(clicks: pd.DataFrame, site: FakeSite) -> dict[str, object]:
    return {
        "per_mysfit": analysis.clicks_per_mysfit(clicks),
        "top": analysis.top_mysfits(clicks, 3),
        "per_minute": analysis.clicks_per_minute(clicks),
        "joined": analysis.funnel(clicks, site.table_items()),
    }


def all_checks(clicks: pd.DataFrame, found: dict, truth: traffic.GroundTruth) -> list:
    return [
        analysis.check_total_clicks(clicks, truth),
        analysis.check_clicks_per_mysfit(found["per_mysfit"], truth),
        *(
            analysis.check_clicks_by(analysis.clicks_by(clicks, a), truth, a)
            for a in analysis.ATTRIBUTES
        ),
        analysis.check_top_mysfits(found["top"], truth),
        analysis.check_clicks_per_minute(found["per_minute"], truth),
        analysis.check_likes(found["joined"], truth),
        analysis.check_adoptions(found["joined"], truth),
    ]


def test_every_check_passes_when_the_delivery_is_faithful_even_with_redeliveries(ws, ran) -> None:
    site, truth = ran
    loaded = deliver(ws, site.delivered(), again=7)
    assert len(loaded.duplicates) == 7
    clicks = analysis.of_run(loaded.clicks, truth.run_id)
    checks = all_checks(clicks, answers(clicks, site), truth)
    assert all(checks), [str(c) for c in checks if not c]


def test_a_lost_click_fails_the_counts_that_include_it(ws, ran) -> None:
    site, truth = ran
    clicks = analysis.of_run(deliver(ws, site.delivered()[1:]).clicks, truth.run_id)
    failed = {c.name for c in all_checks(clicks, answers(clicks, site), truth) if not c}
    assert {"clicks of the run (deduplicated)", "clicks per mysfit", "clicks per species"} <= failed
    assert "likes in the table" not in failed


def test_clicks_of_another_run_are_left_out(ws, ran) -> None:
    site, truth = ran
    other = clicksynth.click_record(
        clicksynth.catalogue()[0], "x-1", "run2-0001", datetime.now(UTC)
    )
    clicks = analysis.of_run(deliver(ws, [*site.delivered(), other]).clicks, truth.run_id)
    assert "x-1" not in set(clicks["clickId"]) and analysis.check_total_clicks(clicks, truth)


def test_the_table_checks_fail_on_a_wrong_like_or_adoption(ran) -> None:
    site, truth = ran
    items = site.table_items()
    items[0] = {**items[0], "Likes": items[0]["Likes"] + 1}
    adopted = next(i for i, item in enumerate(items) if not item["Adopted"])
    items[adopted] = {**items[adopted], "Adopted": True}
    joined = analysis.funnel(pd.DataFrame(columns=["mysfitId", "clickId", "userId"]), items)
    assert not analysis.check_likes(joined, truth)
    assert not analysis.check_adoptions(joined, truth)


def test_minutes_outside_the_run_fail_the_per_minute_check(ran) -> None:
    _, truth = ran
    late = pd.Timestamp(truth.finished) + pd.Timedelta(minutes=5)
    per_minute = pd.Series([truth.total_clicks], index=pd.DatetimeIndex([late]))
    check = analysis.check_clicks_per_minute(per_minute, truth)
    assert not check and f"sent {truth.total_clicks}" in check.evidence


def test_a_top_list_with_a_wrong_count_fails(ran) -> None:
    _, truth = ran
    best = max(truth.clicks, key=truth.clicks.get)
    top = pd.DataFrame({"clicks": [truth.clicks[best] + 1]}, index=[best])
    assert not analysis.check_top_mysfits(top, truth)


def test_attribute_comparison_explains_likes_and_adoptions_per_value(ran) -> None:
    site, truth = ran
    joined = analysis.funnel(
        pd.DataFrame(columns=["mysfitId", "clickId", "userId"]), site.table_items()
    )
    table = analysis.attribute_comparison(replace_clicks(joined, truth), "goodEvil")
    assert set(table.index) == {"Good", "Neutral", "Evil"}
    assert table["mysfits"].sum() == 12 and table["clicks"].sum() == truth.total_clicks


def replace_clicks(joined: pd.DataFrame, truth: traffic.GroundTruth) -> pd.DataFrame:
    joined = joined.copy()
    joined["clicks"] = [truth.clicks.get(i, 0) for i in joined.index]
    return joined


def test_the_loader_caches_under_the_workshop_home(ws, ran, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MYSFITS_HOME", str(tmp_path))
    site, _ = ran
    deliver(ws, site.delivered())
    assert analysis.load_clicks(ws, BUCKET).fetched > 0
    assert analysis.load_clicks(ws, BUCKET).fetched == 0
    assert list((tmp_path / "cache" / "clicks").glob(f"*{BUCKET}*/clicks.parquet"))


def test_an_unknown_attribute_is_refused() -> None:
    with pytest.raises(ValueError, match="species, goodEvil, lawChaos"):
        analysis.clicks_by(pd.DataFrame(), "colour")
