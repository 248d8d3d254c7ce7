"""CodePipeline: executions run by stage (S3 source, CodeBuild, ECS deploy); S3 sources are polled.

`api` answers the execution and state calls from this local cloud's `PipelineBook`; `runner` runs
each execution on a thread of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.heartbeat import Delegate
from . import api
from .book import PipelineBook
from .runner import PipelineRunner

if TYPE_CHECKING:
    from ..server import LocalCloud


def register(cloud: LocalCloud) -> PipelineRunner:
    book = PipelineBook()
    runner = PipelineRunner(cloud.loopback, cloud.stores, book)
    api.apply(cloud.patches, book)
    # Polls sources on the heartbeat; abandons every execution on reset and stop.
    cloud.heartbeat.register(Delegate("codepipeline", runner.close, runner.tick))
    return runner
