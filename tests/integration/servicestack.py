"""The service deployed as notebooks 02 and 03 deploy it, and module 4's API in front of it.

One copy of the set-up that the integration tests (`conftest.guarded_service`,
`test_api_module`, `test_service_on_local_cloud`) and the browser's sign-in stack share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mysfits import api, apidocument, database, fargate, images, loadbalancer, network, users
from mysfits.workshop import Workshop


@dataclass(frozen=True)
class ServiceStack:
    """A seeded table, the core network and the service's tasks, healthy behind its NLB."""

    ws: Workshop
    table: database.Table
    core: network.CoreNetwork
    balancer: loadbalancer.LoadBalancer


def seeded_table(ws: Workshop) -> database.Table:
    """Module 3's table with the twelve mysfits."""
    table = database.ensure_table(ws)
    database.seed_table(ws, table)
    return table


def deploy_service(
    ws: Workshop,
    table: database.Table,
    desired: int,
    environment: dict[str, str] | None = None,
    timeout: float = 180,
) -> ServiceStack:
    """Core stack, build-context image, cluster, log group, NLB, and `desired` tasks naming
    `table` (plus `environment`), waited for until the NLB has them healthy."""
    core = network.ensure_core_stack(ws)
    image = images.publish_image(ws, images.ensure_repository(ws))
    fargate.ensure_cluster(ws)
    fargate.ensure_log_group(ws)
    balancer = loadbalancer.ensure_load_balancer(ws, core)
    settings = {"MYSFITS_TABLE": table.name, **(environment or {})}
    definition = fargate.ensure_task_definition(ws, core, image, environment=settings)
    service = fargate.ensure_service(ws, core, balancer, definition, desired_count=desired)
    fargate.wait_for_steady_state(ws, service, timeout=timeout)
    loadbalancer.wait_for_healthy_targets(ws, balancer, desired, timeout=timeout)
    return ServiceStack(ws, table, core, balancer)


def api_document(
    ws: Workshop, balancer: loadbalancer.LoadBalancer, link: api.VpcLink, pool: users.UserPool
) -> dict[str, Any]:
    """Module 4's OpenAPI document: every route over `link`, like and adopt behind `pool`."""
    return apidocument.api_document(
        apidocument.service_document(),
        name=ws.names.rest_api,
        balancer_dns=balancer.dns_name,
        vpc_link_id=link.id,
        pool_arn=pool.arn,
    )


def deploy_api(
    ws: Workshop, balancer: loadbalancer.LoadBalancer, pool: users.UserPool
) -> api.Stage:
    """As notebook 04 does it: the VPC link, the REST API imported from the document, `prod`."""
    link = api.ensure_vpc_link(ws, balancer)
    return api.deploy_stage(ws, api.ensure_rest_api(ws, api_document(ws, balancer, link, pool)))
