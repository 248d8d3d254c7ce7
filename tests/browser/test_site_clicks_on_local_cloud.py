"""Site version 4 on module 5's real click stream: opening a profile in Chromium sends a click
through the API Gateway stage to Firehose, the Lambda processor enriches it, and it lands in S3.

The list comes from the site's own mysfits.json (static mode): the Mysfits service is not part
of the click path, so it is not started.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

import mysfits
from mysfits.streaming import ClickStream
from mysfits.workshop import Workshop

from ..integration.clickstream import deploy_click_stream, wait_for_records
from ..integration.conftest import running_cloud
from .test_site_versions import open_profile

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workshop, ClickStream]]:
    with running_cloud(tmp_path_factory.mktemp("clicks-home")) as cloud:
        prefix = f"c{uuid.uuid4().hex[:6]}"
        ws = mysfits.connect("local", prefix=prefix, endpoint_url=str(cloud["endpoint_url"]))
        yield ws, deploy_click_stream(ws)


def test_opening_a_profile_records_an_enriched_click(
    page: Page, make_site, mysfits, deployed, browser_log, tmp_path: Path
) -> None:
    ws, stream = deployed
    clicks_url = ws.url(stream.clicks_url)
    page.goto(make_site({"version": 4, "clicksUrl": clicks_url}))
    expect(page.locator("body")).to_have_attribute("data-state", "ready")
    mysfit = mysfits[5]
    open_profile(page, mysfit)

    loaded = wait_for_records(ws, stream, 1, tmp_path / "cache")

    assert clicks_url in browser_log.requests
    assert len(loaded.failed) == 0 and len(loaded.clicks) == 1
    click = loaded.clicks.iloc[0]
    assert click["mysfitId"] == mysfit["mysfitId"]
    enrichment = ("name", "species", "goodEvil", "lawChaos")
    assert {k: click[k] for k in enrichment} == {k: mysfit[k] for k in enrichment}
    assert pd.notna(click["processedAt"]) and pd.notna(click["requestTime"]) and click["clickId"]
    assert pd.isna(click["userId"])  # nobody is signed in: the site sends no userId
    assert browser_log.errors == []
