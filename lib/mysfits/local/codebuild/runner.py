"""CodeBuild builds as local processes: the buildspec's commands run in one bash, phase by phase.

Each build gets a directory with its source (downloaded from S3 and unzipped), a `bin/` that puts
the build tools of `buildtools.py` (`docker`, `aws`) first on PATH, and one bash process that
keeps its state across commands and phases, as buildspec version 0.2 does. Output goes to the
build's CloudWatch Logs stream; BatchGetBuilds shows each phase as it happens.
"""

from __future__ import annotations

import io
import logging
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from moto.core.utils import iso_8601_datetime_with_milliseconds
from moto.logs.models import logs_backends

from . import api as codebuild
from ..core.loopback import LoopbackClients
from ..core.stores import Stores
from ..ecs.tasks import LogDestination, open_stream

log = logging.getLogger("mysfits.local.codebuild")

_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
# The local cloud ignores credentials; these are placeholders, not secrets.
_PLACEHOLDER_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "mysfits-local-build", "AWS_SECRET_ACCESS_KEY": "mysfits-local-build"}
COMMAND_PHASES = ("INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD")
# A failed INSTALL or PRE_BUILD skips to FINALIZING; after BUILD, POST_BUILD and UPLOAD_ARTIFACTS still run.
_SKIPS_TO_FINALIZING = {"INSTALL", "PRE_BUILD"}


class BuildFailed(Exception):
    """A phase failed; `status_code` and the message go into the phase's context."""

    def __init__(self, status_code: str, message: str):
        super().__init__(message)
        self.status_code = status_code


class BuildStopped(Exception):
    """StopBuild or the build's timeout ended it."""

    def __init__(self, status: str):
        super().__init__(status)
        self.status = status


def _now() -> str:
    return iso_8601_datetime_with_milliseconds()


def _clock() -> str:
    return datetime.now(timezone.utc).strftime("%Y/%m/%d %H:%M:%S.%f")[:-3]


def parse_buildspec(text: str) -> dict[str, Any]:
    """The buildspec as a dict; version 0.2 only, with a clear error otherwise."""
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise BuildFailed("YAML_FILE_ERROR", f"YAML file does not exist or is invalid: {error}") from None
    if not isinstance(spec, dict):
        raise BuildFailed("YAML_FILE_ERROR", "YAML file does not have a mapping at its top level")
    if str(spec.get("version")) != "0.2":
        raise BuildFailed("YAML_FILE_ERROR",
                          f"invalid buildspec version {spec.get('version')!r}: the local cloud runs version 0.2")
    return spec


def _glob(pattern: str) -> re.Pattern[str]:
    """A buildspec file pattern as a regex: `**/` spans directories, `*` and `?` stay inside one."""
    pattern = pattern[2:] if pattern.startswith("./") else pattern
    parts = re.split(r"(\*\*/|\*|\?)", pattern)
    wildcards = {"**/": "(?:.*/)?", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(wildcards.get(part, re.escape(part)) for part in parts))


def artifact_files(root: Path, spec: dict[str, Any]) -> dict[str, Path]:
    """The files the buildspec's `artifacts` section selects, by their name inside the artifact."""
    section = spec.get("artifacts") or {}
    base = root / str(section.get("base-directory", "."))
    found: dict[str, Path] = {}
    patterns = [_glob(str(p)) for p in section.get("files") or []]
    for path in sorted(p for p in base.rglob("*") if p.is_file()):
        relative = path.relative_to(base).as_posix()
        if any(pattern.fullmatch(relative) for pattern in patterns):
            found[path.name if section.get("discard-paths") in (True, "yes") else relative] = path
    if not found:
        raise BuildFailed("CLIENT_ERROR", "no matching artifact paths found")
    return found


class Build:
    """One build: where it runs and what it reports."""

    def __init__(self, record: dict[str, Any], project: dict[str, Any], clients: LoopbackClients, stores: Stores,
                 work_dir: Path):
        self.id: str = record["id"]
        self.record, self.project = record, project
        self.region = record["arn"].split(":")[3]
        self.account = record["arn"].split(":")[4]
        self.book = codebuild.book(stores, self.account, self.region)
        self._clients = clients
        self.endpoint_url = clients.endpoint_url
        self.dir = work_dir / self.id.replace(":", "-")
        self.source_dir = self.dir / "src"
        self.deadline = time.monotonic() + 60 * int(record["timeoutInMinutes"])
        self.succeeding = True
        self._shell: subprocess.Popen[bytes] | None = None
        self._status_read = self._status_fd_in_shell = -1
        self._environment: dict[str, str] = {}
        self._output: list[str] = []
        self._output_lock = threading.Lock()
        logs = record["logs"]
        self._logs = LogDestination(self.account, self.region, logs["groupName"], logs["streamName"])
        self._logs_enabled = logs["cloudWatchLogs"]["status"] == "ENABLED"
        if self._logs_enabled:
            open_stream(self._logs, create_group=True)

    def client(self, service: str) -> Any:
        return self._clients.client(service, self.region)

    # -- reporting --------------------------------------------------------------------------

    def say(self, message: str) -> None:
        self._emit(f"[Container] {_clock()} {message}")

    def _emit(self, line: str) -> None:
        with self._output_lock:
            self._output.append(line)

    def flush_logs(self) -> None:
        with self._output_lock:
            lines, self._output = self._output, []
        if not lines or not self._logs_enabled:
            return
        timestamp = int(time.time() * 1000)
        try:
            logs_backends[self.account][self.region].put_log_events(
                self._logs.group, self._logs.stream, [{"timestamp": timestamp, "message": l} for l in lines])
        except Exception:  # the group was deleted under a running build: AWS drops the lines too
            log.debug("log lines of %s dropped", self.id)

    def enter(self, phase: str) -> float:
        now = _now()
        phases = self.record["phases"]
        if phases and "endTime" not in phases[-1]:
            phases[-1].update(phaseStatus="SUCCEEDED", endTime=now, durationInSeconds=0)
        phases.append({"phaseType": phase, "startTime": now})
        self.book.update(self.id, currentPhase=phase, phases=phases)
        if phase in COMMAND_PHASES:
            self.say(f"Entering phase {phase}")
        return time.monotonic()

    def leave(self, phase: str, started: float, status: str, context: tuple[str, str] | None = None) -> None:
        entry = self.record["phases"][-1]
        entry.update(phaseStatus=status, endTime=_now(), durationInSeconds=int(time.monotonic() - started))
        if context:
            entry["contexts"] = [{"statusCode": context[0], "message": context[1]}]
        if phase in COMMAND_PHASES:
            self.say(f"Phase complete: {phase} State: {status}")
            self.say(f"Phase context status code: {context[0] if context else ''} Message: {context[1] if context else ''}")
        self.book.update(self.id, phases=self.record["phases"])
        self.flush_logs()

    # -- the shell --------------------------------------------------------------------------

    def start_shell(self, environment: dict[str, str]) -> None:
        self._environment = environment
        if self._status_read >= 0:
            os.close(self._status_read)
        status_read, status_write = os.pipe()
        self._shell = subprocess.Popen(
            ["bash", "--noprofile", "--norc"], cwd=self.source_dir, env=environment, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=(status_write,), start_new_session=True)
        os.close(status_write)
        self._status_read, self._status_fd_in_shell = status_read, status_write
        threading.Thread(target=self._pump, name=f"build-output-{self.id}", daemon=True).start()

    def _pump(self) -> None:
        assert self._shell is not None and self._shell.stdout is not None
        for raw in iter(self._shell.stdout.readline, b""):
            self._emit(raw.decode("utf-8", "replace").rstrip("\n"))

    def run_command(self, command: str) -> int:
        """Run one buildspec command in the build's shell; its exit status."""
        self._revive_shell()
        assert self._shell is not None and self._shell.stdin is not None
        self.say(f"Running command {command}")
        # Braces keep a multi-line command whole; stdin from /dev/null keeps the script ours.
        script = f"{{\n{command}\n}} < /dev/null\necho $? >&{self._status_fd_in_shell}\n"
        try:
            self._shell.stdin.write(script.encode())
            self._shell.stdin.flush()
        except BrokenPipeError:
            return 255
        reply = b""
        while not reply.endswith(b"\n"):
            if self.book.stop_requested(self.id):
                raise BuildStopped("STOPPED")
            if time.monotonic() > self.deadline:
                raise BuildStopped("TIMED_OUT")
            ready, _, _ = select.select([self._status_read], [], [], 0.2)
            if ready:
                chunk = os.read(self._status_read, 64)
                if not chunk:  # a command ran `exit N`: that is its status, and the shell is gone
                    return self._shell.wait()
                reply += chunk
            self.flush_logs()
        return int(reply.strip() or 255)

    def _revive_shell(self) -> None:
        """A fresh shell after one ended by `exit` (its variables are lost, as with a new shell on AWS)."""
        if self._shell is not None and self._shell.poll() is not None:
            self.start_shell(self._environment)

    def export(self, name: str, value: str) -> None:
        self._environment[name] = value
        self._revive_shell()
        assert self._shell is not None and self._shell.stdin is not None
        self._shell.stdin.write(f"export {name}={value}\n".encode())
        self._shell.stdin.flush()

    def close(self) -> None:
        if self._shell is not None and self._shell.poll() is None:
            try:
                os.killpg(self._shell.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._shell.wait(timeout=5)
        if self._status_read >= 0:
            os.close(self._status_read)
            self._status_read = -1
        self.flush_logs()
        shutil.rmtree(self.dir, ignore_errors=True)


class BuildRunner:
    """Runs every build StartBuild queues, each on its own thread."""

    def __init__(self, clients: LoopbackClients, stores: Stores, work_dir: Path):
        self._clients = clients
        self._stores = stores
        self.work_dir = work_dir
        self._threads: list[threading.Thread] = []
        self._builds: dict[str, Build] = {}
        self._lock = threading.Lock()

    def start(self, record: dict[str, Any], project: dict[str, Any]) -> None:
        thread = threading.Thread(target=self._run, args=(record, project), name=f"build-{record['id']}", daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _run(self, record: dict[str, Any], project: dict[str, Any]) -> None:
        try:
            build = Build(record, project, self._clients, self._stores, self.work_dir)
        except Exception as error:  # e.g. the log group cannot be made: the build fails at once
            log.exception("build %s could not start", record["id"])
            region, account = record["arn"].split(":")[3:5]
            codebuild.book(self._stores, account, region).update(record["id"], buildStatus="FAULT", currentPhase="COMPLETED", buildComplete=True,
                             endTime=_now(), phases=record["phases"] + [
                                 {"phaseType": "PROVISIONING", "phaseStatus": "FAULT", "startTime": _now(),
                                  "endTime": _now(), "contexts": [{"statusCode": "BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE",
                                                                    "message": str(error)}]}])
            return
        with self._lock:
            self._builds[build.id] = build
        try:
            status = _execute(build)
        except Exception as error:  # a bug here must still end the build, as a FAULT
            log.exception("build %s faulted", build.id)
            build.say(f"local build runner fault: {error}")
            status = "FAULT"
        finally:
            build.close()
            with self._lock:
                self._builds.pop(build.id, None)
        build.enter("COMPLETED")  # AWS lists COMPLETED with a start time only
        build.book.update(build.id, buildStatus=status, buildComplete=True, endTime=_now())

    def close(self) -> None:
        """Stop every running build."""
        with self._lock:
            builds, threads = list(self._builds.values()), list(self._threads)
        for build in builds:
            build.book.request_stop(build.id)
        for thread in threads:
            thread.join(timeout=10)


def _execute(build: Build) -> str:
    """Run the build's phases; its final status."""
    spec: dict[str, Any] = {}
    for phase, action in (("PROVISIONING", _provision), ("DOWNLOAD_SOURCE", _download)):
        started = build.enter(phase)
        try:
            result = action(build)
        except BuildFailed as failure:
            build.leave(phase, started, "FAILED" if phase == "DOWNLOAD_SOURCE" else "FAULT",
                        (failure.status_code, str(failure)))
            _finalize(build)
            return "FAILED" if phase == "DOWNLOAD_SOURCE" else "FAULT"
        build.leave(phase, started, "SUCCEEDED")
        if phase == "DOWNLOAD_SOURCE":
            spec = result
    try:
        environment = _environment(build, spec)
    except BuildFailed as failure:
        build.say(str(failure))
        _finalize(build)
        return "FAILED"
    build.start_shell(environment)
    try:
        upload = _command_phases(build, spec)
    except BuildStopped as stopped:
        build.leave(build.record["phases"][-1]["phaseType"], time.monotonic(), stopped.status)
        _finalize(build)
        return stopped.status
    if upload:
        started = build.enter("UPLOAD_ARTIFACTS")
        try:
            _upload(build, spec)
            build.leave("UPLOAD_ARTIFACTS", started, "SUCCEEDED")
        except BuildFailed as failure:
            build.leave("UPLOAD_ARTIFACTS", started, "FAILED", (failure.status_code, str(failure)))
            build.succeeding = False
    _finalize(build)
    return "SUCCEEDED" if build.succeeding else "FAILED"


def _finalize(build: Build) -> None:
    started = build.enter("FINALIZING")
    build.leave("FINALIZING", started, "SUCCEEDED")


def _command_phases(build: Build, spec: dict[str, Any]) -> bool:
    """Run install, pre_build, build, post_build; whether UPLOAD_ARTIFACTS is due."""
    phases = spec.get("phases") or {}
    for phase in COMMAND_PHASES:
        section = phases.get(phase.lower()) or {}
        started = build.enter(phase)
        failure = _run_commands(build, section.get("commands") or [])
        finally_failure = _run_commands(build, section.get("finally") or [])
        failure = failure or finally_failure
        if failure is None:
            build.leave(phase, started, "SUCCEEDED")
            continue
        build.leave(phase, started, "FAILED", ("COMMAND_EXECUTION_ERROR", failure))
        build.succeeding = False
        build.export("CODEBUILD_BUILD_SUCCEEDING", "0")
        if str(section.get("on-failure", "ABORT")).upper() == "CONTINUE":
            continue
        if phase in _SKIPS_TO_FINALIZING:
            return False
    return True


def _run_commands(build: Build, commands: list[Any]) -> str | None:
    """Run commands until one fails; the failure message, or None."""
    for command in commands:
        status = build.run_command(str(command))
        if status != 0:
            return f"Error while executing command: {command}. Reason: exit status {status}"
    return None


def _provision(build: Build) -> None:
    build.source_dir.mkdir(parents=True, exist_ok=True)
    tools = build.dir / "bin"
    tools.mkdir(exist_ok=True)
    for tool in ("docker", "aws"):
        script = tools / tool
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m mysfits.local.codebuild.buildtools {tool} "$@"\n')
        script.chmod(0o755)


def _download(build: Build) -> dict[str, Any]:
    """Fetch and unzip the source; the buildspec."""
    source = build.record["source"]
    kind = source["type"]
    if kind == "S3":
        bucket, _, key = str(source["location"]).partition("/")
        arguments = {"Bucket": bucket, "Key": key}
        if build.record.get("sourceVersion"):
            arguments["VersionId"] = build.record["sourceVersion"]  # for an S3 source, the object's version
        try:
            body = build.client("s3").get_object(**arguments)["Body"].read()
        except Exception as error:
            raise BuildFailed("CLIENT_ERROR", f"error while downloading key {key}: {error}") from None
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                archive.extractall(build.source_dir)
        except zipfile.BadZipFile:
            raise BuildFailed("CLIENT_ERROR", f"the source s3://{bucket}/{key} is not a zip file") from None
    elif kind != "NO_SOURCE":
        raise BuildFailed("CLIENT_ERROR", f"the local cloud's CodeBuild fetches S3 sources only, not {kind}: "
                                          "upload a zip to S3 and start the build with that location")
    return parse_buildspec(_buildspec_text(build, source))


def _buildspec_text(build: Build, source: dict[str, Any]) -> str:
    named = source.get("buildspec") or "buildspec.yml"
    if "\n" in named or named.lstrip().startswith("version"):
        return str(named)
    path = build.source_dir / named
    if not path.is_file():
        raise BuildFailed("YAML_FILE_ERROR", f"YAML file does not exist: {named}")
    return path.read_text()


def _environment(build: Build, spec: dict[str, Any]) -> dict[str, str]:
    record = build.record
    environment = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    environment.update(_PLACEHOLDER_CREDENTIALS)
    environment["PATH"] = f"{build.dir / 'bin'}{os.pathsep}{environment.get('PATH', '/usr/bin:/bin')}"
    environment.update({
        "AWS_REGION": build.region, "AWS_DEFAULT_REGION": build.region, "AWS_ENDPOINT_URL": build.endpoint_url,
        "CODEBUILD_BUILD_ID": record["id"], "CODEBUILD_BUILD_ARN": record["arn"],
        "CODEBUILD_BUILD_NUMBER": str(record["buildNumber"]), "CODEBUILD_BUILD_SUCCEEDING": "1",
        "CODEBUILD_BUILD_IMAGE": str(record["environment"].get("image", "")),
        "CODEBUILD_INITIATOR": record["initiator"], "CODEBUILD_SRC_DIR": str(build.source_dir),
        "CODEBUILD_START_TIME": str(int(time.time() * 1000)),
        "CODEBUILD_PROJECT_ARN": build.project["arn"], "MYSFITS_BUILD_DIR": str(build.dir),
    })
    if record.get("sourceVersion"):
        environment["CODEBUILD_SOURCE_VERSION"] = record["sourceVersion"]
    from_pipeline = build.book.pipeline_source(str(record["source"].get("location", "")))
    if from_pipeline:
        # Only a pipeline resolves the revision of an S3 source; a plain S3 build has none.
        environment["CODEBUILD_RESOLVED_SOURCE_VERSION"] = from_pipeline[0]
        environment["CODEBUILD_INITIATOR"] = f"codepipeline/{from_pipeline[1]}"
    variables = (spec.get("env") or {}).get("variables") or {}
    environment.update({str(k): str(v) for k, v in variables.items()})
    for variable in record["environment"].get("environmentVariables", []):
        environment[variable["name"]] = _resolve_variable(build, variable)
    return environment


def _resolve_variable(build: Build, variable: dict[str, Any]) -> str:
    kind, value = variable.get("type", "PLAINTEXT"), str(variable["value"])
    if kind == "PLAINTEXT":
        return value
    try:
        if kind == "PARAMETER_STORE":
            return build.client("ssm").get_parameter(Name=value, WithDecryption=True)["Parameter"]["Value"]
        if kind == "SECRETS_MANAGER":
            secret_id, _, json_key = value.partition(":")
            secret = build.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
            return str(yaml.safe_load(secret)[json_key]) if json_key else secret
    except Exception as error:
        raise BuildFailed("CLIENT_ERROR", f"cannot resolve {variable['name']} from {kind}: {error}") from None
    raise BuildFailed("CLIENT_ERROR", f"unknown environment variable type {kind} for {variable['name']}")


def _upload(build: Build, spec: dict[str, Any]) -> None:
    target = build.record.get("artifacts") or {}
    kind = target.get("type", "NO_ARTIFACTS")
    if kind == "NO_ARTIFACTS" or not spec.get("artifacts"):
        return
    if kind != "S3":
        raise BuildFailed("CLIENT_ERROR", f"artifacts of type {kind} need a location: start the build with an "
                                          "S3 artifactsOverride (CodePipeline does that)")
    files = artifact_files(build.source_dir, spec)
    parts = [str(target.get("path") or "").strip("/")]
    if target.get("namespaceType") == "BUILD_ID":
        parts.append(build.id.split(":", 1)[1])
    name = str(target.get("name") or build.project["name"])
    s3, bucket = build.client("s3"), target["location"]
    if target.get("packaging", "NONE") == "ZIP":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for inside, path in files.items():
                archive.write(path, inside)
        s3.put_object(Bucket=bucket, Key="/".join(p for p in [*parts, name] if p), Body=buffer.getvalue())
    else:
        for inside, path in files.items():
            s3.put_object(Bucket=bucket, Key="/".join(p for p in [*parts, name, inside] if p), Body=path.read_bytes())
    build.say(f"Uploaded {len(files)} artifact file(s) to s3://{bucket}/{'/'.join(p for p in [*parts, name] if p)}")
