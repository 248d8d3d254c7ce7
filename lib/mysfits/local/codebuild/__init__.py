"""CodeBuild: StartBuild runs the buildspec for real, with `docker` and `aws` stand-ins on its PATH.

`api` answers StartBuild, BatchGetBuilds, StopBuild and UpdateProject from this local cloud's build
books; `runner` runs each build in its own shell; `buildtools` is what the build calls `docker`.

Every `docker` or `aws` command of a build starts `python -m mysfits.local.codebuild.buildtools`,
which imports this package first: so `api` and `runner` (and moto with them, 1 to 3 s of imports)
load only in `register`, inside the local cloud's own process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.heartbeat import Delegate

if TYPE_CHECKING:
    from ..server import LocalCloud
    from .runner import BuildRunner


def register(cloud: LocalCloud) -> BuildRunner:
    from . import api  # here, not at the top: see the module's note
    from .runner import BuildRunner

    runner = BuildRunner(cloud.loopback, cloud.stores, cloud.work_dir / "builds", cloud.children)
    api.apply(cloud.patches, cloud.stores, runner.start)
    cloud.heartbeat.register(Delegate("codebuild", runner.close))  # running builds stop on reset
    return runner
