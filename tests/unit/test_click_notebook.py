"""Notebook 06 before it can run (it needs modules 4 and 5): short cells, and every call it makes
into module 6's library exists with the keyword arguments it passes."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import nbformat
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "06_click_analysis.ipynb"
# The library modules it calls that exist on this branch (module 4's `api` lands separately).
OURS = (
    "analysis",
    "clickfigures",
    "clickreport",
    "traffic",
    "trafficclient",
    "paths",
    "parameters",
    "streaming",
    "users",
    "database",
    "prerequisites",
)


def code_cells() -> list[str]:
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    return [c.source for c in cells if c.cell_type == "code"]


def calls_into_our_modules() -> list[tuple[str, str, set[str]]]:
    """(module, attribute, keyword names) of each `module.attribute(...)` call on our modules."""
    found = []
    for source in code_cells():
        tree = ast.parse(
            "\n".join(line for line in source.splitlines() if not line.startswith("%"))
        )
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                if isinstance(owner, ast.Name) and owner.id in OURS:
                    found.append(
                        (owner.id, node.func.attr, {k.arg for k in node.keywords if k.arg})
                    )
    return found


def test_every_code_cell_is_at_most_15_lines_of_at_most_100_characters() -> None:
    for source in code_cells():
        lines = source.splitlines()
        assert len(lines) <= 15 and max(map(len, lines)) <= 100, source


def test_the_parameters_are_checked_by_the_runner_rules() -> None:
    from mysfits import parameters, runner

    declared = runner.declared_parameters(NOTEBOOK)
    assert parameters.problems(declared, "06") == []
    assert parameters.problems({**declared, "visitors": 501}, "06") != []


@pytest.mark.parametrize(("module", "name", "keywords"), calls_into_our_modules())
def test_each_library_call_exists_and_takes_its_keywords(module, name, keywords) -> None:
    function = getattr(importlib.import_module(f"mysfits.{module}"), name)
    if not keywords:
        return  # it exists: that is all a call without keywords needs
    parameters = inspect.signature(function).parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    assert takes_any or keywords <= set(parameters), (module, name, keywords - set(parameters))
