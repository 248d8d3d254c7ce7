"""One pipeline execution on its own thread: stage by stage, one action group (runOrder) at a time.

Stages take one execution at a time (`Lanes`); in SUPERSEDED mode a newer execution waiting to
enter a stage supersedes an older one waiting there.
"""

from __future__ import annotations

import logging
import re
import secrets
import string
import threading
import uuid
from collections.abc import Callable
from itertools import groupby
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from moto.codepipeline.models import CodePipeline

from . import book as books
from .actions import HANDLERS, unsupported
from .book import Execution, PipelineBook
from .steps import Abandoned, ActionFailed, Artifact, Step, type_of

if TYPE_CHECKING:
    from .runner import PipelineRunner

log = logging.getLogger("mysfits.local.pipelines")
_VARIABLE = re.compile(r"#\{([A-Za-z0-9@\-_]+)\.([A-Za-z0-9@\-_.]+)\}")


def _short_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(7))


class Lanes:
    """A pipeline's stage occupancy: one execution per stage; newer waiting ones supersede older."""

    def __init__(self, book: PipelineBook) -> None:
        self._book = book
        self._condition = threading.Condition()
        self._occupant: dict[str, str] = {}
        self._waiting: dict[str, Execution] = {}
        self._superseded: set[str] = set()

    def enter(
        self,
        pipeline: CodePipeline,
        stage: str,
        execution: Execution,
        held: str | None,
        interrupted: Callable[[], str | None],
    ) -> str | None:
        """Leave `held`, wait to enter `stage`; None once in, else why not (Superseded, Stopped)."""
        with self._condition:
            if held is not None:
                self._release(held, execution)
            older = self._waiting.get(stage)
            if older is not None and execution.mode == "SUPERSEDED":
                self._superseded.add(older.id)
            self._waiting[stage] = execution
            self._book.set_inbound(pipeline, stage, execution)
            while True:
                outcome = "Superseded" if execution.id in self._superseded else interrupted()
                if outcome or stage not in self._occupant:
                    break
                self._condition.wait(0.25)
            self._superseded.discard(execution.id)
            if self._waiting.get(stage) is execution:
                del self._waiting[stage]
                self._book.set_inbound(pipeline, stage, None)
            if outcome:
                return outcome
            self._occupant[stage] = execution.id
            return None

    def leave(self, stage: str, execution: Execution) -> None:
        with self._condition:
            self._release(stage, execution)

    def _release(self, stage: str, execution: Execution) -> None:
        if self._occupant.get(stage) == execution.id:
            del self._occupant[stage]
            self._condition.notify_all()


class Run:
    """One execution on its thread: its artifacts, variables and clients."""

    def __init__(self, runner: PipelineRunner, pipeline: CodePipeline, execution: Execution):
        self.runner, self.pipeline, self.execution = runner, pipeline, execution
        self.book = runner.book
        self.region, self.account = books.region_of(pipeline), books.account_of(pipeline)
        self.artifacts: dict[str, Artifact] = {}
        self.namespaces: dict[str, dict[str, str]] = {
            "codepipeline": {"PipelineExecutionId": execution.id},
            "variables": {v["name"]: v["resolvedValue"] for v in execution.variables},
        }

    def client(self, service: str) -> Any:
        return self.runner.clients.client(service, self.region)

    @property
    def store(self) -> str:
        """The artifact store bucket in the pipeline's region."""
        definition = self.execution.definition
        stores = definition.get("artifactStores") or {}
        return str((stores.get(self.region) or definition.get("artifactStore") or {})["location"])

    def artifact_key(self, artifact: str) -> str:
        """Where CodePipeline keeps an artifact: `<pipeline[:20]>/<artifact[:10]>/<random id>`."""
        return f"{self.execution.pipeline[:20]}/{artifact[:10]}/{_short_id()}"

    def interrupted(self) -> str | None:
        if self.execution.stop or self.runner.halted or not books.is_current(self.pipeline):
            return "Stopped"
        return None

    def sleep(self, seconds: float) -> None:
        """Wait, unless the execution is being abandoned."""
        halted = self.runner.wait_halt(seconds)
        if halted or self.execution.stop == "abandon" or not books.is_current(self.pipeline):
            raise Abandoned()

    def resolve(self, configuration: dict[str, Any]) -> dict[str, str]:
        """The configuration with `#{namespace.variable}` references replaced by their values."""

        def value(match: re.Match[str]) -> str:
            return self.namespaces.get(match[1], {}).get(match[2], match[0])

        return {key: _VARIABLE.sub(value, str(text)) for key, text in configuration.items()}

    # -- the execution --------------------------------------------------------------------------

    def execute(self) -> str:
        """Run every stage; the execution's final status."""
        lanes = self.runner.lanes(self.pipeline)
        held: str | None = None
        try:
            for stage in self.execution.definition["stages"]:
                refused = lanes.enter(
                    self.pipeline, stage["name"], self.execution, held, self.interrupted
                )
                held = None
                if refused:
                    return refused
                held = stage["name"]
                status = self.run_stage(stage)
                if status != "Succeeded":
                    return status
            return "Succeeded"
        finally:
            if held is not None:
                lanes.leave(held, self.execution)

    def run_stage(self, stage: dict[str, Any]) -> str:
        name = stage["name"]
        self.book.set_stage(self.pipeline, name, self.execution, "InProgress")
        status = "Succeeded"
        ordered = sorted(stage["actions"], key=lambda a: int(a.get("runOrder", 1)))
        for _, group in groupby(ordered, key=lambda a: int(a.get("runOrder", 1))):
            if self.interrupted():
                status = "Stopped"
                break
            results = self._run_group(name, list(group))
            if "Failed" in results:
                status = "Failed"
                break
            if "Abandoned" in results:
                status = "Stopped"
                break
        if status == "Succeeded" and self.interrupted():
            status = (
                "Stopped"  # a stop-and-wait request lets the running actions finish, nothing more
            )
        self.book.set_stage(self.pipeline, name, self.execution, status)
        return status

    def _run_group(self, stage: str, actions: list[dict[str, Any]]) -> list[str]:
        """Actions with the same runOrder run in parallel."""
        if len(actions) == 1:
            return [self.run_action(stage, actions[0])]
        results: list[str] = []
        threads = [
            threading.Thread(
                target=lambda a=a: results.append(self.run_action(stage, a)),
                name=f"pipeline-action-{a['name']}",
                daemon=True,
            )
            for a in actions
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    def run_action(self, stage: str, action: dict[str, Any]) -> str:
        step = Step(self, stage, action, self.resolve(action.get("configuration") or {}))
        step.update(actionExecutionId=str(uuid.uuid4()), status="InProgress")
        handler = HANDLERS.get(type_of(action))
        try:
            if handler is None:
                raise ActionFailed(unsupported(action))
            revision, outputs = handler(step)
        except Abandoned:
            step.update(status="Abandoned")
            return "Abandoned"
        except ActionFailed as failure:
            step.update(
                status="Failed", errorDetails={"code": "JobFailed", "message": str(failure)}
            )
            return "Failed"
        except ClientError as error:
            step.update(status="Failed", errorDetails={"code": "JobFailed", "message": str(error)})
            return "Failed"
        except Exception as error:  # a bug of the runner must still fail the action, visibly
            log.exception(
                "action %s of pipeline %s faulted", action["name"], self.execution.pipeline
            )
            step.update(
                status="Failed",
                errorDetails={"code": "JobFailed", "message": f"local runner fault: {error}"},
            )
            return "Failed"
        if action.get("namespace"):
            self.namespaces[action["namespace"]] = outputs
        step.update(revision, status="Succeeded")
        return "Succeeded"
