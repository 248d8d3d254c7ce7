"""CodeBuild: StartBuild runs the buildspec for real, with `docker` and `aws` stand-ins on its PATH.

`api` answers StartBuild, BatchGetBuilds, StopBuild and UpdateProject from this local cloud's build
books; `runner` runs each build in its own shell; `buildtools` is what the build calls `docker`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..core.heartbeat import BaseReconciler
from . import api
from .runner import BuildRunner

if TYPE_CHECKING:
    from ..server import LocalCloud


@dataclass
class Builds(BaseReconciler):
    """Running builds stop when the local cloud resets or stops."""

    runner: BuildRunner
    name: str = "codebuild"

    def close(self) -> None:
        self.runner.close()


def register(cloud: LocalCloud) -> BuildRunner:
    runner = BuildRunner(cloud.loopback, cloud.stores, cloud.work_dir / "builds", cloud.children)
    api.apply(cloud.patches, cloud.stores, runner.start)
    cloud.heartbeat.register(Builds(runner))
    return runner
