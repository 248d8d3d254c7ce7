"""CodePipeline executions that really happen.

AWS behaviours restored (moto 5.2.5 differs on each):
- CreatePipeline starts an execution at once, trigger `CreatePipeline` (moto starts none);
- StartPipelineExecution starts an execution that the data plane runs stage by stage (moto records
  every execution as Succeeded the moment it starts, and runs nothing);
- GetPipelineExecution and ListPipelineExecutions (newest first, `maxResults`/`nextToken`) show
  what the execution is doing: status, trigger, artifact and source revisions, resolved variables;
- GetPipelineState (moto: not implemented) shows each stage's latest execution, the execution
  waiting to enter it (`inboundExecution`), and each action's latest execution and revision;
- StopPipelineExecution (moto: not implemented) stops and waits, or abandons, with AWS's errors
  (PipelineExecutionNotStoppableException, DuplicatedStopRequestException);
- DeletePipeline abandons the pipeline's executions.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

from moto.codepipeline.exceptions import (
    PipelineExecutionNotFoundException,
    PipelineNotFoundException,
)
from moto.codepipeline.models import CodePipeline, CodePipelineBackend
from moto.codepipeline.responses import CodePipelineResponse
from moto.core.exceptions import JsonRESTError

from ..core.patching import Patches
from .book import Execution, PipelineBook, StageRecord, region_of

_EXECUTION_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_DEFAULT_PAGE = 100


class PipelineExecutionNotStoppableException(JsonRESTError):
    code = 400

    def __init__(self, message: str):
        super().__init__("PipelineExecutionNotStoppableException", message)


class DuplicatedStopRequestException(JsonRESTError):
    code = 400

    def __init__(self, message: str):
        super().__init__("DuplicatedStopRequestException", message)


class ValidationException(JsonRESTError):
    code = 400

    def __init__(self, message: str):
        super().__init__("ValidationException", message)


def _caller(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


def entity_url(region: str, action: dict[str, Any]) -> str | None:
    """The console page of what the action works on (as GetPipelineState's entityUrl)."""
    provider, configuration = action["actionTypeId"]["provider"], action.get("configuration") or {}
    console = f"https://console.aws.amazon.com/{{}}/home?region={region}#"
    if provider == "S3":
        return f"https://console.aws.amazon.com/s3/buckets/{configuration.get('S3Bucket')}?region={region}"
    if provider == "CodeBuild":
        return console.format("codebuild") + f"/projects/{configuration.get('ProjectName')}/view"
    if provider == "ECS":
        return console.format("ecs") + (
            f"/clusters/{configuration.get('ClusterName')}"
            f"/services/{configuration.get('ServiceName')}/details"
        )
    return None


# -- the API ------------------------------------------------------------------------------------


def _pipeline(self: CodePipelineResponse, name: str) -> CodePipeline:
    backend: CodePipelineBackend = self.codepipeline_backend
    found = backend.pipelines.get(name)
    if found is None:
        raise PipelineNotFoundException(
            f"Account '{self.current_account}' does not have a pipeline with name '{name}'"
        )
    return found


def _execution(self: CodePipelineResponse, pipeline: CodePipeline, execution_id: str) -> Execution:
    if not _EXECUTION_ID.fullmatch(execution_id):
        raise ValidationException(
            f"1 validation error detected: Value '{execution_id}' at 'pipelineExecutionId' "
            "failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {_EXECUTION_ID.pattern}"
        )
    execution = pipeline.executions.get(execution_id)
    if not isinstance(execution, Execution):
        raise PipelineExecutionNotFoundException(
            f"Account '{self.current_account}' does not have an execution with id '{execution_id}' "
            f"for pipeline '{pipeline.pipeline['name']}'"
        )
    return execution


def _start_pipeline_execution(book: PipelineBook, self: CodePipelineResponse) -> str:
    pipeline = _pipeline(self, self._get_param("name") or "")
    overrides = self._get_param("sourceRevisions") or []
    unsupported = [o for o in overrides if o.get("revisionType") != "S3_OBJECT_VERSION_ID"]
    if unsupported:
        raise ValidationException(
            f"The local cloud overrides S3 source versions only (S3_OBJECT_VERSION_ID), "
            f"not {unsupported[0].get('revisionType')}"
        )
    execution = book.start_execution(
        pipeline,
        "StartPipelineExecution",
        _caller(self.current_account),
        self._get_param("variables"),
        {o["actionName"]: o["revisionValue"] for o in overrides},
    )
    return _json({"pipelineExecutionId": execution.id})


def _get_pipeline_execution(book: PipelineBook, self: CodePipelineResponse) -> str:
    pipeline = _pipeline(self, self._get_param("pipelineName") or "")
    execution = _execution(self, pipeline, self._get_param("pipelineExecutionId") or "")
    with book.lock:
        return _json({"pipelineExecution": execution.as_execution()})


def _list_pipeline_executions(book: PipelineBook, self: CodePipelineResponse) -> str:
    pipeline = _pipeline(self, self._get_param("pipelineName") or "")
    size = int(self._get_param("maxResults") or _DEFAULT_PAGE)
    token = self._get_param("nextToken")
    start = int(token) if token and str(token).isdigit() else 0
    with book.lock:
        newest_first = sorted(
            (e for e in pipeline.executions.values() if isinstance(e, Execution)),
            key=lambda e: e.started,
            reverse=True,
        )
        page = [e.as_summary() for e in newest_first[start : start + size]]
    answer: dict[str, Any] = {"pipelineExecutionSummaries": page}
    if start + size < len(newest_first):
        answer["nextToken"] = str(start + size)
    return _json(answer)


def _get_pipeline_state(book: PipelineBook, self: CodePipelineResponse) -> str:
    pipeline = _pipeline(self, self._get_param("name") or "")
    region = region_of(pipeline)
    stages = []
    with book.lock:
        records = book.stages(pipeline)
        for stage in pipeline.pipeline["stages"]:
            record = records.get(stage["name"], StageRecord())
            actions = []
            for action in stage["actions"]:
                shown = {
                    "actionName": action["name"],
                    **copy.deepcopy(record.actions.get(action["name"], {})),
                }
                url = entity_url(region, action)
                if url:
                    shown["entityUrl"] = url
                actions.append(shown)
            state: dict[str, Any] = {
                "stageName": stage["name"],
                "inboundTransitionState": {"enabled": True},
                "actionStates": actions,
            }
            if record.latest:
                state["latestExecution"] = dict(record.latest)
            if record.inbound:
                state["inboundExecution"] = dict(record.inbound)
            stages.append(state)
    metadata = pipeline.metadata
    return _json(
        {
            "pipelineName": pipeline.pipeline["name"],
            "pipelineVersion": pipeline.pipeline["version"],
            "stageStates": stages,
            "created": metadata["created"],
            "updated": metadata["updated"],
        }
    )


def _stop_pipeline_execution(book: PipelineBook, self: CodePipelineResponse) -> str:
    pipeline = _pipeline(self, self._get_param("pipelineName") or "")
    execution = _execution(self, pipeline, self._get_param("pipelineExecutionId") or "")
    mode = "abandon" if self._get_param("abandon") else "wait"
    with book.lock:
        if execution.status not in {"InProgress", "Stopping"}:
            raise PipelineExecutionNotStoppableException(
                f"Unable to stop pipeline execution {execution.id}: "
                f"its status is {execution.status}"
            )
        if execution.stop == mode or execution.stop == "abandon":
            raise DuplicatedStopRequestException(
                f"Pipeline execution {execution.id} is already stopping "
                f"({'abandoning' if execution.stop == 'abandon' else 'waiting for'} "
                "in-progress actions)"
            )
        book.request_stop(pipeline, execution, mode, self._get_param("reason") or "")
    return _json({"pipelineExecutionId": execution.id})


def _json(answer: dict[str, Any]) -> str:
    return json.dumps(answer)


def _starting_on_create(
    book: PipelineBook,
) -> Callable[[Callable[[CodePipelineResponse], str]], Any]:
    def wrap(
        original: Callable[[CodePipelineResponse], str],
    ) -> Callable[[CodePipelineResponse], str]:
        def create_pipeline(self: CodePipelineResponse) -> str:
            answer = original(self)
            pipeline = _pipeline(self, self._get_param("pipeline")["name"])
            book.start_execution(pipeline, "CreatePipeline", _caller(self.current_account))
            return answer

        return create_pipeline

    return wrap


def _abandoning_on_delete(
    book: PipelineBook,
) -> Callable[[Callable[[CodePipelineResponse], str]], Any]:
    def wrap(
        original: Callable[[CodePipelineResponse], str],
    ) -> Callable[[CodePipelineResponse], str]:
        def delete_pipeline(self: CodePipelineResponse) -> str:
            pipeline = self.codepipeline_backend.pipelines.get(self._get_param("name") or "")
            if pipeline is not None:
                with book.lock:
                    for execution in pipeline.executions.values():
                        if isinstance(execution, Execution) and execution.status in {
                            "InProgress",
                            "Stopping",
                        }:
                            book.request_stop(pipeline, execution, "abandon", "Pipeline deleted")
            return original(self)

        return delete_pipeline

    return wrap


def _bound(
    book: PipelineBook, handler: Callable[[PipelineBook, CodePipelineResponse], str]
) -> Callable[..., str]:
    def method(self: CodePipelineResponse) -> str:
        return handler(book, self)

    return method


def apply(patches: Patches, book: PipelineBook) -> None:
    """Patch moto's CodePipeline to run executions and keep their state in `book`."""
    patches.wrap(
        "codepipeline.start-on-create",
        CodePipelineResponse,
        "create_pipeline",
        _starting_on_create(book),
    )
    patches.wrap(
        "codepipeline.abandon-on-delete",
        CodePipelineResponse,
        "delete_pipeline",
        _abandoning_on_delete(book),
    )
    handlers = {
        "start_pipeline_execution": _start_pipeline_execution,
        "get_pipeline_execution": _get_pipeline_execution,
        "list_pipeline_executions": _list_pipeline_executions,
        "get_pipeline_state": _get_pipeline_state,
        "stop_pipeline_execution": _stop_pipeline_execution,
    }
    for name, handler in handlers.items():
        patches.apply(f"codepipeline.{name}", CodePipelineResponse, name, _bound(book, handler))
