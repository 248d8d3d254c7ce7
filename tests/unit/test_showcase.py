"""The site preview without a browser: a one-line note instead of a picture; the frame always."""

from __future__ import annotations

import pytest

from mysfits import showcase


def test_without_chromium_the_preview_says_how_to_get_a_screenshot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(showcase.shutil, "which", lambda name: None)
    preview = showcase.site_preview("http://127.0.0.1:9/")
    assert preview.png is None
    assert (
        preview.note.startswith("no screenshot: Chromium is not installed")
        and "apt-get" in preview.note
    )


def test_the_preview_shows_a_frame_and_the_note(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[object] = []
    monkeypatch.setattr("IPython.display.display", lambda *objects, **_: shown.extend(objects))
    showcase.SitePreview("http://127.0.0.1:9/", None, "no screenshot: why")._ipython_display_()
    frame, note = shown
    assert 'src="http://127.0.0.1:9/"' in frame._repr_html_()
    assert note.data == "<i>no screenshot: why</i>"
