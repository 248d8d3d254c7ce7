"""Which of a stack's resources exist.

AWS behaviour restored: a stack lists the resources it has, never the ones it deleted, and listing
creates nothing. moto 5.2.5 lists `resource_map.values()`, which creates any resource not parsed
yet. The fixes here keep a deleted resource's model parsed (so outputs still resolve) and mark it
gone instead.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.models import Stack
from moto.cloudformation.parsing import ResourceMap


def gone(resource_map: ResourceMap) -> set[str]:
    """Logical ids this stack has deleted (the models stay parsed so outputs still resolve)."""
    # Kept on the resource map itself, so it lives and dies with the stack it describes.
    return resource_map.__dict__.setdefault("_mysfits_gone", set())


def live(resource_map: ResourceMap) -> dict[str, Any]:
    """Logical id -> model of every resource the stack created and has not deleted."""
    deleted = gone(resource_map)
    return {
        lid: model
        for lid in resource_map._resource_json_map
        if lid not in deleted
        and (model := resource_map._parsed_resources.get(lid)) is not None
        and hasattr(model, "logical_resource_id")
    }


def stack_resources(stack: Stack) -> list[Any]:
    """`Stack.stack_resources`: the stack's resources that exist, created by no one looking."""
    return list(live(stack.resource_map).values())
