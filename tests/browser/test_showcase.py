"""The site preview's screenshot: Debian's Chromium through Playwright, one launch per picture."""

from __future__ import annotations

import shutil
import struct

import pytest

from mysfits import showcase


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk comes first
    return width, height


@pytest.fixture(autouse=True)
def chromium() -> None:
    if shutil.which("chromium") is None:
        pytest.fail(
            "Chromium is not installed (no `chromium` on PATH). Run `make test`.", pytrace=False
        )


def test_a_screenshot_shows_the_whole_page_once_the_mysfits_are_listed(make_site) -> None:
    preview = showcase.site_preview(make_site({"version": 1}))
    assert preview.note == "" and preview.png is not None
    width, height = png_size(preview.png)
    assert width == showcase.VIEWPORT["width"] and height > showcase.VIEWPORT["height"]  # full page


def test_a_page_that_cannot_load_gives_a_note_not_an_error(closed_port_url) -> None:
    preview = showcase.site_preview(closed_port_url, timeout_s=5)
    assert preview.png is None and preview.note.startswith("no screenshot: ")
