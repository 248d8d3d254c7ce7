"""End to end: `mysfits run --only 01,02` on a fresh local cloud, then the site in Chromium.

Site version 2 is served by the S3 website endpoint, reads config.json written by notebook 02,
and lists the mysfits from the Fargate service through the load balancer, across origins (CORS).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]


def _cli(home: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MYSFITS_ENDPOINT_URL"}
    env["MYSFITS_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "mysfits.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    home = tmp_path_factory.mktemp("e2e-home")
    assert _cli(home, "local", "start", "--detach", "--port", "0").returncode == 0
    try:
        run = _cli(home, "run", "--only", "01,02", "--keep", "--output-dir", str(home / "runs"))
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
        endpoints = {e["kind"]: e for e in json.loads(_cli(home, "local", "endpoints").stdout)}
        yield {"site": endpoints["s3-website"]["local_url"], "api": endpoints["nlb"]["local_url"]}
        cleanup = _cli(home, "cleanup")
        assert cleanup.returncode == 0, cleanup.stdout + cleanup.stderr
    finally:
        _cli(home, "local", "stop")


def test_site_lists_mysfits_from_the_api(page: Page, deployed: dict[str, str], browser_log) -> None:
    page.goto(deployed["site"] + "/")
    expect(page.locator("body")).to_have_attribute("data-state", "ready")
    expect(page.locator("body")).to_have_attribute("data-mode", "api")
    expect(page.locator(".mysfit-card")).to_have_count(12)
    assert any(url.startswith(deployed["api"] + "/mysfits") for url in browser_log.requests)
    assert browser_log.errors == []


def test_site_filters_through_the_api(page: Page, deployed: dict[str, str], browser_log) -> None:
    page.goto(deployed["site"] + "/")
    expect(page.locator(".mysfit-card")).to_have_count(12)
    page.select_option("#filter-goodevil", "Evil")
    expect(page.locator(".mysfit-card")).to_have_count(4)
    assert f"{deployed['api']}/mysfits?filter=GoodEvil&value=Evil" in browser_log.requests


def test_missing_page_shows_the_error_document(page: Page, deployed: dict[str, str]) -> None:
    response = page.goto(deployed["site"] + "/no-such-page.html")
    assert response is not None and response.status == 403
    expect(page).to_have_title("Lost in the woods · Mythical Mysfits")
    expect(page.locator("body")).to_contain_text("not found, or it is not public")
