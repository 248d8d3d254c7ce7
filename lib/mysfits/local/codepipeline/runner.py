"""CodePipeline executions run locally: S3 source, CodeBuild build and ECS deploy actions.

Each execution runs on its own thread, stage by stage and, inside a stage, action group by action
group (runOrder). Stages take one execution at a time; in SUPERSEDED mode a newer execution
waiting to enter a stage supersedes an older one waiting there. S3 source actions that poll are
checked every second and start an execution when the object's latest version changes. Every
call to S3, CodeBuild and ECS goes through the local cloud's own API, so its fixes apply.
"""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
import string
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import Any, Callable

from botocore.exceptions import ClientError
from moto.codepipeline.models import CodePipeline

from ..codebuild import api as codebuild_api
from . import api as codepipeline
from .api import Execution, PipelineBook
from ..core.loopback import LoopbackClients
from ..core.stores import Stores

log = logging.getLogger("mysfits.local.pipelines")

POLL_SECONDS = 1.0  # AWS polls S3 sources less often; locally a push should release quickly
BUILD_POLL_SECONDS = 1.0
DEPLOY_POLL_SECONDS = 0.5
MAX_IMAGE_DEFINITIONS_BYTES = 100 * 1024
SOURCE, BUILD, DEPLOY = ("Source", "AWS", "S3", "1"), ("Build", "AWS", "CodeBuild", "1"), ("Deploy", "AWS", "ECS", "1")
REVISION_SUMMARY_METADATA = "codepipeline-artifact-revision-summary"
_VARIABLE = re.compile(r"#\{([A-Za-z0-9@\-_]+)\.([A-Za-z0-9@\-_.]+)\}")
# The local cloud ignores credentials; these are placeholders, not secrets.


class ActionFailed(Exception):
    """The action failed; the message goes into its errorDetails."""


class Abandoned(Exception):
    """The execution was stopped with abandon, its pipeline deleted, or the local cloud stopped."""


@dataclass(frozen=True)
class Artifact:
    """An artifact of this execution in the artifact store, and the source revision it derives from."""

    bucket: str
    key: str
    revision: str


def _type_of(action: dict[str, Any]) -> tuple[str, str, str, str]:
    kind = action["actionTypeId"]
    return kind["category"], kind["owner"], kind["provider"], str(kind["version"])


def _polls(action: dict[str, Any]) -> bool:
    """An S3 source action polls unless PollForSourceChanges is "false" (AWS's default is to poll)."""
    configuration = action.get("configuration") or {}
    return _type_of(action) == SOURCE and str(configuration.get("PollForSourceChanges", "true")).lower() != "false"


def _short_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(7))


def _timestamp(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else time.time()


class Lanes:
    """Stage occupancy of one pipeline: one execution per stage, newer waiting ones supersede older."""

    def __init__(self, book: PipelineBook) -> None:
        self._book = book
        self._condition = threading.Condition()
        self._occupant: dict[str, str] = {}
        self._waiting: dict[str, Execution] = {}
        self._superseded: set[str] = set()

    def enter(self, pipeline: CodePipeline, stage: str, execution: Execution, held: str | None,
              interrupted: Callable[[], str | None]) -> str | None:
        """Leave `held`, then wait to enter `stage`; None once in, else why not ("Superseded", "Stopped")."""
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


@dataclass
class Step:
    """One action execution: what GetPipelineState shows for it while it runs."""

    run: "Run"
    stage: str
    action: dict[str, Any]
    configuration: dict[str, str]
    latest: dict[str, Any] = field(default_factory=dict)

    def update(self, revision: dict[str, Any] | None = None, **fields: Any) -> None:
        self.latest.update(fields)
        self.run.book.set_action(self.run.pipeline, self.stage, self.action["name"], dict(self.latest), revision)


class Run:
    """One execution on its thread: its artifacts, variables and clients."""

    def __init__(self, runner: "PipelineRunner", pipeline: CodePipeline, execution: Execution):
        self.runner, self.pipeline, self.execution = runner, pipeline, execution
        self.book = runner.book
        self.region, self.account = codepipeline.region_of(pipeline), codepipeline.account_of(pipeline)
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
        """Where CodePipeline keeps an artifact: `<pipeline name[:20]>/<artifact name[:10]>/<random id>`."""
        return f"{self.execution.pipeline[:20]}/{artifact[:10]}/{_short_id()}"

    def interrupted(self) -> str | None:
        if self.execution.stop or self.runner.halted or not codepipeline.is_current(self.pipeline):
            return "Stopped"
        return None

    def sleep(self, seconds: float) -> None:
        """Wait, unless the execution is being abandoned."""
        halted = self.runner.wait_halt(seconds)
        if halted or self.execution.stop == "abandon" or not codepipeline.is_current(self.pipeline):
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
                refused = lanes.enter(self.pipeline, stage["name"], self.execution, held, self.interrupted)
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
            status = "Stopped"  # a stop-and-wait request lets the running actions finish, nothing more
        self.book.set_stage(self.pipeline, name, self.execution, status)
        return status

    def _run_group(self, stage: str, actions: list[dict[str, Any]]) -> list[str]:
        """Actions with the same runOrder run in parallel."""
        if len(actions) == 1:
            return [self.run_action(stage, actions[0])]
        results: list[str] = []
        threads = [threading.Thread(target=lambda a=a: results.append(self.run_action(stage, a)),
                                    name=f"pipeline-action-{a['name']}", daemon=True) for a in actions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    def run_action(self, stage: str, action: dict[str, Any]) -> str:
        step = Step(self, stage, action, self.resolve(action.get("configuration") or {}))
        step.update(actionExecutionId=str(uuid.uuid4()), status="InProgress")
        handler = _HANDLERS.get(_type_of(action))
        try:
            if handler is None:
                raise ActionFailed(_unsupported(action))
            revision, outputs = handler(step)
        except Abandoned:
            step.update(status="Abandoned")
            return "Abandoned"
        except ActionFailed as failure:
            step.update(status="Failed", errorDetails={"code": "JobFailed", "message": str(failure)})
            return "Failed"
        except ClientError as error:
            step.update(status="Failed", errorDetails={"code": "JobFailed", "message": str(error)})
            return "Failed"
        except Exception as error:  # a bug of the runner must still fail the action, visibly
            log.exception("action %s of pipeline %s faulted", action["name"], self.execution.pipeline)
            step.update(status="Failed", errorDetails={"code": "JobFailed", "message": f"local runner fault: {error}"})
            return "Failed"
        if action.get("namespace"):
            self.namespaces[action["namespace"]] = outputs
        step.update(revision, status="Succeeded")
        return "Succeeded"


def _unsupported(action: dict[str, Any]) -> str:
    category, owner, provider, version = _type_of(action)
    return (f"The local cloud does not run {category} actions of type {owner}/{provider}/{version}: it runs "
            "Source AWS/S3/1, Build AWS/CodeBuild/1 and Deploy AWS/ECS/1 only")


Outcome = tuple[dict[str, Any] | None, dict[str, str]]  # (revision for GetPipelineState, output variables)


# -- Source: AWS/S3/1 -------------------------------------------------------------------------------


def _s3_source(step: Step) -> Outcome:
    run, configuration = step.run, step.configuration
    bucket, key = configuration.get("S3Bucket", ""), configuration.get("S3ObjectKey", "")
    s3 = run.client("s3")
    try:
        versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status")
    except ClientError as error:
        raise ActionFailed(f"Cannot read the versioning state of bucket {bucket}: {error}") from None
    if versioning != "Enabled":
        raise ActionFailed(f"Bucket named {bucket} is not versioned: the Amazon S3 source action needs a bucket "
                           "with versioning enabled")
    pinned = run.execution.source_versions.get(step.action["name"])  # the version that triggered the execution
    try:
        source = s3.get_object(Bucket=bucket, Key=key, **({"VersionId": pinned} if pinned else {}))
    except ClientError as error:
        if error.response["Error"]["Code"] in {"NoSuchKey", "NoSuchVersion", "404"}:
            raise ActionFailed(f"The object with key '{key}' does not exist.") from None
        raise
    body, version, etag = source["Body"].read(), source["VersionId"], source["ETag"].strip('"')
    run.book.note_source_revision(run.pipeline, f"{step.stage}/{step.action['name']}", version)
    created = _timestamp(source.get("LastModified"))
    url = (f"https://console.aws.amazon.com/s3/object/{bucket}?region={run.region}"
           f"&prefix={key}&versionId={version}")
    summary = (source.get("Metadata") or {}).get(REVISION_SUMMARY_METADATA)
    for output in step.action.get("outputArtifacts") or []:
        stored = run.artifact_key(output["name"])
        s3.put_object(Bucket=run.store, Key=stored, Body=body)
        run.artifacts[output["name"]] = Artifact(run.store, stored, version)
        revision = {"name": output["name"], "revisionId": version, "revisionChangeIdentifier": etag,
                    "created": created, "revisionUrl": url}
        run.book.add_revision(run.execution, {**revision, **({"revisionSummary": summary} if summary else {})},
                                  {"actionName": step.action["name"], "revisionId": version, "revisionUrl": url,
                                   **({"revisionSummary": summary} if summary else {})})
    step.update(externalExecutionId=version, **({"summary": summary} if summary else {}))
    return ({"currentRevision": {"revisionId": version, "revisionChangeId": etag, "created": created},
             "revisionUrl": url}, {"ETag": etag, "VersionId": version})


# -- Build: AWS/CodeBuild/1 -------------------------------------------------------------------------


def _input(step: Step, preferred: str | None = None) -> tuple[str, Artifact]:
    names = [a["name"] for a in step.action.get("inputArtifacts") or []]
    if not names:
        raise ActionFailed(f"Action {step.action['name']} has no input artifact")
    name = preferred if preferred in names else names[0]
    if name not in step.run.artifacts:
        raise ActionFailed(f"Input artifact {name} was not produced by an earlier action of this execution")
    return name, step.run.artifacts[name]


def _environment_variables(text: str | None) -> list[dict[str, str]]:
    if not text:
        return []
    try:
        variables = json.loads(text)
        return [{"name": str(v["name"]), "value": str(v["value"]), "type": str(v.get("type", "PLAINTEXT"))}
                for v in variables]
    except (ValueError, TypeError, KeyError):
        raise ActionFailed("EnvironmentVariables must be a JSON array of objects with name, value and "
                           "optionally type") from None


def _codebuild(step: Step) -> Outcome:
    run, configuration = step.run, step.configuration
    project = configuration.get("ProjectName", "")
    _, source = _input(step, configuration.get("PrimarySource"))
    codebuild = run.client("codebuild")
    projects = codebuild.batch_get_projects(names=[project])["projects"]
    if not projects:
        raise ActionFailed(f"Project cannot be found: arn:aws:codebuild:{run.region}:{run.account}:project/{project}")
    arguments: dict[str, Any] = {
        "projectName": project, "sourceTypeOverride": "S3", "sourceLocationOverride": f"{source.bucket}/{source.key}",
        "artifactsOverride": {"type": "NO_ARTIFACTS"},
    }
    buildspec = projects[0]["source"].get("buildspec")
    if buildspec:  # a source type override must not lose the project's own buildspec
        arguments["buildspecOverride"] = buildspec
    variables = _environment_variables(configuration.get("EnvironmentVariables"))
    if variables:
        arguments["environmentVariablesOverride"] = variables
    outputs = [a["name"] for a in step.action.get("outputArtifacts") or []]
    output_key = run.artifact_key(outputs[0]) if outputs else ""
    if outputs:
        path, name = output_key.rsplit("/", 1)
        arguments["artifactsOverride"] = {"type": "S3", "location": run.store, "path": path, "name": name,
                                          "packaging": "ZIP", "namespaceType": "NONE"}
    # On AWS the artifact carries its revision: the build sees it as CODEBUILD_RESOLVED_SOURCE_VERSION.
    builds = codebuild_api.book(run.runner.stores, run.account, run.region)
    builds.note_pipeline_source(arguments["sourceLocationOverride"], source.revision, run.execution.pipeline)
    build = codebuild.start_build(**arguments)["build"]
    step.update(externalExecutionId=build["id"], externalExecutionUrl=(
        f"https://console.aws.amazon.com/codebuild/home?region={run.region}#/builds/{build['id']}/view/new"))
    while build["buildStatus"] == "IN_PROGRESS":
        run.sleep(BUILD_POLL_SECONDS)
        build = codebuild.batch_get_builds(ids=[build["id"]])["builds"][0]
    if build["buildStatus"] != "SUCCEEDED":
        raise ActionFailed(_build_failure(build))
    if outputs:
        run.artifacts[outputs[0]] = Artifact(run.store, output_key, source.revision)
    return None, {}


def _build_failure(build: dict[str, Any]) -> str:
    message = f"Build terminated with state: {build['buildStatus']}"
    failed = [p for p in build.get("phases", [])
              if p.get("phaseStatus") not in {None, "SUCCEEDED"} and p.get("contexts")]
    if failed:
        context = failed[0]["contexts"][0]
        message += (f". Phase context status code: {context.get('statusCode')} "
                    f"Message: {context.get('message')}")
    return message


# -- Deploy: AWS/ECS/1 ------------------------------------------------------------------------------


def image_definitions(archive: bytes, file_name: str, artifact: str) -> dict[str, str]:
    """Container name → image URI from the artifact's image definitions file, or ActionFailed as AWS words it."""
    unreadable = f"Exception while trying to read the image artifact file from the artifact: {artifact}."
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as opened:
            info = opened.getinfo(file_name)
            if info.file_size > MAX_IMAGE_DEFINITIONS_BYTES:
                raise ActionFailed(f"The image definition file {file_name} is larger than the 100 KB limit")
            data = opened.read(info)
    except (zipfile.BadZipFile, KeyError):
        raise ActionFailed(unreadable) from None
    invalid = f"The image definition file {file_name} contents invalid JSON format"
    try:
        entries = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ActionFailed(invalid) from None
    if not isinstance(entries, list) or not entries or not all(
            isinstance(e, dict) and isinstance(e.get("name"), str) and isinstance(e.get("imageUri"), str)
            for e in entries):
        raise ActionFailed(invalid)
    return {e["name"]: e["imageUri"] for e in entries}


def _revision_of(ecs: Any, definition: dict[str, Any], tags: list[dict[str, str]], images: dict[str, str]) -> str:
    """Register a copy of `definition` with the containers' images replaced; its ARN."""
    containers = [dict(c) for c in definition["containerDefinitions"]]
    known = {c["name"] for c in containers}
    for name in images:
        if name not in known:
            raise ActionFailed(f"The AWS ECS container {name} does not exist")
    for container in containers:
        container["image"] = images.get(container["name"], container["image"])
    accepted = ecs.meta.service_model.operation_model("RegisterTaskDefinition").input_shape.members
    arguments = {k: v for k, v in definition.items() if k in accepted and v not in (None, [], {})}
    arguments["containerDefinitions"] = containers
    if tags:
        arguments["tags"] = tags
    return str(ecs.register_task_definition(**arguments)["taskDefinition"]["taskDefinitionArn"])


def _ecs_deploy(step: Step) -> Outcome:
    run, configuration = step.run, step.configuration
    cluster, service_name = configuration.get("ClusterName", ""), configuration.get("ServiceName", "")
    artifact_name, artifact = _input(step)
    archive = run.client("s3").get_object(Bucket=artifact.bucket, Key=artifact.key)["Body"].read()
    images = image_definitions(archive, configuration.get("FileName") or "imagedefinitions.json", artifact_name)
    ecs = run.client("ecs")
    try:
        services = ecs.describe_services(cluster=cluster, services=[service_name])["services"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "ClusterNotFoundException":
            raise ActionFailed(f"The AWS ECS cluster {cluster} does not exist") from None
        raise
    if not services or services[0]["status"] != "ACTIVE":
        raise ActionFailed(f"The AWS ECS service {service_name} does not exist in cluster {cluster}")
    current = ecs.describe_task_definition(taskDefinition=services[0]["taskDefinition"], include=["TAGS"])
    arn = _revision_of(ecs, current["taskDefinition"], current.get("tags") or [], images)
    ecs.update_service(cluster=cluster, service=service_name, taskDefinition=arn)
    step.update(externalExecutionUrl=(f"https://console.aws.amazon.com/ecs/v2/clusters/{cluster}/services/"
                                      f"{service_name}/deployments?region={run.region}"))
    _wait_for_rollout(step, ecs, cluster, service_name, arn,
                      float(configuration.get("DeploymentTimeout") or 60) * 60)
    return None, {}


def _wait_for_rollout(step: Step, ecs: Any, cluster: str, service: str, arn: str, timeout: float) -> None:
    """Until the deployment of `arn` is the COMPLETED primary; ActionFailed if it fails, vanishes or times out."""
    deadline = time.monotonic() + timeout
    while True:
        described = ecs.describe_services(cluster=cluster, services=[service])["services"]
        deployments = [d for d in (described[0]["deployments"] if described else []) if d["taskDefinition"] == arn]
        if not deployments:
            raise ActionFailed(f"The Amazon ECS deployment of {arn} failed: the service no longer deploys it "
                               "(see the service's events)")
        deployment = deployments[0]
        if "externalExecutionId" not in step.latest:
            step.update(externalExecutionId=deployment["id"])
        if deployment.get("rolloutState") == "FAILED":
            raise ActionFailed(f"The Amazon ECS deployment {deployment['id']} failed: "
                               f"{deployment.get('rolloutStateReason', '')}".rstrip(": "))
        if deployment["status"] == "PRIMARY" and deployment.get("rolloutState") == "COMPLETED":
            return
        if time.monotonic() > deadline:
            raise ActionFailed(f"The Amazon ECS deployment {deployment['id']} did not complete within "
                               f"{timeout / 60:g} minutes (DeploymentTimeout)")
        step.run.sleep(DEPLOY_POLL_SECONDS)


_HANDLERS: dict[tuple[str, str, str, str], Callable[[Step], Outcome]] = {
    SOURCE: _s3_source, BUILD: _codebuild, DEPLOY: _ecs_deploy,
}


# -- the runner -------------------------------------------------------------------------------------


class PipelineRunner:
    """Runs every execution the control plane starts, and polls S3 sources for changes."""

    def __init__(self, clients: LoopbackClients, stores: Stores, book: PipelineBook):
        self.clients = clients
        self.stores = stores
        self.book = book
        self._lock = threading.Lock()
        self._halt = threading.Event()
        self._threads: list[threading.Thread] = []
        self._poller: threading.Thread | None = None
        self._next_poll = 0.0
        book.listen(self.start)

    @property
    def halted(self) -> bool:
        return self._halt.is_set()

    def wait_halt(self, seconds: float) -> bool:
        return self._halt.wait(seconds)

    def lanes(self, pipeline: CodePipeline) -> Lanes:
        return self.book.lanes(pipeline, lambda: Lanes(self.book))

    def start(self, pipeline: CodePipeline, execution: Execution) -> None:
        """Run the execution on a thread of its own."""
        thread = threading.Thread(target=self._run, args=(pipeline, execution), daemon=True,
                                  name=f"pipeline-{execution.pipeline}-{execution.id[:8]}")
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _run(self, pipeline: CodePipeline, execution: Execution) -> None:
        try:
            status = Run(self, pipeline, execution).execute()
        except Exception:  # a bug here must still end the execution
            log.exception("pipeline execution %s of %s faulted", execution.id, execution.pipeline)
            status = "Failed"
        self.book.update_execution(execution, status=status)

    def tick(self) -> None:
        """Start a poll of the S3 sources when one is due and none is running (never blocks)."""
        with self._lock:
            if self._halt.is_set() or time.monotonic() < self._next_poll:
                return
            if self._poller is not None and self._poller.is_alive():
                return
            self._next_poll = time.monotonic() + POLL_SECONDS
            self._poller = threading.Thread(target=self._poll, name="pipeline-source-poller", daemon=True)
            self._poller.start()

    def _poll(self) -> None:
        for pipeline in codepipeline.pipelines():
            for stage in pipeline.pipeline["stages"]:
                for action in stage["actions"]:
                    if self._halt.is_set():
                        return
                    if _polls(action):
                        self._check_source(pipeline, stage["name"], action)

    def _check_source(self, pipeline: CodePipeline, stage: str, action: dict[str, Any]) -> None:
        configuration, region = action.get("configuration") or {}, codepipeline.region_of(pipeline)
        s3 = self.clients.client("s3", region)
        try:
            version = s3.head_object(Bucket=configuration.get("S3Bucket", ""),
                                     Key=configuration.get("S3ObjectKey", "")).get("VersionId")
        except ClientError:
            version = None  # no bucket or object yet: its first version will be a change
        if version == "null":
            version = None  # an unversioned bucket has no revisions to detect
        if self.book.source_changed(pipeline, f"{stage}/{action['name']}", version):
            log.info("new revision %s of s3://%s/%s: starting pipeline %s", version, configuration.get("S3Bucket"),
                     configuration.get("S3ObjectKey"), pipeline.pipeline["name"])
            self.book.start_execution(pipeline, "PollForSourceChanges", action["name"],
                                        source_versions={action["name"]: version})

    def close(self) -> None:
        """Abandon every execution, stop polling and wait for the threads; the runner stays usable."""
        self._halt.set()
        with self._lock:
            threads = [t for t in [*self._threads, self._poller] if t is not None]
            self._threads, self._poller = [], None
        for thread in threads:
            thread.join(timeout=10)
        self._halt.clear()
