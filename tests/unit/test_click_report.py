"""The HTML report: self-contained (figures inlined, nothing fetched), under the run directory."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from mysfits import clickreport, paths

from .clickstory import analysed


@pytest.fixture(scope="module")
def sections() -> list[clickreport.Section]:
    story = analysed()
    return clickreport.analysis_sections(story.load, story.clicks, story.joined, story.checks)


def test_the_report_inlines_every_figure_and_references_nothing_else(
    sections, monkeypatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(paths.RUN_DIR_ENV, str(tmp_path))
    written = clickreport.write_report("Clicks", sections, note="run run1")
    assert written == tmp_path / "click-analysis.html"
    page = written.read_text()
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([A-Za-z0-9+/=]+)">', page)
    assert len(images) == 5 and all(alt for alt, _ in images)
    assert not re.search(r'(src|href)="(?!data:)', page), "the report must not load other files"
    assert page.count("&#10004;") == 4  # the checks, rendered as they are in the notebook


def test_without_a_run_directory_the_report_goes_to_runs_analysis(monkeypatch) -> None:
    monkeypatch.delenv(paths.RUN_DIR_ENV, raising=False)
    assert paths.run_dir() == paths.repo_root() / "runs" / "analysis"


def test_a_section_refuses_what_it_cannot_show() -> None:
    with pytest.raises(TypeError, match="cannot show a dict"):
        clickreport.render("x", [clickreport.Section("bad", content=[{"a": 1}])])


def test_tables_and_series_render_as_html_tables() -> None:
    page = clickreport.render(
        "x", [clickreport.Section("t", content=[pd.Series({"a": 1}), pd.DataFrame({"b": [2]})])]
    )
    assert page.count("<table") == 2 and "<title>x</title>" in page
