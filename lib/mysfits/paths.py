"""Where the workshop's own files live: the site, the data set, the service."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import WorkshopError


def repo_root() -> Path:
    """The repository checkout (`$MYSFITS_REPO`, else found from this package's location)."""
    override = os.environ.get("MYSFITS_REPO")
    candidates = (
        [Path(override)]
        if override
        else [Path(__file__).resolve().parents[2], Path.cwd(), Path.cwd().parent]
    )
    for candidate in candidates:
        if (candidate / "web" / "index.html").is_file() and (
            candidate / "data" / "mysfits.json"
        ).is_file():
            return candidate
    raise WorkshopError(
        "cannot find the workshop files (web/ and data/): install the package from a clone with "
        "`pip install -e .` or set MYSFITS_REPO to the clone's path"
    )


def web_dir() -> Path:
    return repo_root() / "web"


def data_file() -> Path:
    """The one canonical copy of the mysfits data set."""
    return repo_root() / "data" / "mysfits.json"


def streaming_dir() -> Path:
    """Module 5's deployable: the click processor and its SAM template."""
    return repo_root() / "streaming"


RUN_DIR_ENV = "MYSFITS_RUN_DIR"  # `mysfits run` sets it to the directory of the executed notebooks


def run_dir() -> Path:
    """Where a notebook writes what it makes for the run (reports, ground truth):
    `$MYSFITS_RUN_DIR`, else `runs/analysis/` in the checkout."""
    chosen = os.environ.get(RUN_DIR_ENV)
    return Path(chosen) if chosen else repo_root() / "runs" / "analysis"
