"""Watching a release: the pipeline's stage states, the build log's tail, and how it ended."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tqdm.auto import tqdm

from .checks import Check
from .idioms import absent_is_none
from .releases import Push
from .waiting import Progress, wait_until
from .workshop import Workshop

_RUNNING = {"InProgress", "Stopping"}


@dataclass(frozen=True)
class Release:
    """A pipeline execution for one source version, as it ended."""

    execution_id: str
    status: str
    source_version: str
    image_tag: str
    stages: dict[str, str]


def release_of(ws: Workshop, version_id: str) -> dict[str, Any] | None:
    """The pipeline execution that took source version `version_id`, if one has started."""
    pages = (
        ws.client("codepipeline")
        .get_paginator("list_pipeline_executions")
        .paginate(pipelineName=ws.names.pipeline)
    )
    for page in pages:
        for summary in page["pipelineExecutionSummaries"]:
            if any(r.get("revisionId") == version_id for r in summary.get("sourceRevisions", [])):
                return dict(summary)
    return None


def stage_states(ws: Workshop, execution_id: str | None = None) -> dict[str, str]:
    """Each stage and its latest status; with `execution_id`, "not run" where it is another's."""
    state = ws.client("codepipeline").get_pipeline_state(name=ws.names.pipeline)
    return {s["stageName"]: _status(s, execution_id) for s in state["stageStates"]}


def _status(stage: dict[str, Any], execution_id: str | None) -> str:
    latest = stage.get("latestExecution", {})
    if execution_id is not None and latest.get("pipelineExecutionId") != execution_id:
        return "not run"
    return str(latest.get("status", "not run"))


class ReleaseWatch:
    """Writes each stage change and each new build-log line of one release while it runs."""

    def __init__(self, ws: Workshop, push: Push, write: Callable[[str], None] = tqdm.write):
        self._ws, self._push, self._write = ws, push, write
        self.execution: dict[str, Any] | None = None
        self.stages: dict[str, str] = {}
        self._build: str | None = None
        self._log_token: str | None = None

    def poll(self) -> dict[str, Any] | None:
        """Look once; the execution's summary when it has finished, else None."""
        self.execution = release_of(self._ws, self._push.version_id)
        if self.execution is None:
            return None
        state = self._ws.client("codepipeline").get_pipeline_state(name=self._ws.names.pipeline)
        for stage in state["stageStates"]:
            self._stage(stage)
        self._tail_build_log()
        return self.execution if self.execution["status"] not in _RUNNING else None

    def _stage(self, stage: dict[str, Any]) -> None:
        name, status = stage["stageName"], _status(stage, self.execution_id)
        if self.stages.get(name) != status:
            self._write(f"stage {name}: {status}")
        self.stages[name] = status
        if name == "Build" and status != "not run":
            action = (stage.get("actionStates") or [{}])[0].get("latestExecution", {})
            self._build = action.get("externalExecutionId") or self._build

    @property
    def execution_id(self) -> str | None:
        return str(self.execution["pipelineExecutionId"]) if self.execution else None

    def _tail_build_log(self) -> None:
        if self._build is None:
            return
        builds = self._ws.client("codebuild").batch_get_builds(ids=[self._build])["builds"]
        logs = builds[0].get("logs", {}) if builds else {}
        if not logs.get("streamName"):
            return  # the build has not started writing yet
        for line in self._new_log_lines(logs["groupName"], logs["streamName"]):
            self._write(f"  build | {line.rstrip()}")

    def _new_log_lines(self, group: str, stream: str) -> list[str]:
        request = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
        if self._log_token:
            request["nextToken"] = self._log_token
        logs = self._ws.client("logs")
        # The stream appears with the build's first line.
        answer = absent_is_none(lambda: logs.get_log_events(**request), "ResourceNotFoundException")
        if answer is None:
            return []
        self._log_token = answer.get("nextForwardToken", self._log_token)
        return [str(event["message"]) for event in answer.get("events", [])]

    def progress(self) -> Progress:
        """Stages this release has finished, of all the pipeline's stages."""
        done = sum(status == "Succeeded" for status in self.stages.values())
        running = [name for name, status in self.stages.items() if status in _RUNNING]
        note = (
            f"{running[0]} running"
            if running
            else ("waiting for the pipeline to notice the push" if self.execution is None else "")
        )
        return Progress(done, max(len(self.stages), 3), "stages", note)


def wait_for_release(
    ws: Workshop, push: Push, timeout: float = 1800, write: Callable[[str], None] = tqdm.write
) -> Release:
    """Wait until the pipeline has run for `push` (noticing can take a minute on AWS) and finished.

    Meanwhile each stage change and each new line of the build's log is written out.
    """
    watch = ReleaseWatch(ws, push, write)
    summary = wait_until(
        watch.poll,
        what=f"pipeline {ws.names.pipeline} to release source version {push.version_id}",
        timeout=timeout,
        interval=2,
        progress=watch.progress,
        hint="see the pipeline's stages with releasewatch.stage_states(ws), the build log in "
        "CloudWatch "
        f"Logs group /aws/codebuild/{ws.names.build_project}",
    )
    execution = str(summary["pipelineExecutionId"])
    return Release(
        execution,
        str(summary["status"]),
        push.version_id,
        push.image_tag,
        stage_states(ws, execution),
    )


def check_release(ws: Workshop, release: Release) -> Check:
    """The execution for the pushed version succeeded in every stage."""
    return Check(
        f"pipeline released source version {release.source_version[:12]}",
        release.status == "Succeeded",
        f"execution {release.execution_id}: {release.status}; stages {release.stages}",
    )


def check_service_runs_release(ws: Workshop, release: Release) -> Check:
    """The service's current task definition runs the image the pipeline built for this release."""
    ecs = ws.client("ecs")
    service = ecs.describe_services(cluster=ws.names.cluster, services=[ws.names.service])[
        "services"
    ][0]
    definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])[
        "taskDefinition"
    ]
    image = definition["containerDefinitions"][0]["image"]
    deployments = service["deployments"]
    primary: dict[str, Any] = next((d for d in deployments if d["status"] == "PRIMARY"), {})
    ok = (
        image.endswith(f":{release.image_tag}")
        and primary.get("rolloutState") == "COMPLETED"
        and service["runningCount"] == service["desiredCount"]
    )
    return Check(
        "the service runs the released image",
        ok,
        f"{definition['family']}:{definition['revision']} runs {image}; rollout "
        f"{primary.get('rolloutState')}; "
        f"{service['runningCount']}/{service['desiredCount']} tasks running",
    )
