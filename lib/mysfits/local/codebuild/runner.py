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
import sys
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import yaml

from ..core.children import Children
from ..core.loopback import LoopbackClients
from ..core.stores import Stores
from . import api as codebuild
from .build import COMMAND_PHASES, Build, BuildFailed, BuildStopped, iso_now
from .buildspec import artifact_files, parse_buildspec
from .buildtools import TIMESTAMPS_SETTING

log = logging.getLogger("mysfits.local.codebuild")

_PACKAGE_ROOT = Path(__file__).resolve().parents[3]  # the directory that holds `mysfits`
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
# The local cloud ignores credentials; these are placeholders, not secrets.
_PLACEHOLDER_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "mysfits-local-build",
    "AWS_SECRET_ACCESS_KEY": "mysfits-local-build",
}
# A failed INSTALL or PRE_BUILD skips to FINALIZING; after a failed BUILD, POST_BUILD and
# UPLOAD_ARTIFACTS still run.
_SKIPS_TO_FINALIZING = {"INSTALL", "PRE_BUILD"}


class BuildRunner:
    """Runs every build StartBuild queues, each on its own thread."""

    def __init__(
        self, clients: LoopbackClients, stores: Stores, work_dir: Path, children: Children
    ):
        self._clients = clients
        self._stores = stores
        self.work_dir = work_dir
        self._children = children
        self._threads: list[threading.Thread] = []
        self._builds: dict[str, Build] = {}
        self._lock = threading.Lock()

    def start(self, record: dict[str, Any], project: dict[str, Any]) -> None:
        thread = threading.Thread(
            target=self._run, args=(record, project), name=f"build-{record['id']}", daemon=True
        )
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _run(self, record: dict[str, Any], project: dict[str, Any]) -> None:
        try:
            build = Build(
                record, project, self._clients, self._stores, self.work_dir, self._children
            )
        except Exception as error:  # e.g. the log group cannot be made: the build fails at once
            log.exception("build %s could not start", record["id"])
            region, account = record["arn"].split(":")[3:5]
            codebuild.book(self._stores, account, region).update(
                record["id"],
                buildStatus="FAULT",
                currentPhase="COMPLETED",
                buildComplete=True,
                endTime=iso_now(),
                phases=record["phases"]
                + [
                    {
                        "phaseType": "PROVISIONING",
                        "phaseStatus": "FAULT",
                        "startTime": iso_now(),
                        "endTime": iso_now(),
                        "contexts": [
                            {
                                "statusCode": "BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE",
                                "message": str(error),
                            }
                        ],
                    }
                ],
            )
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
        build.book.update(build.id, buildStatus=status, buildComplete=True, endTime=iso_now())

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
    spec, failed = _prepare(build)
    if failed is None:
        failed = _run_shell_phases(build, spec)
    _finalize(build)
    return failed or ("SUCCEEDED" if build.succeeding else "FAILED")


def _prepare(build: Build) -> tuple[dict[str, Any], str | None]:
    """PROVISIONING and DOWNLOAD_SOURCE: the buildspec, or the status the build ends with."""
    started = build.enter("PROVISIONING")
    try:
        _provision(build)
    except BuildFailed as failure:
        build.leave("PROVISIONING", started, "FAULT", (failure.status_code, str(failure)))
        return {}, "FAULT"
    build.leave("PROVISIONING", started, "SUCCEEDED")
    started = build.enter("DOWNLOAD_SOURCE")
    try:
        spec = _download(build)
    except BuildFailed as failure:
        build.leave("DOWNLOAD_SOURCE", started, "FAILED", (failure.status_code, str(failure)))
        return {}, "FAILED"
    build.leave("DOWNLOAD_SOURCE", started, "SUCCEEDED")
    return spec, None


def _run_shell_phases(build: Build, spec: dict[str, Any]) -> str | None:
    """The command phases in one shell, then UPLOAD_ARTIFACTS; a status only when stopped early."""
    try:
        environment = _environment(build, spec)
    except BuildFailed as failure:
        build.say(str(failure))
        return "FAILED"
    build.start_shell(environment)
    try:
        upload = _command_phases(build, spec)
    except BuildStopped as stopped:
        build.leave(build.record["phases"][-1]["phaseType"], time.monotonic(), stopped.status)
        return stopped.status
    if upload:
        started = build.enter("UPLOAD_ARTIFACTS")
        try:
            _upload(build, spec)
            build.leave("UPLOAD_ARTIFACTS", started, "SUCCEEDED")
        except BuildFailed as failure:
            build.leave("UPLOAD_ARTIFACTS", started, "FAILED", (failure.status_code, str(failure)))
            build.succeeding = False
    return None


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
    # The tools are this cloud's own code: import the `mysfits` this process runs, not whichever
    # one the build's Python would find first.
    first = f'PYTHONPATH="{_PACKAGE_ROOT}${{PYTHONPATH:+:$PYTHONPATH}}"; export PYTHONPATH'
    for tool in ("docker", "aws"):
        script = tools / tool
        run = f'exec "{sys.executable}" -m mysfits.local.codebuild.buildtools {tool} "$@"'
        script.write_text(f"#!/bin/sh\n{first}\n{run}\n")
        script.chmod(0o755)


def _download(build: Build) -> dict[str, Any]:
    """Fetch and unzip the source; the buildspec."""
    source = build.record["source"]
    kind = source["type"]
    if kind == "S3":
        bucket, _, key = str(source["location"]).partition("/")
        arguments = {"Bucket": bucket, "Key": key}
        if build.record.get("sourceVersion"):
            arguments["VersionId"] = build.record[
                "sourceVersion"
            ]  # for an S3 source, the object's version
        try:
            body = build.client("s3").get_object(**arguments)["Body"].read()
        except Exception as error:
            raise BuildFailed(
                "CLIENT_ERROR", f"error while downloading key {key}: {error}"
            ) from None
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                archive.extractall(build.source_dir)
        except zipfile.BadZipFile:
            raise BuildFailed(
                "CLIENT_ERROR", f"the source s3://{bucket}/{key} is not a zip file"
            ) from None
    elif kind != "NO_SOURCE":
        raise BuildFailed(
            "CLIENT_ERROR",
            f"the local cloud's CodeBuild fetches S3 sources only, not {kind}: "
            "upload a zip to S3 and start the build with that location",
        )
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
    inherited = (*_INHERITED, TIMESTAMPS_SETTING)  # the setting reaches `docker build`
    environment = {name: os.environ[name] for name in inherited if name in os.environ}
    environment.update(_PLACEHOLDER_CREDENTIALS)
    environment["PATH"] = (
        f"{build.dir / 'bin'}{os.pathsep}{environment.get('PATH', '/usr/bin:/bin')}"
    )
    environment.update(
        {
            "AWS_REGION": build.region,
            "AWS_DEFAULT_REGION": build.region,
            "AWS_ENDPOINT_URL": build.endpoint_url,
            "CODEBUILD_BUILD_ID": record["id"],
            "CODEBUILD_BUILD_ARN": record["arn"],
            "CODEBUILD_BUILD_NUMBER": str(record["buildNumber"]),
            "CODEBUILD_BUILD_SUCCEEDING": "1",
            "CODEBUILD_BUILD_IMAGE": str(record["environment"].get("image", "")),
            "CODEBUILD_INITIATOR": record["initiator"],
            "CODEBUILD_SRC_DIR": str(build.source_dir),
            "CODEBUILD_START_TIME": str(int(time.time() * 1000)),
            "CODEBUILD_PROJECT_ARN": build.project["arn"],
            "MYSFITS_BUILD_DIR": str(build.dir),
        }
    )
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
            return build.client("ssm").get_parameter(Name=value, WithDecryption=True)["Parameter"][
                "Value"
            ]
        if kind == "SECRETS_MANAGER":
            secret_id, _, json_key = value.partition(":")
            secret = build.client("secretsmanager").get_secret_value(SecretId=secret_id)[
                "SecretString"
            ]
            return str(yaml.safe_load(secret)[json_key]) if json_key else secret
    except Exception as error:
        raise BuildFailed(
            "CLIENT_ERROR", f"cannot resolve {variable['name']} from {kind}: {error}"
        ) from None
    raise BuildFailed(
        "CLIENT_ERROR", f"unknown environment variable type {kind} for {variable['name']}"
    )


def _upload(build: Build, spec: dict[str, Any]) -> None:
    target = build.record.get("artifacts") or {}
    kind = target.get("type", "NO_ARTIFACTS")
    if kind == "NO_ARTIFACTS" or not spec.get("artifacts"):
        return
    if kind != "S3":
        raise BuildFailed(
            "CLIENT_ERROR",
            f"artifacts of type {kind} need a location: start the build with an "
            "S3 artifactsOverride (CodePipeline does that)",
        )
    files = artifact_files(build.source_dir, spec)
    prefix = _artifact_prefix(build, target)
    s3, bucket = build.client("s3"), target["location"]
    if target.get("packaging", "NONE") == "ZIP":
        s3.put_object(Bucket=bucket, Key=prefix, Body=_zipped(files))
    else:
        for inside, path in files.items():
            s3.put_object(Bucket=bucket, Key=f"{prefix}/{inside}", Body=path.read_bytes())
    build.say(f"Uploaded {len(files)} artifact file(s) to s3://{bucket}/{prefix}")


def _artifact_prefix(build: Build, target: dict[str, Any]) -> str:
    """`path/[build id/]name`, as CodeBuild lays out S3 artifacts."""
    parts = [str(target.get("path") or "").strip("/")]
    if target.get("namespaceType") == "BUILD_ID":
        parts.append(build.id.split(":", 1)[1])
    parts.append(str(target.get("name") or build.project["name"]))
    return "/".join(p for p in parts if p)


def _zipped(files: dict[str, Path]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for inside, path in files.items():
            archive.write(path, inside)
    return buffer.getvalue()
