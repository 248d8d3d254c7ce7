"""CodePipeline: executions run by stage (S3 source, CodeBuild, ECS deploy); S3 sources are polled.

`api` answers the execution and state calls from this local cloud's `PipelineBook`; `runner` runs
each execution on a thread of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..core.heartbeat import BaseReconciler
from . import api
from .book import PipelineBook
from .runner import PipelineRunner

if TYPE_CHECKING:
    from ..server import LocalCloud


@dataclass
class Pipelines(BaseReconciler):
    """Polls sources on the heartbeat; abandons every execution on reset and stop."""

    runner: PipelineRunner
    name: str = "codepipeline"

    def tick(self) -> None:
        self.runner.tick()

    def close(self) -> None:
        self.runner.close()


def register(cloud: LocalCloud) -> PipelineRunner:
    book = PipelineBook()
    runner = PipelineRunner(cloud.loopback, cloud.stores, book)
    api.apply(cloud.patches, book)
    cloud.heartbeat.register(Pipelines(runner))
    return runner
