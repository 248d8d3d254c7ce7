"""What a worker needs to know about a function, read once from moto's record of it (pure parts).

AWS runs each function version in environments built from its configuration; when the code or
the configuration changes, new environments are used [1]. `FunctionSettings.fingerprint` is what
tells a warm worker it no longer matches its function. The reserved environment variables are
AWS's list [2]; the function's own variables come first and the reserved ones win, as AWS refuses
a function that sets them.

[1] https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
[2] https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Runtimes run here with the local interpreter (whatever its own version is).
PYTHON_RUNTIMES = ("python3.10", "python3.11", "python3.12", "python3.13", "python3.14")
# Variables a process needs to start at all, taken from the local cloud's own environment.
_INHERITED = ("PATH", "HOME", "TMPDIR", "SYSTEMROOT", "LD_LIBRARY_PATH")
# The local cloud ignores credentials; these are placeholders, not secrets.
_PLACEHOLDER_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "mysfits-local-lambda",
    "AWS_SECRET_ACCESS_KEY": "mysfits-local-lambda",
    "AWS_SESSION_TOKEN": "mysfits-local-lambda",
}
_HANDLER_SHAPE = re.compile(r"^[^\s]+\.[^\s.]+$")


class UnsupportedRuntime(Exception):
    """The local cloud cannot run this function (AWS could): the message says what runs here."""


@dataclass(frozen=True)
class FunctionSettings:
    """One function version's configuration, as a worker runs it."""

    account_id: str
    region: str
    name: str
    arn: str  # unqualified
    version: str  # "$LATEST" or a published number
    runtime: str
    handler: str
    timeout: int
    memory_mb: int
    variables: dict[str, str] = field(default_factory=dict)
    code_sha256: str = ""  # hex digest of the zip
    reserved_concurrency: int | None = None

    @property
    def qualified_arn(self) -> str:
        return f"{self.arn}:{self.version}"

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.name}"

    @property
    def fingerprint(self) -> str:
        """Changes whenever the code or anything a worker was started with changes."""
        started_with = [
            self.runtime,
            self.handler,
            self.timeout,
            self.memory_mb,
            sorted(self.variables.items()),
            self.code_sha256,
        ]
        return hashlib.sha256(json.dumps(started_with).encode()).hexdigest()


def settings_of(function: Any) -> FunctionSettings:
    """`FunctionSettings` of a moto `LambdaFunction` (its zip's sha256 is `code_digest`)."""
    reserved = function.reserved_concurrency
    return FunctionSettings(
        account_id=function.account_id,
        region=function.region,
        name=function.function_name,
        arn=function.function_arn,
        version=str(function.version),
        runtime=function.run_time or "",
        handler=function.handler or "",
        timeout=int(function.timeout),
        memory_mb=int(function.memory_size),
        variables=dict(function.environment_vars or {}),
        code_sha256=getattr(function, "code_digest", ""),
        reserved_concurrency=None if reserved is None else int(reserved),
    )


def check_runnable(settings: FunctionSettings, package_type: str = "Zip") -> None:
    """Raise UnsupportedRuntime unless this is a zip-packaged Python function with a handler."""
    if package_type != "Zip" or not settings.code_sha256:
        raise UnsupportedRuntime(
            "the local cloud runs zip-packaged Python functions only; container-image functions "
            "need a Docker engine, which this local cloud does not use"
        )
    if settings.runtime not in PYTHON_RUNTIMES:
        raise UnsupportedRuntime(
            f"the local cloud runs the runtimes {', '.join(PYTHON_RUNTIMES)} (with its own Python "
            f"interpreter); this function's runtime is {settings.runtime or 'not set'}"
        )
    if not _HANDLER_SHAPE.match(settings.handler):
        raise UnsupportedRuntime(
            f"the handler must be <module>.<function>, not {settings.handler!r}"
        )


def log_stream_name(version: str, now: datetime | None = None) -> str:
    """`YYYY/MM/DD/[version]<32 hex>`: one stream per execution environment."""
    day = (now or datetime.now(UTC)).strftime("%Y/%m/%d")
    return f"{day}/[{version}]{secrets.token_hex(16)}"


def worker_environment(
    settings: FunctionSettings,
    task_root: Path,
    runtime_dir: Path,
    log_stream: str,
    endpoint_url: str,
) -> dict[str, str]:
    """The worker's environment: the function's variables, then AWS's reserved ones over them."""
    environment = {k: os.environ[k] for k in _INHERITED if k in os.environ}
    # Where the function's AWS SDK calls go: this local cloud (unless the function says otherwise).
    environment["AWS_ENDPOINT_URL"] = endpoint_url
    environment.update(settings.variables)
    environment.update(_PLACEHOLDER_CREDENTIALS)
    environment.update(
        {
            "_HANDLER": settings.handler,
            "AWS_REGION": settings.region,
            "AWS_DEFAULT_REGION": settings.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{settings.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": settings.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(settings.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": settings.version,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": settings.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "LAMBDA_TASK_ROOT": str(task_root),
            "LAMBDA_RUNTIME_DIR": str(runtime_dir),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
        }
    )
    return environment


def trace_id() -> str:
    """An X-Ray trace header for `_X_AMZN_TRACE_ID` (not sampled: nothing is traced here)."""
    epoch = f"{int(datetime.now(UTC).timestamp()):08x}"
    return f"Root=1-{epoch}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};Sampled=0"
