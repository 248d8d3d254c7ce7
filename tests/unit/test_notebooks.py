"""The notebooks keep only the outputs nbval compares, and those hold nothing that varies by run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
CHECKED = "# NBVAL_CHECK_OUTPUT"
# What differs between runs or targets: the account id (the local cloud's), loopback ports,
# generated resource ids, timestamps.
VARYING = re.compile(
    r"123456789012|127\.0\.0\.1:\d+|\b(?:vpc|subnet|nat|sg|eipalloc)-[0-9a-f]{8,}"
    r"|\d{4}-\d\d-\d\dT\d\d:"
)


def _code_cells(path: Path) -> list[nbformat.NotebookNode]:
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_only_cells_tagged_to_keep_carry_outputs(path: Path) -> None:
    kept = [
        c.id
        for c in _code_cells(path)
        if c.outputs and "keep_output" not in c.metadata.get("tags", [])
    ]
    assert kept == [], f"strip these outputs or tag the cells keep_output: {kept}"


def _checked(cell: nbformat.NotebookNode) -> bool:
    """Whether nbval compares this cell's output (it finds the marker on any comment line)."""
    return any(
        line.strip().lstrip("#").strip() == CHECKED.lstrip("# ")
        for line in cell.source.splitlines()
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_checked_cells_store_the_output_they_are_compared_with(path: Path) -> None:
    for cell in filter(_checked, _code_cells(path)):
        assert cell.source.startswith(CHECKED + "\n"), (
            f"{cell.id}: the marker goes on the first line"
        )
        assert "keep_output" in cell.metadata.get("tags", []), cell.id
        assert cell.outputs, f"{cell.id} is compared by nbval but stores no output"
        varying = VARYING.search(json.dumps(cell.outputs))
        assert varying is None, f"{cell.id} stores a value that differs between runs: {varying}"


def test_the_series_checks_some_output() -> None:
    checked = {p.stem: sum(map(_checked, _code_cells(p))) for p in NOTEBOOKS}
    assert all(
        checked[name] for name in ("01_static_website", "02_fargate_service", "03_dynamodb")
    ), checked
