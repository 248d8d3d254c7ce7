"""Wall time of `mysfits run` per notebook, against a notebook that does nothing.

Baseline, measured in the same run: papermill executing a one-cell notebook (kernel start,
execution, shutdown). Prints each notebook's seconds and its ratio to the baseline.
The whole series (every module notebook, then cleanup) is held to 60 s on the local target.
Run: .venv/bin/python benchmarks/notebook_runtime.py [--only 01,02]  (default: the whole series)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import nbformat
import papermill
from nbformat.v4 import new_code_cell, new_notebook

from mysfits.local import control
from mysfits.runner import notebooks_dir, run_notebook, select_notebooks


def baseline_seconds(directory: Path) -> float:
    empty = new_notebook(cells=[new_code_cell("x = 1", metadata={"tags": ["parameters"]})])
    empty.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    source = directory / "empty.ipynb"
    nbformat.write(empty, source)
    started = time.perf_counter()
    papermill.execute_notebook(
        str(source), str(directory / "empty-out.ipynb"), progress_bar=False, kernel_name="python3"
    )
    return time.perf_counter() - started


def series(only: str) -> list[Path]:
    """The notebooks `--only` names, or every module notebook followed by the cleanup."""
    if only:
        return select_notebooks(only, notebooks_dir())
    return select_notebooks("", notebooks_dir()) + select_notebooks("99", notebooks_dir())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", default="", help="notebook numbers, e.g. 01,02 (default: all, then 99)"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-nb-"))
    os.environ["MYSFITS_HOME"] = str(work)
    os.environ.pop("MYSFITS_ENDPOINT_URL", None)
    info, _ = control.start_detached(port=0)
    os.environ["MYSFITS_ENDPOINT_URL"] = info.endpoint_url
    try:
        base = baseline_seconds(work)
        print(f"baseline (empty notebook): {base:.2f} s")
        total = 0.0
        for source in series(args.only):
            started = time.perf_counter()
            result = run_notebook(
                source, work / source.name, {"target": "local", "interactive": False}
            )
            seconds = time.perf_counter() - started
            total += seconds
            print(
                f"{source.stem}: {result.status} in {seconds:.2f} s = "
                f"{seconds / base:.1f}x the empty notebook "
                f"({result.checks_passed} checks passed)"
            )
        print(
            f"total: {total:.2f} s = {total / base:.1f}x the empty notebook   "
            "(target: whole series < 60 s)"
        )
    finally:
        control.stop()


if __name__ == "__main__":
    main()
