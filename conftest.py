"""Notebook tests (nbval) run against a fresh local cloud started for the session."""

from __future__ import annotations

import os
import tempfile

import pytest

_started: dict[str, str] = {}


def pytest_collection_finish(session: pytest.Session) -> None:
    if not any(item.nodeid.split("::")[0].endswith(".ipynb") for item in session.items):
        return
    from mysfits.local import control

    os.environ.pop("MYSFITS_ENDPOINT_URL", None)
    os.environ["MYSFITS_HOME"] = tempfile.mkdtemp(prefix="mysfits-nbval-")
    info, _ = control.start_detached(port=0)
    # Kernels inherit the environment, so every notebook finds this cloud.
    os.environ["MYSFITS_ENDPOINT_URL"] = info.endpoint_url
    _started["home"] = os.environ["MYSFITS_HOME"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _started:
        from mysfits.local import control

        control.stop()
