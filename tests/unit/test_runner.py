"""The headless runner's selection, parameters and summary."""

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from mysfits.checks import CHECK_MIME_TYPE, Check
from mysfits.errors import WorkshopError
from mysfits.runner import NotebookResult, count_checks, format_summary, parse_parameters, select_notebooks


@pytest.fixture
def notebook_dir(tmp_path: Path) -> Path:
    for name in ["01_static_website", "02_fargate_service", "99_cleanup"]:
        nbformat.write(new_notebook(), tmp_path / f"{name}.ipynb")
    (tmp_path / "scratch.ipynb").write_text("{}")
    return tmp_path


def test_all_numbered_notebooks_except_cleanup_by_default(notebook_dir: Path) -> None:
    assert [p.stem for p in select_notebooks("", notebook_dir)] == ["01_static_website", "02_fargate_service"]


def test_only_keeps_the_order_asked_for(notebook_dir: Path) -> None:
    assert [p.stem for p in select_notebooks("99, 1", notebook_dir)] == ["99_cleanup", "01_static_website"]


def test_unknown_number_names_the_choices(notebook_dir: Path) -> None:
    with pytest.raises(WorkshopError, match="no notebook numbered 07: choose from 01, 02, 99"):
        select_notebooks("07", notebook_dir)


def test_parameters_parse_json_values_else_strings() -> None:
    assert parse_parameters(["prefix=demo", "nat_gateways=2", "interactive=true", 'name="x y"']) == {
        "prefix": "demo", "nat_gateways": 2, "interactive": True, "name": "x y"}


@pytest.mark.parametrize("bad", ["prefix", "=x", "not-a-name=1"])
def test_bad_parameters_say_how(bad: str) -> None:
    with pytest.raises(WorkshopError, match="KEY=VALUE"):
        parse_parameters([bad])


def test_checks_are_counted_from_outputs() -> None:
    good, bad = Check("a", True, "fine"), Check("b", False, "broken")
    cell = new_code_cell("x", outputs=[
        new_output("display_data", data={CHECK_MIME_TYPE: good.as_json(), "text/plain": str(good)}),
        new_output("display_data", data={CHECK_MIME_TYPE: bad.as_json(), "text/plain": str(bad)}),
        new_output("stream", text="hello"),
    ])
    assert count_checks(new_notebook(cells=[cell, new_code_cell("y")])) == (1, 1)


def test_summary_table_names_the_failing_cell() -> None:
    text = format_summary([
        NotebookResult("01_static_website", "passed", 6.25, 12, 0),
        NotebookResult("02_fargate_service", "failed", 3.0, 2, 1, "cell 7 ('x'): VerificationFailed: boom"),
        NotebookResult("03_dynamodb", "not run"),
    ])
    lines = text.splitlines()
    assert lines[0].split() == ["notebook", "status", "seconds", "checks", "passed", "checks", "failed"]
    assert lines[2].split() == ["01_static_website", "passed", "6.2", "12", "0"]
    assert lines[4].split() == ["03_dynamodb", "not", "run", "0.0", "0", "0"]
    assert lines[-1] == "FAILED 02_fargate_service: cell 7 ('x'): VerificationFailed: boom"
