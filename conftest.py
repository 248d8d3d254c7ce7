"""Notebook tests (nbval): a fresh local cloud, notebooks in their order, prerequisites first.

A notebook is one scenario, cell after cell, and builds on the resources of the notebooks before
it (found by name, as a learner's would be). So notebook cells keep their order and run after every
other test, whatever order pytest-randomly gives the rest; and a notebook selected without the
earlier ones (`pytest notebooks/03_dynamodb.ipynb`) has them run headless first, on the same cloud.
A test module that is one scenario too says so with `pytestmark = pytest.mark.in_order`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any

import pytest

CLEANUP_PREFIX = "99_"  # the cleanup notebook needs nothing before it: it removes what it finds
_ORDER = pytest.StashKey[int]()
_collected: Iterator[int] = count()
_cloud: dict[str, str] = {}  # the notebooks' environment: MYSFITS_HOME, MYSFITS_ENDPOINT_URL
_saved: dict[str, str | None] = {}  # what those variables were outside notebook cells
_prepared: set[Path] = set()  # notebooks whose prerequisites ran (or were not needed)
_failure: list[str] = []


def _notebook(item: pytest.Item) -> Path | None:
    path = Path(str(item.path))
    return path if path.suffix == ".ipynb" else None


def pytest_itemcollected(item: pytest.Item) -> None:
    item.stash[_ORDER] = next(_collected)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Notebook cells last, and they and `in_order` modules' tests in collection order.

    pytest-randomly shuffles before this hook (in a wrapper); a module keeps its place in the
    shuffle.
    """
    cells = sorted((i for i in items if _notebook(i)), key=lambda i: i.stash[_ORDER])
    items[:] = [i for i in items if not _notebook(i)] + cells
    places: dict[Path, list[int]] = {}
    for index, item in enumerate(items):
        if item.get_closest_marker("in_order"):
            places.setdefault(Path(str(item.path)), []).append(index)
    for indexes in places.values():
        in_file_order = sorted((items[i] for i in indexes), key=lambda i: i.stash[_ORDER])
        for index, item in zip(indexes, in_file_order, strict=True):
            items[index] = item


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under pytest-xdist, each test file is one unit of work, and so are all the notebooks
    together: a file's module fixtures start once, and the series keeps its order on one worker.

    Why not `--dist loadgroup` with `xdist_group` marks: pytest-xdist 3.8 names a test's group by
    rewriting `item._nodeid`, which pytest 9 no longer reads, so every mark was silently ignored
    and one file's tests ran on several workers at once.
    """
    from xdist.scheduler import LoadScopeScheduling

    class FileOrSeries(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "notebooks" if path.endswith(".ipynb") else path

    return FileOrSeries(config, log)


def missing_before(notebook: Path, selected: set[Path], done: set[Path]) -> list[Path]:
    """The numbered notebooks before `notebook` that are neither selected nor run already."""
    if notebook.name.startswith(CLEANUP_PREFIX):
        return []
    from mysfits import runner

    earlier = runner.select_notebooks("", notebook.parent)
    return [p for p in earlier if p.name < notebook.name and p not in selected | done]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before a notebook's first cell (so before nbval starts its kernel): cloud, prerequisites."""
    notebook = _notebook(item)
    if notebook is None:
        return
    if _failure:
        raise RuntimeError(_failure[0])
    if not _cloud:
        _start_cloud()
    _enter_cloud()
    if notebook in _prepared:
        return
    _prepared.add(notebook)
    selected = {p for i in item.session.items if (p := _notebook(i))}
    prerequisites = missing_before(notebook, selected, _prepared)
    _prepared.update(prerequisites)
    _run_prerequisites(prerequisites, Path(_cloud["MYSFITS_HOME"]))


def _start_cloud() -> None:
    from mysfits.local import control

    home = tempfile.mkdtemp(prefix="mysfits-nbval-")
    _cloud.update(MYSFITS_HOME=home)
    _enter_cloud()
    os.environ.pop("MYSFITS_ENDPOINT_URL", None)
    info, _ = control.start_detached(port=0)
    _cloud["MYSFITS_ENDPOINT_URL"] = info.endpoint_url
    _enter_cloud()


def _enter_cloud() -> None:
    """Point the environment at the notebooks' cloud: kernels inherit it and so find the cloud.

    Only while a notebook cell runs: other tests in this process (pytest-xdist runs the notebooks
    and other files on one worker) must not find it.
    """
    for name, value in _cloud.items():
        _saved.setdefault(name, os.environ.get(name))
        os.environ[name] = value


def _leave_cloud() -> None:
    for name, value in _saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _saved.clear()


def pytest_runtest_teardown(item: pytest.Item) -> None:
    if _notebook(item) is not None:
        _leave_cloud()


def _run_prerequisites(notebooks: list[Path], home: Path) -> None:
    if not notebooks:
        return
    from mysfits import runner

    run_dir = Path(tempfile.mkdtemp(prefix="prerequisites-", dir=home))
    results = runner.run_series(notebooks, run_dir, {"target": "local", "interactive": False})
    if any(r.status != "passed" for r in results):
        _failure.append(
            "a notebook the selected ones build on failed (executed copies in "
            f"{run_dir}):\n{runner.format_summary(results)}"
        )
        raise RuntimeError(_failure[0])


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _cloud:
        from mysfits.local import control

        _enter_cloud()
        control.stop()
        _leave_cloud()
