"""Prerequisites found (or not) by name in a real local cloud, through each service's API."""

from __future__ import annotations

import pytest

from mysfits import prerequisites, website
from mysfits.prerequisites import PrerequisiteMissing
from mysfits.workshop import Workshop


def test_module_01_is_found_once_the_site_is_hosted(ws: Workshop) -> None:
    with pytest.raises(PrerequisiteMissing, match="run 01_static_website.ipynb first"):
        prerequisites.require_modules(ws, "01")
    bucket = website.ensure_site_bucket(ws)
    assert prerequisites.missing(ws, "01") == [
        f"the site bucket {ws.names.site_bucket} with website hosting"
    ]  # no hosting yet
    website.ensure_website(ws, bucket)
    prerequisites.require_modules(ws, "01")


def test_module_02_lists_everything_missing(ws: Workshop) -> None:
    assert prerequisites.missing(ws, "02") == [
        f"the core stack {ws.names.core_stack}",
        f"the load balancer {ws.names.load_balancer}",
        f"the ECS service {ws.names.service}",
    ]
    with pytest.raises(
        PrerequisiteMissing,
        match="run 01_static_website.ipynb, then 02_fargate_service.ipynb first",
    ):
        prerequisites.require_modules(ws, "01", "02")
