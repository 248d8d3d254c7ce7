"""Module 6's HTML report opened from disk in headless Chromium: every figure loads, and nothing
is fetched but the file itself (figures are inlined)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mysfits import clickreport

from ..unit.clickstory import analysed

pytestmark = pytest.mark.browser
FIGURES = "imgs => imgs.map(i => ({alt: i.alt, loaded: i.complete && i.naturalWidth > 0}))"


def figures_in(page, report: Path) -> list[dict]:
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    return page.eval_on_selector_all("img", FIGURES)


def test_every_figure_of_the_report_loads(page, browser_log, tmp_path: Path) -> None:
    story = analysed()
    sections = clickreport.analysis_sections(story.load, story.clicks, story.joined, story.checks)
    report = tmp_path / "report.html"
    report.write_text(clickreport.render("Clicks", sections), encoding="utf-8")
    figures = figures_in(page, report)
    assert len(figures) == 5
    assert all(f["loaded"] for f in figures), [f["alt"] for f in figures if not f["loaded"]]
    assert browser_log.errors == []
    assert {url.split(":", 1)[0] for url in browser_log.requests} <= {"file", "data"}


def test_a_figure_that_cannot_be_decoded_is_seen_as_not_loaded(page, tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text('<img alt="bad" src="data:image/png;base64,AAAA">', encoding="utf-8")
    assert figures_in(page, broken) == [{"alt": "bad", "loaded": False}]
