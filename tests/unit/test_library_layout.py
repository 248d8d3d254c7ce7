"""The library's shape: families declare their own cleanup, in one order; no local imports."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from mysfits import cleanup
from mysfits.inventory import Family

LIB = Path(__file__).resolve().parents[2] / "lib" / "mysfits"
FAMILY_MODULES = ("website", "network", "images", "fargate", "loadbalancer", "pipeline", "database")
# Only these may start or find the local cloud; everything else is the same code for both targets.
MAY_IMPORT_LOCAL = {"workshop.py", "cli.py", "runner.py"}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
            found.update("." * node.level + alias.name for alias in node.names if not node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize(
    "path",
    sorted(p for p in LIB.glob("*.py") if p.name not in MAY_IMPORT_LOCAL),
    ids=lambda p: p.name,
)
def test_provisioning_modules_do_not_import_the_local_cloud(path: Path) -> None:
    local = {name for name in _imports(path) if re.match(r"^(\.|mysfits\.)local(\.|$)", name)}
    assert not local, (
        f"{path.name} imports {local}: ask the target (Workshop.capabilities, ws.url) instead"
    )


def test_every_family_declares_its_cleanup_and_cleanup_runs_them_all() -> None:
    for name in FAMILY_MODULES:
        family = importlib.import_module(f"mysfits.{name}").CLEANUP
        assert isinstance(family, Family) and family.steps, name
        assert family in cleanup.FAMILIES, f"{name}.CLEANUP is missing from cleanup.FAMILIES"
    assert len(cleanup.FAMILIES) == len(FAMILY_MODULES)
    labels = [label for label, _ in cleanup.STEPS]
    assert len(labels) == len(set(labels)), (
        "step labels name the results of delete_everything: keep them unique"
    )


def test_the_delete_order_puts_users_before_what_they_use() -> None:
    labels = [label for label, _ in cleanup.STEPS]
    assert labels[0] == "pipeline" and labels[-1] == "core stack"
    assert labels.index("ECS service") < labels.index("load balancer and target group")
    assert labels.index("ECS service") < labels.index("ECS cluster")
    assert labels.index("build project") < labels.index("pipeline roles")


def test_the_resource_modules_leave_error_handling_to_the_idioms() -> None:
    handlers = {
        p.name: p.read_text().count("except ClientError")
        for p in LIB.glob("*.py")
        if p.name != "idioms.py"
    }
    assert sum(handlers.values()) <= 5, {name: n for name, n in handlers.items() if n}
