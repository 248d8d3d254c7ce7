"""Module 2's service in one call for scripts, tests and benchmarks (the notebook goes stepwise)."""

from __future__ import annotations

from dataclasses import dataclass

from . import fargate, images, loadbalancer, network, releases
from .parameters import require_count
from .workshop import Workshop


@dataclass(frozen=True)
class ServiceStack:
    """What notebook 02 sets up before its pipeline section."""

    core: network.CoreNetwork
    repository: images.Repository
    image: images.Image
    balancer: loadbalancer.LoadBalancer
    service: fargate.Service


def ensure_service_stack(
    ws: Workshop, desired_count: int = 2, timeout: float = 900, nat_gateways: int = 1
) -> ServiceStack:
    """Core stack, repository and image, cluster, log group, load balancer, task definition,
    service; then wait for the service to be steady. Idempotent, like each step.

    Bad counts raise InvalidParameters before anything is created.
    """
    require_count("desired_count", desired_count)
    require_count("nat_gateways", nat_gateways)
    core = network.ensure_core_stack(ws, nat_gateways=nat_gateways)
    repository = images.ensure_repository(ws)
    image = images.publish_image(ws, repository)
    fargate.ensure_cluster(ws)
    fargate.ensure_log_group(ws)
    balancer = loadbalancer.ensure_load_balancer(ws, core)
    # A service the pipeline releases keeps what it runs.
    task_definition = releases.task_definition_to_run(ws, core, image)
    service = fargate.ensure_service(
        ws, core, balancer, task_definition, desired_count=desired_count
    )
    fargate.wait_for_steady_state(ws, service, timeout=timeout)
    return ServiceStack(core, repository, image, balancer, service)
