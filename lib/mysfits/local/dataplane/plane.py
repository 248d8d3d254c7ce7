"""The data plane's heartbeat: one thread that keeps tasks, health checks and listeners current."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from ..endpoints import EndpointRegistry
from ..fidelity import cloudformation, codebuild, codepipeline, dynamodb, ecr, ecs, elbv2
from . import s3_website
from .codebuild import BuildRunner
from .ecs import EcsScheduler
from .images import ImageCache
from .nlb import LoadBalancerProxies
from .pipelines import PipelineRunner
from .targets import HealthBook, TargetDirectory

TICK_SECONDS = 0.25
log = logging.getLogger("mysfits.local.dataplane")


class DataPlane:
    """Runs what the control plane only records: websites, ECS tasks, NLB listeners, builds, pipelines."""

    def __init__(self, registry: EndpointRegistry, endpoint_url: str, work_dir: Path):
        self.registry = registry
        self.directory = TargetDirectory()
        self.health = HealthBook(self.directory)
        cloudformation.install()
        codebuild.install()
        codepipeline.install()
        dynamodb.install()
        ecr.install()
        ecs.install()
        elbv2.install(self.health)
        self.scheduler = EcsScheduler(ImageCache(work_dir / "images"), self.directory, self.health, endpoint_url)
        self.proxies = LoadBalancerProxies(registry, self.directory, self.health)
        self.builds = BuildRunner(endpoint_url, work_dir / "builds")
        self.pipelines = PipelineRunner(endpoint_url)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="data-plane", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def refresh(self) -> None:
        """Bring every part of the data plane in line with the control plane now."""
        with self._lock:
            s3_website.reconcile(self.registry)
            self.proxies.reconcile()

    def _run(self) -> None:
        while not self._stopping.wait(TICK_SECONDS):
            try:
                self.scheduler.tick()
                self.pipelines.tick()
                self.health.check_due()
                self.refresh()
            except Exception:  # one bad resource must not stop the heartbeat for all others
                log.exception("data-plane tick failed")

    def reset(self) -> None:
        """Stop every task and endpoint (before the control plane forgets everything)."""
        with self._lock:
            self.pipelines.close()
            self.builds.close()
            self.scheduler.close()
            self.registry.close_all()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self.pipelines.close()
        self.builds.close()
        self.scheduler.close()
        self.proxies.close()
        self.health.close()
        self.registry.close_all()
