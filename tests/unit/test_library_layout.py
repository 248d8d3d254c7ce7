"""The library's shape: each family declares its own cleanup; cleanup keeps one order."""

from __future__ import annotations

import importlib
from pathlib import Path

from mysfits import cleanup
from mysfits.inventory import Family

LIB = Path(__file__).resolve().parents[2] / "lib" / "mysfits"
FAMILY_MODULES = (
    "website",
    "network",
    "images",
    "fargate",
    "loadbalancer",
    "pipeline",
    "database",
    "users",
    "streaming",
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
