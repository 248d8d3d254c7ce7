"""CodeBuild builds that really happen.

AWS behaviours restored (moto 5.2.5 differs on each):
- StartBuild queues a build that the data plane runs (moto invents a result: every build
  "succeeds" the first time anyone reads it, with random durations);
- StartBuild honours the overrides a pipeline uses: `sourceTypeOverride`,
  `sourceLocationOverride`, `buildspecOverride`, `environmentVariablesOverride`,
  `artifactsOverride`, `timeoutInMinutesOverride` (moto keeps only the artifacts override);
- BatchGetBuilds answers what the build is doing now, with `buildsNotFound` for unknown ids,
  and build numbers count up per project; StopBuild stops the running commands;
- a project whose source or artifacts type is CODEPIPELINE or NO_SOURCE needs no location
  (moto refuses such projects);
- UpdateProject changes a project in place (moto 5.2.5 does not implement it).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

from moto.codebuild import responses as codebuild_responses
from moto.codebuild.exceptions import InvalidInputException, ResourceNotFoundException
from moto.codebuild.models import CodeBuildBackend
from moto.codebuild.responses import CodeBuildResponse
from moto.core.responses import ActionResult
from moto.core.utils import iso_8601_datetime_with_milliseconds

from ..core.patching import Patches
from ..core.stores import Stores

Listener = Callable[[dict[str, Any], dict[str, Any]], None]
LOG_GROUP_PREFIX = "/aws/codebuild/"


class BuildBook:
    """One account's builds in one region, as BatchGetBuilds shows them, and their stop requests."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._builds: dict[str, dict[str, Any]] = {}
        self._stop_requests: set[str] = set()
        self._pipeline_sources: dict[
            str, tuple[str, str]
        ] = {}  # input artifact -> (revision, pipeline)

    def add(self, build: dict[str, Any]) -> None:
        with self._lock:
            build["buildNumber"] = 1 + sum(
                1 for b in self._builds.values() if b["projectName"] == build["projectName"]
            )
            self._builds[build["id"]] = build

    def __contains__(self, build_id: str) -> bool:
        with self._lock:
            return build_id in self._builds

    def note_pipeline_source(self, location: str, revision: str, pipeline: str) -> None:
        """The local CodePipeline says which source revision an input artifact (`bucket/key`) holds.

        On AWS, CodePipeline hands CodeBuild the revision with the artifact; a build started with
        that artifact then sees it as CODEBUILD_RESOLVED_SOURCE_VERSION, and `codepipeline/<name>`
        as its initiator.
        """
        with self._lock:
            self._pipeline_sources[location] = (revision, pipeline)

    def pipeline_source(self, location: str) -> tuple[str, str] | None:
        """(revision, pipeline name) noted for an input artifact location, if a pipeline made it."""
        with self._lock:
            return self._pipeline_sources.get(location)

    def update(self, build_id: str, **fields: Any) -> None:
        """Change what BatchGetBuilds reports for a build."""
        with self._lock:
            self._builds[build_id].update(fields)

    def request_stop(self, build_id: str) -> None:
        """Ask the runner to end a build (StopBuild, or the local cloud shutting down)."""
        with self._lock:
            if build_id in self._builds and not self._builds[build_id]["buildComplete"]:
                self._stop_requests.add(build_id)

    def stop_requested(self, build_id: str) -> bool:
        with self._lock:
            return build_id in self._stop_requests

    def snapshot(self, build_id: str) -> dict[str, Any]:
        """A copy of the build's current record."""
        with self._lock:
            build = self._builds[build_id]
            return {**build, "phases": [dict(p) for p in build["phases"]]}


def book(stores: Stores, account: str, region: str) -> BuildBook:
    """The builds of `account` in `region`."""
    return stores.get("codebuild", account, region, BuildBook)


def _source(project: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    source = dict(project["source"])
    if params.get("sourceTypeOverride"):
        source = {"type": params["sourceTypeOverride"]}
    if params.get("sourceLocationOverride"):
        source["location"] = params["sourceLocationOverride"]
    if params.get("buildspecOverride"):
        source["buildspec"] = params["buildspecOverride"]
    return source


def _environment(project: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    environment = dict(project["environment"])
    variables = {v["name"]: v for v in environment.get("environmentVariables", [])}
    variables.update(
        {
            v["name"]: {"type": "PLAINTEXT", **v}
            for v in params.get("environmentVariablesOverride") or []
        }
    )
    environment["environmentVariables"] = list(variables.values())
    if params.get("privilegedModeOverride") is not None:
        environment["privilegedMode"] = params["privilegedModeOverride"]
    return environment


def _logs(
    project: dict[str, Any], region: str, account: str, name: str, stream: str
) -> dict[str, Any]:
    configured = (project.get("logsConfig") or {}).get("cloudWatchLogs") or {}
    group = configured.get("groupName") or f"{LOG_GROUP_PREFIX}{name}"
    if configured.get("streamName"):
        stream = f"{configured['streamName']}/{stream}"
    return {
        "groupName": group,
        "streamName": stream,
        "deepLink": (
            f"https://console.aws.amazon.com/cloudwatch/home?region={region}#logsV2:log-groups/"
            f"log-group/{group}/log-events/{stream}"
        ),
        "cloudWatchLogsArn": (
            f"arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:{stream}"
        ),
        "cloudWatchLogs": {"status": configured.get("status", "ENABLED")},
    }


def _new_build(self: CodeBuildResponse, name: str, project: dict[str, Any]) -> dict[str, Any]:
    params = {
        key: self._get_param(key)
        for key in (
            "sourceVersion",
            "sourceTypeOverride",
            "sourceLocationOverride",
            "buildspecOverride",
            "environmentVariablesOverride",
            "artifactsOverride",
            "timeoutInMinutesOverride",
            "privilegedModeOverride",
        )
    }
    source = _source(project, params)
    if source["type"] not in {"NO_SOURCE", "CODEPIPELINE"} and not source.get("location"):
        raise InvalidInputException("Invalid source: source location is required")
    build_uuid = str(uuid.uuid4())
    build_id, now = f"{name}:{build_uuid}", iso_8601_datetime_with_milliseconds()
    return {
        "id": build_id,
        "arn": f"arn:aws:codebuild:{self.region}:{self.current_account}:build/{build_id}",
        "startTime": now,
        "currentPhase": "QUEUED",
        "buildStatus": "IN_PROGRESS",
        "sourceVersion": params["sourceVersion"] or project.get("sourceVersion"),
        "projectName": name,
        "source": source,
        "phases": [
            {
                "phaseType": "SUBMITTED",
                "phaseStatus": "SUCCEEDED",
                "startTime": now,
                "endTime": now,
                "durationInSeconds": 0,
            },
            {"phaseType": "QUEUED", "startTime": now},
        ],
        "artifacts": params["artifactsOverride"] or project["artifacts"],
        "environment": _environment(project, params),
        "serviceRole": project["serviceRole"],
        "logs": _logs(project, self.region, self.current_account, name, build_uuid),
        "timeoutInMinutes": params["timeoutInMinutesOverride"]
        or project.get("timeoutInMinutes")
        or 60,
        "queuedTimeoutInMinutes": project.get("queuedTimeoutInMinutes") or 480,
        "buildComplete": False,
        "initiator": "mysfits-local",
    }


def _handlers(
    stores: Stores, on_build_started: Listener
) -> dict[str, Callable[[CodeBuildResponse], ActionResult]]:
    """StartBuild, BatchGetBuilds and StopBuild answered from this local cloud's build books."""

    def start_build(self: CodeBuildResponse) -> ActionResult:
        name = self._get_param("projectName") or ""
        backend: CodeBuildBackend = self.codebuild_backend
        project_model = backend.codebuild_projects.get(name)
        if project_model is None:
            raise ResourceNotFoundException(
                "Project cannot be found: "
                f"arn:aws:codebuild:{self.region}:{self.current_account}:project/{name}"
            )
        project = project_model.project_metadata
        builds = book(stores, self.current_account, self.region)
        build = _new_build(self, name, project)
        builds.add(build)
        backend.build_history.setdefault(name, []).append(build["id"])
        on_build_started(builds.snapshot(build["id"]), dict(project))
        return ActionResult({"build": builds.snapshot(build["id"])})

    def batch_get_builds(self: CodeBuildResponse) -> ActionResult:
        ids = self._get_param("ids") or []
        if any(":" not in i for i in ids):
            raise InvalidInputException("Invalid build ID provided")
        builds = book(stores, self.current_account, self.region)
        found = [builds.snapshot(i) for i in ids if i in builds]
        return ActionResult(
            {
                "builds": found,
                "buildsNotFound": [i for i in ids if i not in {b["id"] for b in found}],
            }
        )

    def stop_build(self: CodeBuildResponse) -> ActionResult:
        build_id = self._get_param("id") or ""
        builds = book(stores, self.current_account, self.region)
        if build_id not in builds:
            raise ResourceNotFoundException(f"Build {build_id} does not exist")
        builds.request_stop(build_id)
        return ActionResult({"build": builds.snapshot(build_id)})

    return {
        "start_build": start_build,
        "batch_get_builds": batch_get_builds,
        "stop_build": stop_build,
    }


_UPDATABLE = (
    "description",
    "source",
    "artifacts",
    "environment",
    "timeoutInMinutes",
    "queuedTimeoutInMinutes",
    "logsConfig",
    "tags",
    "sourceVersion",
    "cache",
    "vpcConfig",
)


def _update_project(self: CodeBuildResponse) -> ActionResult:
    name = self._get_param("name") or ""
    project_model = self.codebuild_backend.codebuild_projects.get(name)
    if project_model is None:
        raise ResourceNotFoundException(
            "Project cannot be found: "
            f"arn:aws:codebuild:{self.region}:{self.current_account}:project/{name}"
        )
    project = project_model.project_metadata
    for key in _UPDATABLE:
        value = self._get_param(key)
        if value is not None:
            project[key] = value
    if self._get_param("serviceRole"):
        project["serviceRole"] = project_model.service_role = self._get_param("serviceRole")
    project["lastModified"] = iso_8601_datetime_with_milliseconds()
    return ActionResult({"project": project})


def _allowing_pipeline_sources(
    original: Callable[[dict[str, Any]], None],
) -> Callable[[dict[str, Any]], None]:
    def validate(source: dict[str, Any]) -> None:
        if source.get("type") not in {"CODEPIPELINE", "NO_SOURCE"}:
            original(source)

    return validate


def _allowing_pipeline_artifacts(
    original: Callable[[dict[str, Any]], None],
) -> Callable[[dict[str, Any]], None]:
    def validate(artifacts: dict[str, Any]) -> None:
        if artifacts.get("type") != "CODEPIPELINE":
            original(artifacts)

    return validate


def apply(patches: Patches, stores: Stores, on_build_started: Listener) -> None:
    """Patch moto's CodeBuild; `on_build_started(build, project)` runs what StartBuild queues."""
    patches.wrap(
        "codebuild.pipeline-sources",
        codebuild_responses,
        "_validate_required_params_source",
        _allowing_pipeline_sources,
    )
    patches.wrap(
        "codebuild.pipeline-artifacts",
        codebuild_responses,
        "_validate_required_params_artifacts",
        _allowing_pipeline_artifacts,
    )
    for name, handler in _handlers(stores, on_build_started).items():
        patches.apply(f"codebuild.{name}", CodeBuildResponse, name, handler)
    patches.apply("codebuild.update_project", CodeBuildResponse, "update_project", _update_project)
