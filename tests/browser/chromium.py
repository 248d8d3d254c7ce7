"""Find the Chromium or Chrome the browser tests drive (never a browser Playwright downloads).

`python -m tests.browser.chromium` prints its path, or how to install one and exits 1: `make
system-deps` asks it before deciding whether to install Debian's `chromium`.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

OVERRIDE = "MYSFITS_CHROMIUM"  # a browser of the user's choice, by path
COMMANDS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
MACOS_APPS = (
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
)
HOW_TO_INSTALL = (
    "No Chromium or Chrome found for the browser tests. Install one: on Debian or Ubuntu "
    "`apt-get install chromium` (make test does this where apt-get exists), on macOS "
    "`brew install --cask chromium` or Google Chrome from google.com/chrome; or set "
    f"{OVERRIDE}=/path/to/chrome. The tests never download a browser with `playwright install`."
)


def find() -> str | None:
    """The browser's executable: $MYSFITS_CHROMIUM, a command on PATH, or a macOS app."""
    chosen = os.environ.get(OVERRIDE)
    if chosen:
        return chosen if Path(chosen).is_file() else None
    for command in COMMANDS:
        found = shutil.which(command)
        if found:
            return found
    return next((app for app in MACOS_APPS if Path(app).is_file()), None)


def why_missing() -> str:
    """What to do when `find()` found nothing."""
    chosen = os.environ.get(OVERRIDE)
    return (
        f"{OVERRIDE}={chosen} is not a file: point it at a Chrome or Chromium executable."
        if chosen
        else HOW_TO_INSTALL
    )


if __name__ == "__main__":
    browser = find()
    print(browser or why_missing(), file=sys.stdout if browser else sys.stderr)
    sys.exit(0 if browser else 1)
