"""ECS: services keep their tasks running as local processes, with AWS's task and deployment states.

`patches` makes moto's ECS API answer as AWS does; `planning` decides, as a pure function of a
snapshot of one service, what its scheduler does next; `scheduler` takes those snapshots and
carries the decisions out, keeping per-service state in `records` and tasks in `fleet`; `tasks`
runs one task as a process and ships its output to CloudWatch Logs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.heartbeat import Delegate
from . import patches
from .scheduler import EcsScheduler

if TYPE_CHECKING:
    from ..server import LocalCloud


def register(cloud: LocalCloud) -> EcsScheduler:
    balancing = cloud.services["elbv2"]
    scheduler = EcsScheduler(
        cloud.services["ecr"],
        balancing.directory,
        balancing.health,
        cloud.endpoint_url,
        cloud.children,
    )
    patches.apply(cloud.patches, scheduler.service_updated)
    cloud.heartbeat.register(Delegate("ecs", scheduler.close, scheduler.tick))
    return scheduler
