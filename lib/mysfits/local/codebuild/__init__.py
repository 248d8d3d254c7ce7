"""CodeBuild: StartBuild runs the buildspec for real, with `docker` and `aws` stand-ins on its PATH.

`api` answers StartBuild, BatchGetBuilds, StopBuild and UpdateProject from this local cloud's build
books; `runner` runs each build in its own shell; `buildtools` is what the build calls `docker`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.heartbeat import Delegate
from . import api
from .runner import BuildRunner

if TYPE_CHECKING:
    from ..server import LocalCloud


def register(cloud: LocalCloud) -> BuildRunner:
    runner = BuildRunner(cloud.loopback, cloud.stores, cloud.work_dir / "builds", cloud.children)
    api.apply(cloud.patches, cloud.stores, runner.start)
    cloud.heartbeat.register(Delegate("codebuild", runner.close))  # running builds stop on reset
    return runner
