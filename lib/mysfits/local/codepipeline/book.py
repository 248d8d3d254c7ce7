"""What the local cloud keeps of a pipeline beside moto's record: executions, stage states, sources.

GetPipelineExecution, ListPipelineExecutions and GetPipelineState (`api.py`) read it; the runner
(`execution.py`, `runner.py`) writes it.
"""

from __future__ import annotations

import copy
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from moto.codepipeline.models import CodePipeline, codepipeline_backends


@dataclass
class Execution:
    """One pipeline execution, as GetPipelineExecution shows it, plus what the runner needs."""

    id: str
    pipeline: str
    version: int
    definition: dict[str, Any]  # the pipeline as it was when the execution started
    trigger: dict[str, str]
    variables: list[dict[str, str]]
    started: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    status: str = "InProgress"
    status_summary: str | None = None
    stop: str | None = None  # "wait" or "abandon" once StopPipelineExecution asked
    stop_reason: str | None = None
    artifact_revisions: list[dict[str, Any]] = field(default_factory=list)
    source_revisions: list[dict[str, Any]] = field(default_factory=list)
    source_versions: dict[str, str] = field(
        default_factory=dict
    )  # source action → the S3 version to take

    @property
    def mode(self) -> str:
        return str(self.definition.get("executionMode") or "SUPERSEDED")

    def as_execution(self) -> dict[str, Any]:
        shown = {
            "pipelineName": self.pipeline,
            "pipelineVersion": self.version,
            "pipelineExecutionId": self.id,
            "status": self.status,
            "artifactRevisions": self.artifact_revisions,
            "trigger": self.trigger,
            "variables": self.variables,
            "executionMode": self.mode,
            "executionType": "STANDARD",
        }
        if self.status_summary:
            shown["statusSummary"] = self.status_summary
        return shown

    def as_summary(self) -> dict[str, Any]:
        shown = {
            "pipelineExecutionId": self.id,
            "status": self.status,
            "startTime": self.started,
            "lastUpdateTime": self.updated,
            "sourceRevisions": self.source_revisions,
            "trigger": self.trigger,
            "executionMode": self.mode,
            "executionType": "STANDARD",
        }
        if self.status_summary:
            shown["statusSummary"] = self.status_summary
        if self.stop:
            shown["stopTrigger"] = {"reason": self.stop_reason or ""}
        return shown


@dataclass
class StageRecord:
    """What GetPipelineState shows for one stage."""

    latest: dict[str, Any] | None = None
    inbound: dict[str, Any] | None = None
    actions: dict[str, dict[str, Any]] = field(default_factory=dict)


Listener = Callable[[CodePipeline, Execution], None]
T = TypeVar("T")


def pipelines() -> Iterator[CodePipeline]:
    """Every pipeline of every account and region."""
    for account in list(codepipeline_backends.values()):
        for backend in list(account.values()):
            yield from list(backend.pipelines.values())


def region_of(pipeline: CodePipeline) -> str:
    return str(pipeline._arn.split(":")[3])


def account_of(pipeline: CodePipeline) -> str:
    return str(pipeline._arn.split(":")[4])


def is_current(pipeline: CodePipeline) -> bool:
    """Whether the pipeline still exists (and was not deleted and re-created under its name)."""
    backend = codepipeline_backends[account_of(pipeline)][region_of(pipeline)]
    return backend.pipelines.get(pipeline.pipeline["name"]) is pipeline


class PipelineBook:
    """What this local cloud adds to moto's pipelines: stage states, seen revisions, executions.

    Keyed by moto's pipeline objects (weakly), so a pipeline deleted and re-created under its
    name starts with a clean record, and nothing outlives moto's reset.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._on_started: Listener | None = None
        self._lanes: weakref.WeakKeyDictionary[CodePipeline, Any] = weakref.WeakKeyDictionary()
        self._stages: weakref.WeakKeyDictionary[CodePipeline, dict[str, StageRecord]] = (
            weakref.WeakKeyDictionary()
        )
        self._seen: weakref.WeakKeyDictionary[CodePipeline, dict[str, set[str]]] = (
            weakref.WeakKeyDictionary()
        )

    def listen(self, on_started: Listener) -> None:
        """Call `on_started(pipeline, execution)` per new execution (the data plane runs it)."""
        self._on_started = on_started

    def lanes(self, pipeline: CodePipeline, make: Callable[[], T]) -> T:
        """The runner's stage occupancy of `pipeline`, made by `make` on first use."""
        with self.lock:
            return self._lanes.setdefault(pipeline, make())

    def stages(self, pipeline: CodePipeline) -> dict[str, StageRecord]:
        with self.lock:
            return self._stages.setdefault(pipeline, {})

    def note_source_revision(self, pipeline: CodePipeline, action: str, revision: str) -> None:
        """A source action took `revision`: polling must not release it again."""
        with self.lock:
            self._seen.setdefault(pipeline, {}).setdefault(action, set()).add(revision)

    def source_changed(self, pipeline: CodePipeline, action: str, revision: str | None) -> bool:
        """Whether the poller's `revision` (None: no object) is new and must start an execution.

        The first look only sets the baseline: creating the pipeline already started an execution.
        """
        with self.lock:
            seen = self._seen.setdefault(pipeline, {})
            if action not in seen:
                seen[action] = set() if revision is None else {revision}
                return False
            if revision is None or revision in seen[action]:
                return False
            seen[action].add(revision)
            return True

    def start_execution(
        self,
        pipeline: CodePipeline,
        trigger_type: str,
        trigger_detail: str,
        variables: list[dict[str, str]] | None = None,
        source_versions: dict[str, str] | None = None,
    ) -> Execution:
        """Record a new execution for the runner; `source_versions` pins S3 source actions."""
        with self.lock:
            execution = Execution(
                id=str(uuid.uuid4()),
                pipeline=pipeline.pipeline["name"],
                version=int(pipeline.pipeline["version"]),
                definition=copy.deepcopy(pipeline.pipeline),
                trigger={"triggerType": trigger_type, "triggerDetail": trigger_detail},
                variables=_resolve_variables(pipeline.pipeline, variables),
                source_versions=dict(source_versions or {}),
            )
            pipeline.executions[execution.id] = cast(Any, execution)  # ours replace moto's records
        if self._on_started is not None:
            self._on_started(pipeline, execution)
        return execution

    def update_execution(self, execution: Execution, **fields: Any) -> None:
        with self.lock:
            for name, value in fields.items():
                setattr(execution, name, value)
            execution.updated = time.time()

    def add_revision(
        self, execution: Execution, artifact: dict[str, Any], source: dict[str, Any]
    ) -> None:
        """A source action's revision: it shows in the execution's artifact and source revisions."""
        with self.lock:
            execution.artifact_revisions.append(artifact)
            execution.source_revisions.append(source)
            execution.updated = time.time()

    def set_stage(
        self, pipeline: CodePipeline, stage: str, execution: Execution, status: str
    ) -> None:
        """The stage's latest execution is `execution`, with this status."""
        with self.lock:
            self.stages(pipeline).setdefault(stage, StageRecord()).latest = {
                "pipelineExecutionId": execution.id,
                "status": status,
                "type": "STANDARD",
            }

    def set_inbound(self, pipeline: CodePipeline, stage: str, execution: Execution | None) -> None:
        """`execution` waits to enter the stage (None: nobody waits)."""
        with self.lock:
            record = self.stages(pipeline).setdefault(stage, StageRecord())
            record.inbound = (
                None
                if execution is None
                else {
                    "pipelineExecutionId": execution.id,
                    "status": "InProgress",
                    "type": "STANDARD",
                }
            )

    def set_action(
        self,
        pipeline: CodePipeline,
        stage: str,
        action: str,
        latest: dict[str, Any],
        revision: dict[str, Any] | None = None,
    ) -> None:
        """The action's latest execution (and, for source actions, its current revision)."""
        with self.lock:
            record = (
                self.stages(pipeline)
                .setdefault(stage, StageRecord())
                .actions.setdefault(action, {})
            )
            record["latestExecution"] = {**latest, "lastStatusChange": time.time()}
            if revision is not None:
                record["currentRevision"] = revision["currentRevision"]
                record["revisionUrl"] = revision["revisionUrl"]

    def request_stop(
        self, pipeline: CodePipeline, execution: Execution, mode: str, reason: str
    ) -> None:
        with self.lock:
            self.update_execution(execution, stop=mode, stop_reason=reason, status="Stopping")
            for record in self.stages(pipeline).values():
                latest = record.latest or {}
                if (
                    latest.get("pipelineExecutionId") == execution.id
                    and latest.get("status") == "InProgress"
                ):
                    latest["status"] = "Stopping"


def _resolve_variables(
    pipeline: dict[str, Any], given: list[dict[str, str]] | None
) -> list[dict[str, str]]:
    values = {v["name"]: str(v.get("defaultValue", "")) for v in pipeline.get("variables") or []}
    values.update({v["name"]: str(v["value"]) for v in given or []})
    return [{"name": name, "resolvedValue": value} for name, value in values.items()]
