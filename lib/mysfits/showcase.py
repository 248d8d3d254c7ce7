"""The site inside the notebook: a live frame for JupyterLab, a screenshot that headless runs keep.

The screenshot comes from Debian's Chromium driven by Playwright (never a downloaded browser):
one launch, one page, a few seconds. Without Chromium or Playwright a one-line note says so.
"""

from __future__ import annotations

import html
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1100, "height": 760}
# The site marks <body data-state> "ready" or "error" once its data has loaded (web/js/site.js).
SITE_SETTLED = "document.body.dataset.state && document.body.dataset.state !== 'loading'"
IMAGES_LOADED = """() => Promise.all(Array.from(document.images).map(img => img.complete ? null :
    new Promise(done => { img.onload = img.onerror = done; })))"""


class PreviewUnavailable(Exception):
    """A screenshot cannot be taken here; the message says why and what would fix it."""


@dataclass(frozen=True)
class SitePreview:
    """A site's URL and, when a browser was at hand, a PNG of how it looks."""

    url: str
    png: bytes | None
    note: str = ""

    def __str__(self) -> str:
        return f"site at {self.url}" + (f" ({self.note})" if self.note else "")

    def _ipython_display_(self) -> None:
        from IPython.display import HTML, IFrame, Image, display

        display(IFrame(self.url, width=VIEWPORT["width"], height=480))
        if self.png is not None:
            display(Image(data=self.png, format="png", width=VIEWPORT["width"] // 2))
        else:
            display(HTML(f"<i>{html.escape(self.note)}</i>"))


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        raise PreviewUnavailable(
            "no screenshot: Chromium is not installed "
            "(`apt-get install chromium` adds it); the frame above is live"
        )
    return path


def _shoot(url: str, chromium: str, timeout_ms: int) -> bytes:
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as missing:
        raise PreviewUnavailable(
            "no screenshot: Playwright is not installed "
            "(`pip install playwright==1.65.2`; no `playwright install`)"
        ) from missing
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
                page.goto(url, wait_until="load", timeout=timeout_ms)
                page.wait_for_function(SITE_SETTLED, timeout=timeout_ms)
                page.evaluate(IMAGES_LOADED)
                return bytes(page.screenshot(type="png", full_page=True))
            finally:
                browser.close()
    except Error as failure:  # the browser could not start or the page did not settle in time
        raise PreviewUnavailable(f"no screenshot: {failure.message.splitlines()[0]}") from failure


def screenshot(url: str, timeout_s: float = 20.0) -> bytes:
    """A PNG of the page at `url` once its data and pictures have loaded.

    Playwright's synchronous API refuses to run where an asyncio loop is running (as in a
    Jupyter kernel), so the browser is driven from a worker thread.
    """
    chromium = _chromium()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="screenshot") as pool:
        return pool.submit(_shoot, url, chromium, int(timeout_s * 1000)).result()


def site_preview(url: str, timeout_s: float = 20.0) -> SitePreview:
    """The site at `url` as a live frame plus a screenshot, or a note saying why there is none."""
    try:
        return SitePreview(url, screenshot(url, timeout_s))
    except PreviewUnavailable as reason:  # a picture is a courtesy: the checks verify the site
        return SitePreview(url, None, str(reason))
