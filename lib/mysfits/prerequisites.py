"""What a notebook needs from the ones before it: found by name, checked in its first cell.

Every notebook can run on its own once its predecessors have run (state is discovered, never
copied by hand). When something is missing, the notebook stops at once and names the notebook
to run first, instead of failing halfway with an AWS error.
"""

from __future__ import annotations

from collections.abc import Callable

from . import fargate, loadbalancer, network, website
from .errors import ResourceNotFound
from .idioms import absent_is_none
from .workshop import Workshop

__all__ = ["NOTEBOOKS", "PrerequisiteMissing", "missing", "require_modules"]

NOTEBOOKS = {
    "01": "01_static_website.ipynb",
    "02": "02_fargate_service.ipynb",
    "03": "03_dynamodb.ipynb",
}


class PrerequisiteMissing(ResourceNotFound):
    """An earlier notebook has not run (or its resources were deleted)."""


def _missing_01(ws: Workshop) -> list[str]:
    try:
        website.find_website(ws, website.find_site_bucket(ws))
    except ResourceNotFound:
        return [f"the site bucket {ws.names.site_bucket} with website hosting"]
    return []


def _missing_02(ws: Workshop) -> list[str]:
    absent = []
    try:
        network.core_network(ws)
    except ResourceNotFound:
        absent.append(f"the core stack {ws.names.core_stack}")
    if loadbalancer.find_load_balancer(ws) is None:
        absent.append(f"the load balancer {ws.names.load_balancer}")
    if fargate.find_service(ws) is None:
        absent.append(f"the ECS service {ws.names.service}")
    return absent


def _missing_03(ws: Workshop) -> list[str]:
    dynamodb, table = ws.client("dynamodb"), ws.names.table
    described = absent_is_none(
        lambda: dynamodb.describe_table(TableName=table), "ResourceNotFoundException"
    )
    return [] if described else [f"the DynamoDB table {table}"]


_FINDERS: dict[str, Callable[[Workshop], list[str]]] = {
    "01": _missing_01,
    "02": _missing_02,
    "03": _missing_03,
}


def missing(ws: Workshop, module: str) -> list[str]:
    """What notebook `module` builds that cannot be found for this prefix (empty: all there)."""
    if module not in _FINDERS:
        known = ", ".join(_FINDERS)
        raise ValueError(f"no prerequisites known for module {module!r}: use one of {known}")
    return _FINDERS[module](ws)


def require_modules(ws: Workshop, *modules: str) -> None:
    """Raise PrerequisiteMissing, naming the notebook(s) to run first, unless all `modules` ran."""
    gaps = {module: missing(ws, module) for module in modules}
    gaps = {module: absent for module, absent in gaps.items() if absent}
    if not gaps:
        return
    found = "; ".join(f"{NOTEBOOKS[m]} builds {', '.join(absent)}" for m, absent in gaps.items())
    first = ", then ".join(NOTEBOOKS[m] for m in sorted(gaps))
    raise PrerequisiteMissing(
        f"this notebook builds on earlier ones, and for prefix {ws.prefix!r} in {ws.region} "
        f"something is missing ({found}): run {first} first (same target, region and prefix), "
        "then this notebook again"
    )
