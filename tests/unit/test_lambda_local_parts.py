"""The local Lambda's pure parts: settings, platform lines, the runtime's errors, code, pools."""

from __future__ import annotations

import base64
import io
import json
import sys
import threading
import zipfile
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from mysfits.local.lambda_ import api, bootstrap, reports
from mysfits.local.lambda_.code import BadCode, CodeCache, unpack
from mysfits.local.lambda_.pool import IDLE_SECONDS, FunctionPool, Retired, Throttled
from mysfits.local.lambda_.settings import (
    FunctionSettings,
    UnsupportedRuntime,
    check_runnable,
    log_stream_name,
    worker_environment,
)

SETTINGS = FunctionSettings(
    account_id="123456789012",
    region="eu-west-1",
    name="clicks",
    arn="arn:aws:lambda:eu-west-1:123456789012:function:clicks",
    version="$LATEST",
    runtime="python3.12",
    handler="app.handler",
    timeout=3,
    memory_mb=128,
    variables={"MYSFITS_TABLE": "mysfits", "AWS_REGION": "us-east-1"},
    code_sha256="ab" * 32,
)


def zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


# settings


def test_the_reserved_variables_win_over_the_functions_own() -> None:
    environment = worker_environment(
        SETTINGS, Path("/code"), Path("/runtime"), "2025/01/01/[$LATEST]ab", "http://127.0.0.1:1"
    )
    assert environment["MYSFITS_TABLE"] == "mysfits"
    assert environment["AWS_REGION"] == "eu-west-1"
    assert environment["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert environment["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/clicks"
    assert environment["LAMBDA_TASK_ROOT"] == "/code"
    assert environment["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1"
    assert "PYTHONPATH" not in environment


def test_a_function_may_point_its_sdk_elsewhere() -> None:
    settings = replace(SETTINGS, variables={"AWS_ENDPOINT_URL": "http://127.0.0.1:2"})
    environment = worker_environment(settings, Path("/c"), Path("/r"), "s", "http://127.0.0.1:1")
    assert environment["AWS_ENDPOINT_URL"] == "http://127.0.0.1:2"


def test_the_fingerprint_changes_with_code_and_configuration_only() -> None:
    assert replace(SETTINGS).fingerprint == SETTINGS.fingerprint
    assert replace(SETTINGS, reserved_concurrency=5).fingerprint == SETTINGS.fingerprint
    for change in (
        {"code_sha256": "cd" * 32},
        {"timeout": 4},
        {"memory_mb": 256},
        {"handler": "app.other"},
        {"variables": {"MYSFITS_TABLE": "other"}},
    ):
        assert replace(SETTINGS, **change).fingerprint != SETTINGS.fingerprint


@pytest.mark.parametrize("runtime", ["python3.10", "python3.12", "python3.14"])
def test_python_runtimes_run_here(runtime: str) -> None:
    check_runnable(replace(SETTINGS, runtime=runtime))


@pytest.mark.parametrize(
    ("change", "package", "words"),
    [
        ({"runtime": "nodejs20.x"}, "Zip", "python3.10"),
        ({"runtime": "python3.9"}, "Zip", "python3.9"),
        ({}, "Image", "container-image"),
        ({"code_sha256": ""}, "Zip", "zip-packaged"),
        ({"handler": "handler"}, "Zip", "<module>.<function>"),
    ],
)
def test_what_cannot_run_here_says_what_can(
    change: dict[str, Any], package: str, words: str
) -> None:
    with pytest.raises(UnsupportedRuntime, match=words.replace(".", r"\.")):
        check_runnable(replace(SETTINGS, **change), package)


def test_log_stream_names_are_dated_and_versioned() -> None:
    name = log_stream_name("$LATEST", datetime(2025, 3, 9, tzinfo=UTC))
    assert name.startswith("2025/03/09/[$LATEST]") and len(name) == len("2025/03/09/[$LATEST]") + 32


# reports


def test_report_lines_are_tab_separated_with_a_trailing_tab() -> None:
    usage = reports.Usage(26.734, 128, 75)
    assert reports.report_line("r1", usage) == (
        "REPORT RequestId: r1\tDuration: 26.73 ms\tBilled Duration: 27 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 75 MB\t"
    )
    cold = reports.report_line("r1", replace(usage, init_ms=101.5))
    assert cold.endswith("Max Memory Used: 75 MB\tInit Duration: 101.50 ms\t")
    assert reports.start_line("r1", "$LATEST") == "START RequestId: r1 Version: $LATEST"
    assert reports.end_line("r1") == "END RequestId: r1"


def test_a_timeout_is_reported_with_two_decimals() -> None:
    moment = datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert reports.timeout_line("r1", 3, moment) == (
        "2025-01-02T03:04:05.678Z r1 Task timed out after 3.00 seconds"
    )
    assert reports.timeout_payload("r1", 0.5) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": "RequestId: r1 Error: Task timed out after 0.50 seconds",
    }


@pytest.mark.parametrize(
    ("returncode", "reason"),
    [
        (0, "Runtime exited without providing a reason"),
        (2, "Runtime exited with error: exit status 2"),
        (-9, "Runtime exited with error: signal: kill"),
    ],
)
def test_a_runtime_that_exits_is_described_as_aws_does(returncode: int, reason: str) -> None:
    assert reports.exit_payload("r1", returncode) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: r1 Error: {reason}",
    }


def test_the_tail_is_the_last_4_kb() -> None:
    lines = [f"line {n:05d} " + "x" * 90 for n in range(100)]
    tail = base64.b64decode(reports.tail(lines))
    assert len(tail) == reports.TAIL_BYTES
    assert tail.endswith(lines[-1].encode() + b"\n")
    assert base64.b64decode(reports.tail(["a", "b"])) == b"a\nb\n"


# the runtime (bootstrap)


def test_handlers_load_with_awss_error_types(tmp_path: Path, monkeypatch: Any) -> None:
    (tmp_path / "good.py").write_text("def handler(e, c):\n    return e\n")
    (tmp_path / "broken.py").write_text("def handler(:\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert bootstrap.load_handler("good.handler")({"a": 1}, None) == {"a": 1}
    cases = {
        "missing_module.handler": ("Runtime.ImportModuleError", "Unable to import module"),
        "good.absent": ("Runtime.HandlerNotFound", "Handler 'absent' missing on module 'good'"),
        "broken.handler": ("Runtime.UserCodeSyntaxError", "Syntax error in module 'broken'"),
        "handler": ("Runtime.MalformedHandlerName", "Bad handler 'handler'"),
        "sys.handler": ("Runtime.BuiltInModuleConflict", "Cannot use built-in module sys"),
    }
    for name, (error_type, words) in cases.items():
        with pytest.raises(bootstrap.RuntimeFault) as raised:
            bootstrap.load_handler(name)
        assert raised.value.error_type == error_type
        assert words in raised.value.message


def test_results_are_marshalled_as_json_or_refused() -> None:
    assert bootstrap.marshal({"n": Decimal("3"), "x": Decimal("1.5")}) == b'{"n": 3, "x": 1.5}'
    assert bootstrap.marshal(b"raw") == b"raw"
    assert bootstrap.marshal(None) == b"null"
    with pytest.raises(bootstrap.RuntimeFault) as raised:
        bootstrap.marshal({1, 2})
    assert raised.value.error_type == "Runtime.MarshalError"
    assert raised.value.message == (
        "Unable to marshal response: Object of type set is not JSON serializable"
    )


def test_a_handlers_exception_becomes_awss_error_document(monkeypatch: Any) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "f")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
    monkeypatch.setenv("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/f")
    monkeypatch.setenv("AWS_LAMBDA_LOG_STREAM_NAME", "s")

    def handler(event: Any, context: Any) -> None:
        raise KeyError(context.aws_request_id)

    request = {"requestId": "r9", "functionArn": "arn", "deadlineMs": 0}
    failed, payload = bootstrap.invoke(handler, request, b"{}")
    document = json.loads(payload)
    assert failed
    assert document["errorType"] == "KeyError"
    assert document["errorMessage"] == "'r9'"
    assert document["requestId"] == "r9"
    assert "in handler" in document["stackTrace"][0]
    assert not any("bootstrap.py" in frame for frame in document["stackTrace"])


def test_frames_round_trip_and_end_cleanly() -> None:
    stream = io.BytesIO()
    bootstrap.write_frame(stream, b"one")
    bootstrap.write_frame(stream, b"")
    stream.seek(0)
    assert bootstrap.read_frame(stream) == b"one"
    assert bootstrap.read_frame(stream) == b""
    assert bootstrap.read_frame(stream) is None


# code


def test_code_is_unpacked_once_per_sha(tmp_path: Path) -> None:
    cache = CodeCache(tmp_path / "code")
    folder = cache.task_root("aa", zipped({"app.py": "x = 1\n", "pkg/mod.py": ""}))
    assert (folder / "app.py").read_text() == "x = 1\n" and (folder / "pkg" / "mod.py").exists()
    assert cache.task_root("aa", b"not even read again") == folder


def test_bad_zips_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BadCode, match="not a zip file"):
        unpack(b"plain bytes", tmp_path / "a")
    with pytest.raises(BadCode, match="outside the package"):
        unpack(zipped({"../escape.py": ""}), tmp_path / "b")
    assert not (tmp_path / "escape.py").exists()
    cache = CodeCache(tmp_path / "code")
    with pytest.raises(BadCode):
        cache.task_root("bb", b"junk")
    assert not (tmp_path / "code" / "bb").exists()


# pools


class FakeWorker:
    def __init__(self, settings: FunctionSettings):
        self.settings = settings
        self.alive = True
        self.closed = False
        self.pid = id(self)
        self.last_used = 0.0

    def close(self) -> None:
        self.closed, self.alive = True, False

    def kill(self) -> None:
        self.alive = False


def starter(settings: FunctionSettings, started: list[FakeWorker]) -> Any:
    def start() -> FakeWorker:
        started.append(FakeWorker(settings))
        return started[-1]

    return start


def test_an_idle_worker_is_reused_and_a_busy_one_is_not() -> None:
    pool, started = FunctionPool(local_cap=2), []
    first = pool.lease(SETTINGS, starter(SETTINGS, started))
    second = pool.lease(SETTINGS, starter(SETTINGS, started))
    assert first is not second
    pool.release(first, ended=False)
    assert pool.lease(SETTINGS, starter(SETTINGS, started)) is first
    assert len(started) == 2


def test_beyond_the_cap_invocations_are_throttled_with_awss_reasons() -> None:
    pool = FunctionPool(local_cap=1)
    pool.lease(SETTINGS, starter(SETTINGS, []))
    with pytest.raises(Throttled) as raised:
        pool.lease(SETTINGS, starter(SETTINGS, []))
    assert raised.value.reason == "ConcurrentInvocationLimitExceeded"
    reserved = replace(SETTINGS, reserved_concurrency=0)
    with pytest.raises(Throttled) as raised:
        FunctionPool().lease(reserved, starter(reserved, []))
    assert raised.value.reason == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_a_queued_invocation_gets_the_slot_a_release_frees() -> None:
    pool = FunctionPool(local_cap=1)
    busy = pool.lease(SETTINGS, starter(SETTINGS, []))
    got: list[Any] = []
    waiter = threading.Thread(
        target=lambda: got.append(pool.lease(SETTINGS, starter(SETTINGS, []), wait=30))
    )
    waiter.start()
    pool.release(busy, ended=False)
    waiter.join(timeout=30)
    assert got == [busy]


def test_new_settings_retire_idle_workers_and_busy_ones_on_release() -> None:
    pool, started = FunctionPool(), []
    idle = pool.lease(SETTINGS, starter(SETTINGS, started))
    busy = pool.lease(SETTINGS, starter(SETTINGS, started))
    pool.release(idle, ended=False)
    changed = replace(SETTINGS, timeout=9)
    fresh = pool.lease(changed, starter(changed, started))
    assert idle.closed and fresh not in (idle, busy)
    pool.release(busy, ended=False)
    assert busy.closed


def test_ended_workers_are_not_kept_and_closing_retires_everything() -> None:
    pool, started = FunctionPool(), []
    ended = pool.lease(SETTINGS, starter(SETTINGS, started))
    pool.release(ended, ended=True)
    assert ended.closed
    idle = pool.lease(SETTINGS, starter(SETTINGS, started))
    busy = pool.lease(SETTINGS, starter(SETTINGS, started))
    pool.release(idle, ended=False)
    pool.close()
    assert idle.closed
    assert not busy.alive and not busy.closed  # killed; its invoker still holds its pipes
    pool.release(busy, ended=False)
    assert busy.closed and pool.pids() == []


def test_an_invocation_waiting_in_a_pool_that_closes_is_told_so() -> None:
    pool = FunctionPool(local_cap=1)
    pool.lease(SETTINGS, starter(SETTINGS, []))
    raised: list[BaseException] = []

    def wait() -> None:
        try:
            pool.lease(SETTINGS, starter(SETTINGS, []), wait=30)
        except Exception as error:
            raised.append(error)

    waiter = threading.Thread(target=wait)
    waiter.start()
    pool.close()
    waiter.join(timeout=30)
    assert [type(e) for e in raised] == [Retired]


def test_a_worker_that_fails_to_start_frees_its_slot() -> None:
    pool = FunctionPool(local_cap=1)

    def failing() -> Any:
        raise BadCode("no")

    with pytest.raises(BadCode):
        pool.lease(SETTINGS, failing)
    assert pool.lease(SETTINGS, starter(SETTINGS, [])) is not None


def test_long_idle_workers_are_reaped() -> None:
    pool = FunctionPool()
    worker = pool.lease(SETTINGS, starter(SETTINGS, []))
    pool.release(worker, ended=False)
    pool.reap(now=IDLE_SECONDS - 1)
    assert not worker.closed
    pool.reap(now=IDLE_SECONDS + 1)
    assert worker.closed


# the Invoke answer


def test_invoke_refuses_what_aws_refuses() -> None:
    assert api.checked_event(b"", "RequestResponse") == b"{}"
    assert api.checked_event(b'{"a": 1}', "Event") == b'{"a": 1}'
    with pytest.raises(api.InvokeError) as raised:
        api.checked_event(b"{nope", "RequestResponse")
    assert (raised.value.status, raised.value.code) == (400, "InvalidRequestContentException")
    with pytest.raises(api.InvokeError) as raised:
        api.checked_event(b" " * (api.MAX_EVENT_REQUEST + 1), "Event")
    assert (raised.value.status, raised.value.code) == (413, "RequestTooLargeException")
    api.checked_event(b"[" + b" " * api.MAX_EVENT_REQUEST + b"]", "RequestResponse")


def test_throttling_has_awss_body() -> None:
    error = api.InvokeError(429, "TooManyRequestsException", "Rate Exceeded.", Reason="R")
    status, headers, body = error.response()
    assert status == 429 and headers["x-amzn-ErrorType"] == "TooManyRequestsException"
    assert json.loads(body) == {"Reason": "R", "Type": "User", "message": "Rate Exceeded."}


def test_a_response_over_6_mb_becomes_awss_error() -> None:
    big = b'"' + b"x" * reports.MAX_RESPONSE_BYTES + b'"'
    status, headers, body = api.answered(False, big, [], "$LATEST", tail=False)
    assert status == 200 and headers["X-Amz-Function-Error"] == "Unhandled"
    assert json.loads(body)["errorType"] == "Function.ResponseSizeTooLarge"
    _, headers, _ = api.answered(False, b"1", ["START"], "$LATEST", tail=True)
    assert "X-Amz-Function-Error" not in headers
    assert base64.b64decode(headers["X-Amz-Log-Result"]) == b"START\n"


def test_the_runtime_runs_on_the_standard_library_alone() -> None:
    source = Path(bootstrap.__file__).read_text()
    imported = {
        line.split()[1].split(".")[0]
        for line in source.splitlines()
        if line.startswith(("import ", "from "))
    }
    assert imported - {"__future__"} <= set(sys.stdlib_module_names)
