"""The headless runner's selection, parameters and summary."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from mysfits.checks import CHECK_MIME_TYPE, Check
from mysfits.errors import WorkshopError
from mysfits.runner import (
    NotebookResult,
    count_checks,
    format_summary,
    parse_parameters,
    run_notebook,
    select_notebooks,
    validate_parameters,
)


@pytest.fixture
def notebook_dir(tmp_path: Path) -> Path:
    for name in ["01_static_website", "02_fargate_service", "99_cleanup"]:
        nbformat.write(new_notebook(), tmp_path / f"{name}.ipynb")
    (tmp_path / "scratch.ipynb").write_text("{}")
    return tmp_path


def test_all_numbered_notebooks_except_cleanup_by_default(notebook_dir: Path) -> None:
    assert [p.stem for p in select_notebooks("", notebook_dir)] == [
        "01_static_website",
        "02_fargate_service",
    ]


def test_only_keeps_the_order_asked_for(notebook_dir: Path) -> None:
    assert [p.stem for p in select_notebooks("99, 1", notebook_dir)] == [
        "99_cleanup",
        "01_static_website",
    ]


def test_unknown_number_names_the_choices(notebook_dir: Path) -> None:
    with pytest.raises(WorkshopError, match="no notebook numbered 07: choose from 01, 02, 99"):
        select_notebooks("07", notebook_dir)


def test_parameters_parse_json_values_else_strings() -> None:
    assert parse_parameters(
        ["prefix=demo", "nat_gateways=2", "interactive=true", 'name="x y"']
    ) == {"prefix": "demo", "nat_gateways": 2, "interactive": True, "name": "x y"}


@pytest.mark.parametrize("bad", ["prefix", "=x", "not-a-name=1"])
def test_bad_parameters_say_how(bad: str) -> None:
    with pytest.raises(WorkshopError, match="KEY=VALUE"):
        parse_parameters([bad])


def test_checks_are_counted_from_outputs() -> None:
    good, bad = Check("a", True, "fine"), Check("b", False, "broken")
    cell = new_code_cell(
        "x",
        outputs=[
            new_output(
                "display_data", data={CHECK_MIME_TYPE: good.as_json(), "text/plain": str(good)}
            ),
            new_output(
                "display_data", data={CHECK_MIME_TYPE: bad.as_json(), "text/plain": str(bad)}
            ),
            new_output("stream", text="hello"),
        ],
    )
    assert count_checks(new_notebook(cells=[cell, new_code_cell("y")])) == (1, 1)


def test_summary_table_names_the_failing_cell() -> None:
    text = format_summary(
        [
            NotebookResult("01_static_website", "passed", 6.25, 12, 0),
            NotebookResult(
                "02_fargate_service", "failed", 3.0, 2, 1, "cell 7 ('x'): VerificationFailed: boom"
            ),
            NotebookResult("03_dynamodb", "not run"),
        ]
    )
    lines = text.splitlines()
    assert lines[0].split() == [
        "notebook",
        "status",
        "seconds",
        "checks",
        "passed",
        "checks",
        "failed",
    ]
    assert lines[2].split() == ["01_static_website", "passed", "6.2", "12", "0"]
    assert lines[4].split() == ["03_dynamodb", "not", "run", "0.0", "0", "0"]
    assert lines[-1] == "FAILED 02_fargate_service: cell 7 ('x'): VerificationFailed: boom"


def _with_parameters(directory: Path, name: str, source: str) -> Path:
    cell = new_code_cell(source)
    cell.metadata["tags"] = ["parameters"]
    path = directory / f"{name}.ipynb"
    nbformat.write(new_notebook(cells=[cell]), path)
    return path


def test_parameters_are_checked_against_each_selected_notebook(tmp_path: Path) -> None:
    site = _with_parameters(tmp_path, "01_site", 'target = "local"\nprefix = "mysfits"\n')
    service = _with_parameters(tmp_path, "02_service", 'target = "local"\ndesired_count = 2\n')
    validate_parameters([site, service], {"target": "local", "desired_count": 3})
    with pytest.raises(WorkshopError) as caught:
        validate_parameters([site, service], {"target": "mars", "desired_count": 0, "desried": 1})
    message = str(caught.value)
    assert "target='mars': use 'local' or 'aws' [01_site, 02_service]" in message
    assert "desired_count=0: use a whole number from 2 to 10" in message
    assert "[02_service]" in message
    assert (
        "desried: no selected notebook takes this parameter "
        "(they take desired_count, prefix, target)"
    ) in message


def test_a_parameter_only_other_notebooks_take_is_refused(tmp_path: Path) -> None:
    site = _with_parameters(tmp_path, "01_site", 'target = "local"\n')
    with pytest.raises(WorkshopError, match="desired_count: no selected notebook takes"):
        validate_parameters([site], {"target": "local", "desired_count": 2})


def test_bad_parameter_fails_at_once_through_the_cli(tmp_path: Path) -> None:
    """`mysfits run --only 02 -p desired_count=0` stops before any kernel or local cloud starts.

    The subprocess timeout is the bound the issue asks for (under 5 s); the command normally
    takes well under a second.
    """
    env = {k: v for k, v in os.environ.items() if k != "MYSFITS_ENDPOINT_URL"}
    env["MYSFITS_HOME"] = str(tmp_path / "home")
    runs = tmp_path / "runs"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mysfits.cli",
            "run",
            "--only",
            "02",
            "-p",
            "desired_count=0",
            "--output-dir",
            str(runs),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=5,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "desired_count=0: use a whole number from 2 to 10" in result.stderr
    assert not runs.exists() and not (tmp_path / "home").exists()  # no run, no local cloud


def test_a_relative_run_directory_reaches_the_kernel_as_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kernel runs in the notebooks' folder: `runs/...` from the checkout must not reach it."""
    import papermill

    seen: dict[str, str] = {}

    def execute(source: str, destination: str, **kwargs: object) -> None:
        seen.update({k: os.environ[k] for k in ("MYSFITS_API_CALLS_LOG", "MYSFITS_RUN_DIR")})
        seen["destination"] = destination

    monkeypatch.setattr(papermill, "execute_notebook", execute)
    monkeypatch.chdir(tmp_path)
    source = tmp_path / "notebooks" / "01_x.ipynb"
    run_notebook(source, Path("runs") / "t" / "01_x.ipynb", {})
    expected = tmp_path / "runs" / "t"
    assert seen == {
        "MYSFITS_API_CALLS_LOG": str(expected / "01_x.api-calls.jsonl"),
        "MYSFITS_RUN_DIR": str(expected),
        "destination": str(expected / "01_x.ipynb"),
    }
