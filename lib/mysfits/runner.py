"""`mysfits run`: execute the notebooks headless with papermill and summarise the outcome."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import parameters as rules
from . import paths
from .apicalls import LOG_ENV, ApiCall
from .checks import summarise
from .errors import WorkshopError
from .local import control

if TYPE_CHECKING:
    import nbformat


@dataclass
class NotebookResult:
    """How one notebook's run went."""

    notebook: str
    status: str  # passed | failed | not run
    seconds: float = 0.0
    checks_passed: int = 0
    checks_failed: int = 0
    error: str = ""


def notebooks_dir() -> Path:
    return paths.repo_root() / "notebooks"


def select_notebooks(only: str, directory: Path) -> list[Path]:
    """The notebooks to run, in order: all `NN_*.ipynb`, or those whose number is in `only`."""
    found = sorted(p for p in directory.glob("[0-9][0-9]_*.ipynb"))
    if not only:
        return [p for p in found if not p.name.startswith("99_")]
    wanted = [n.strip().zfill(2) for n in only.split(",") if n.strip()]
    by_number = {p.name[:2]: p for p in found}
    unknown = [n for n in wanted if n not in by_number]
    if unknown:
        raise WorkshopError(
            f"no notebook numbered {', '.join(unknown)}: choose from {', '.join(sorted(by_number))}"
        )
    return [by_number[n] for n in wanted]


def parse_parameters(pairs: list[str]) -> dict[str, Any]:
    """KEY=VALUE pairs; values are JSON where they parse (true, 2, "x"), else plain strings."""
    parameters: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.isidentifier():
            raise WorkshopError(
                f"parameter {pair!r} is not KEY=VALUE with a Python name as KEY "
                "(e.g. -p prefix=demo)"
            )
        try:
            parameters[key] = json.loads(value)
        except ValueError:
            parameters[key] = value
    return parameters


def declared_parameters(notebook: Path) -> dict[str, Any]:
    """The names (and literal defaults) of a notebook's cell tagged `parameters`.

    Read as plain JSON: importing nbformat costs seconds (its schema validator builds a grammar),
    and a bad parameter must fail at once.
    """
    cells = json.loads(notebook.read_text()).get("cells", [])
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not tagged:
        return {}
    source = tagged[0]["source"]
    return rules.notebook_parameters(source if isinstance(source, str) else "".join(source))


def validate_parameters(selected: list[Path], parameters: dict[str, Any]) -> None:
    """Check the run's parameters against every selected notebook before anything starts.

    Raises InvalidParameters naming each broken rule once (with the notebooks it concerns) and
    each name that no selected notebook takes, a likely typo.
    """
    broken: dict[str, list[str]] = {}
    declared: set[str] = set()
    for notebook in selected:
        names = declared_parameters(notebook)
        declared |= names.keys()
        theirs = {k: v for k, v in parameters.items() if k in names}
        for problem in rules.problems(theirs, notebook.name):
            broken.setdefault(problem, []).append(notebook.stem)
    lines = [f"{problem} [{', '.join(stems)}]" for problem, stems in broken.items()]
    lines += [
        f"{name}: no selected notebook takes this parameter (they take "
        f"{', '.join(sorted(declared))})"
        for name in sorted(set(parameters) - declared)
    ]
    if lines:
        raise rules.InvalidParameters("invalid parameters, nothing was run: " + "; ".join(lines))


def count_checks(notebook: nbformat.NotebookNode) -> tuple[int, int]:
    """Passed and failed checks displayed anywhere in an executed notebook."""
    outputs = [
        o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
    ]
    return summarise(outputs)


@contextmanager
def environment(values: dict[str, str | None]) -> Iterator[None]:
    """Set (or, for None, remove) environment variables for the duration of the block."""
    saved = {key: os.environ.get(key) for key in values}
    try:
        for key, value in values.items():
            _set_env(key, value)
        yield
    finally:
        for key, value in saved.items():
            _set_env(key, value)


def _set_env(key: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(key, None)
    else:
        os.environ[key] = value


def calls_log(destination: Path) -> Path:
    """Where the kernel running `destination` appends the API calls it makes (JSON lines)."""
    return destination.with_suffix(".api-calls.jsonl")


def run_notebook(source: Path, destination: Path, parameters: dict[str, Any]) -> NotebookResult:
    """Execute one notebook with papermill; never raises for a failing notebook."""
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    result = NotebookResult(source.stem, "passed")
    started = time.monotonic()
    # Absolute: the kernel runs in the notebooks' folder, not where `mysfits run` was started.
    destination = destination.resolve()
    calls_log(destination).unlink(missing_ok=True)
    try:
        # The kernel inherits both: where its API calls go, and where it writes run files.
        run_env: dict[str, str | None] = {
            LOG_ENV: str(calls_log(destination)),
            paths.RUN_DIR_ENV: str(destination.parent),
        }
        with environment(run_env):
            papermill.execute_notebook(
                str(source),
                str(destination),
                parameters=parameters,
                cwd=str(source.parent),
                progress_bar={"desc": source.stem, "leave": False},
                kernel_name="python3",
            )
    except PapermillExecutionError as error:
        first_line = (error.source or "").strip().splitlines()[0] if error.source else ""
        result.status = "failed"
        result.error = (
            f"cell {error.cell_index} ({first_line[:60]!r}): {error.ename}: {error.evalue}"
        )
    except Exception as error:  # kernel death, bad notebook: still report the rest of the run
        result.status = "failed"
        result.error = f"{type(error).__name__}: {error}"
    result.seconds = round(time.monotonic() - started, 1)
    if destination.exists():
        result.checks_passed, result.checks_failed = count_checks(
            nbformat.read(destination, as_version=4)
        )
    return result


def format_summary(results: list[NotebookResult]) -> str:
    """A plain-text table: notebook, status, seconds, checks passed and failed."""
    header = ("notebook", "status", "seconds", "checks passed", "checks failed")
    rows = [header] + [
        (r.notebook, r.status, f"{r.seconds:.1f}", str(r.checks_passed), str(r.checks_failed))
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    failures = [f"FAILED {r.notebook}: {r.error}" for r in results if r.status == "failed"]
    return "\n".join(lines + failures)


def run_series(
    selected: list[Path], run_dir: Path, parameters: dict[str, Any]
) -> list[NotebookResult]:
    """Run the notebooks in order; after a failure the rest are reported as not run."""
    results: list[NotebookResult] = []
    for index, source in enumerate(selected, 1):
        print(f"[{index}/{len(selected)}] {source.stem} …", flush=True)
        result = run_notebook(source, run_dir / source.name, parameters)
        results.append(result)
        print(f"    {result.status} in {result.seconds:.1f} s", flush=True)
        if result.status == "failed":
            return results + [NotebookResult(p.stem, "not run") for p in selected[index:]]
    return results


def _start_local_cloud() -> bool:
    """Point the kernels at a local cloud, start one if none runs; True if this run started it."""
    info, already = control.start_detached(port=0)
    os.environ["MYSFITS_ENDPOINT_URL"] = info.endpoint_url
    print(f"local cloud at {info.endpoint_url}" + ("" if already else " (started for this run)"))
    return not already


def write_api_calls(run_dir: Path, results: list[NotebookResult]) -> Path:
    """Gather each notebook's API calls into `run_dir/api-calls.json` (in run order)."""
    gathered = []
    for result in results:
        log = calls_log(run_dir / f"{result.notebook}.ipynb")
        if log.exists():
            calls = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
            gathered.append({"notebook": result.notebook, "calls": calls})
            log.unlink()
    target = run_dir / "api-calls.json"
    target.write_text(json.dumps(gathered, indent=1))
    return target


def read_api_calls(path: Path) -> list[ApiCall]:
    """Every call recorded in an `api-calls.json`, in order."""
    notebooks = json.loads(path.read_text())
    return [ApiCall.from_json(call) for notebook in notebooks for call in notebook["calls"]]


@contextmanager
def fresh_local_cloud() -> Iterator[str]:
    """A local cloud of its own (own home, port 0) for the block; its endpoint URL."""
    with (
        tempfile.TemporaryDirectory(prefix="mysfits-run-") as home,
        environment({"MYSFITS_HOME": home, "MYSFITS_ENDPOINT_URL": None}),
    ):
        info, _ = control.start_detached(port=0)
        try:
            with environment({"MYSFITS_ENDPOINT_URL": info.endpoint_url}):
                yield info.endpoint_url
        finally:
            control.stop()


# The learner policy's run: the series, then again (the re-run's update paths), then cleanup.
# tests/integration/test_series_rerun.py runs the same passes and checks the committed policy.
POLICY_PASSES = ("01,02,03,04,05,06", "01,02,03,04,05,06", "99")


def policy_run(output_dir: Path) -> list[Path]:
    """Run the policy's passes on a fresh local cloud, recording every call; each api-calls.json."""
    run_dir = Path(output_dir) / f"learner-policy-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    parameters = {"target": "local", "interactive": False}
    recorded = []
    with fresh_local_cloud():
        for number, only in enumerate(POLICY_PASSES, 1):
            pass_dir = run_dir / f"pass-{number}"
            pass_dir.mkdir(parents=True, exist_ok=True)
            results = run_series(select_notebooks(only, notebooks_dir()), pass_dir, parameters)
            recorded.append(write_api_calls(pass_dir, results))
            if any(r.status != "passed" for r in results):
                summary = format_summary(results)
                raise WorkshopError(f"the series failed, so its calls are incomplete:\n{summary}")
    return recorded


def main(args: argparse.Namespace) -> int:
    selected = select_notebooks(args.only, notebooks_dir())
    parameters = {"target": args.target, **parse_parameters(args.parameter), "interactive": False}
    validate_parameters(selected, parameters)  # before a kernel or a local cloud starts
    run_dir = Path(args.output_dir) / datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir.mkdir(parents=True, exist_ok=True)
    started_here = args.target == "local" and _start_local_cloud()
    try:
        results = run_series(selected, run_dir, parameters)
    finally:
        if started_here and not args.keep:
            control.stop()
        elif started_here:
            print(
                f"the local cloud keeps running at {os.environ['MYSFITS_ENDPOINT_URL']}: "
                "`mysfits local stop` ends it"
            )
    (run_dir / "summary.json").write_text(json.dumps([asdict(r) for r in results], indent=2))
    write_api_calls(run_dir, results)
    print(format_summary(results))
    print(f"executed notebooks: {run_dir}")
    return 0 if all(r.status == "passed" for r in results) else 1


if __name__ == "__main__":
    from .cli import main as cli_main

    sys.exit(cli_main(["run", *sys.argv[1:]]))
