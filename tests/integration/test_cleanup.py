"""Cleanup finds the workshop's resources by name and tag, deletes them, and proves it."""

from __future__ import annotations

import json

from mysfits import cleanup, fargate, images, network, website
from mysfits.workshop import Workshop

from .conftest import mysfits_cli


def test_cleanup_where_nothing_ran_succeeds_and_reports_nothing(
    ws: Workshop, local_cloud: dict[str, object]
) -> None:
    assert cleanup.inventory(ws) == []
    assert cleanup.check_nothing_left(ws).ok
    cleanup.delete_everything(ws)
    result = mysfits_cli(local_cloud["home"], "cleanup", "--prefix", ws.prefix)  # type: ignore[arg-type]
    assert result.returncode == 0 and f"nothing of prefix {ws.prefix!r} found" in result.stdout


def test_dry_run_lists_with_costs_and_deletes_nothing(
    ws: Workshop, local_cloud: dict[str, object]
) -> None:
    website.ensure_site_bucket(ws)
    network.ensure_core_stack(ws)
    result = mysfits_cli(local_cloud["home"], "cleanup", "--prefix", ws.prefix, "--dry-run")  # type: ignore[arg-type]
    assert result.returncode == 0
    for expected in (
        ws.names.site_bucket,
        ws.names.core_stack,
        "nat gateway",
        "elastic ip",
        "0.05",
    ):
        assert expected in result.stdout
    kinds = {leftover.kind for leftover in cleanup.inventory(ws)}
    assert {
        "s3 bucket",
        "cloudformation stack",
        "vpc",
        "nat gateway",
        "elastic ip",
        "iam role",
    } <= kinds
    check = cleanup.check_nothing_left(ws)
    assert not check.ok and ws.names.site_bucket in check.evidence
    cleanup.delete_everything(ws)
    assert cleanup.check_nothing_left(ws).ok


def test_cleanup_removes_everything_and_a_second_run_finds_nothing(ws: Workshop) -> None:
    bucket = website.ensure_site_bucket(ws)
    website.upload_site(ws, bucket)
    network.ensure_core_stack(ws)
    images.ensure_repository(ws)
    fargate.ensure_cluster(ws)
    fargate.ensure_log_group(ws)
    assert len(cleanup.inventory(ws)) >= 8
    done = cleanup.delete_everything(ws)
    assert done["core stack"] is True and done["ECR repository"] is True
    assert cleanup.check_nothing_left(ws).ok, cleanup.inventory(ws)
    again = cleanup.delete_everything(ws)
    assert (
        again["core stack"] is False and again["ECR repository"] is False and again["buckets"] == []
    )


def test_other_prefixes_are_left_alone(ws: Workshop, local_cloud: dict[str, object]) -> None:
    import mysfits

    neighbour = mysfits.connect(
        "local", prefix=ws.prefix + "x", endpoint_url=str(local_cloud["endpoint_url"])
    )
    website.ensure_site_bucket(neighbour)
    cleanup.delete_everything(ws)
    assert [leftover.name for leftover in cleanup.inventory(neighbour)] == [
        neighbour.names.site_bucket
    ]
    cleanup.delete_everything(neighbour)
    assert json.dumps([leftover.name for leftover in cleanup.inventory(neighbour)]) == "[]"
