"""Lambda on the local cloud through boto3: handlers run in warm local workers, as AWS runs them."""

from __future__ import annotations

import base64
import json
import re
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import mysfits
from mysfits.local.core.heartbeat import TICK_SECONDS
from mysfits.local.lambda_.service import EVENT_RETRY_DELAYS
from mysfits.local.lambda_.worker import INIT_LIMIT_SECONDS
from mysfits.workshop import Workshop

from .conftest import mysfits_cli, running_cloud
from .deadlines import LOAD
from .helpers import poll, trust_policy, zipped

pytestmark = pytest.mark.integration
# Deadlines from the local cloud's own configuration (they only bound how long a broken test
# takes): a deleted function's workers end on the next heartbeat tick; an event runs with its
# retries, each attempt bounded by the fixture function's 3 s timeout and a worker's init limit.
RETIRED_SECONDS = LOAD * (2 * TICK_SECONDS + INIT_LIMIT_SECONDS)
EVENT_SECONDS = LOAD * (sum(EVENT_RETRY_DELAYS) + 3 * (3 + INIT_LIMIT_SECONDS))

HANDLER = '''
import json, os, pathlib, time

print("init of app")


def wait_for(folder, count):
    """Until `count` invocations have checked in (so they provably overlap), or 20 s."""
    folder = pathlib.Path(folder)
    (folder / os.urandom(8).hex()).touch()
    deadline = time.monotonic() + 20
    while len(list(folder.iterdir())) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def handler(event, context):
    do = event.get("do")
    print("handling", do)
    if do == "fail":
        raise ValueError("the handler failed on purpose")
    if do == "set":
        return {1, 2}
    if do == "sleep":
        time.sleep(event["seconds"])
    if do == "rendezvous":
        wait_for(event["folder"], event["count"])
    if do == "append":
        with open(event["file"], "a") as out:
            out.write("attempt\\n")
        if event.get("raise"):
            raise RuntimeError("asked to fail")
    if do == "allocate":
        block = bytearray(event["megabytes"] * 1024 * 1024)
        return len(block)
    return {
        "pid": os.getpid(),
        "environment": dict(os.environ),
        "requestId": context.aws_request_id,
        "functionName": context.function_name,
        "memory": context.memory_limit_in_mb,
        "remaining": context.get_remaining_time_in_millis(),
        "version": VERSION,
        "stdlibCode": hasattr(__import__("code"), "interact"),
    }

VERSION = "one"
'''


def make_role(ws: Workshop) -> str:
    iam = ws.client("iam")
    name = f"{ws.prefix}-lambda"
    try:
        return iam.get_role(RoleName=name)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        document = trust_policy("lambda.amazonaws.com")
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=document)["Role"]["Arn"]


def create_function(
    ws: Workshop,
    suffix: str = "fn",
    handler: str = "app.handler",
    code: dict[str, Any] | None = None,
    runtime: str = "python3.12",
    **settings: Any,
) -> str:
    """Create `{prefix}-{suffix}`, from HANDLER zipped here unless `code` is given: its name."""
    name = f"{ws.prefix}-{suffix}"
    ws.client("lambda").create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=make_role(ws),
        Handler=handler,
        Code=code or {"ZipFile": zipped({"app.py": HANDLER})},
        **settings,
    )
    return name


@pytest.fixture
def new_function(ws: Workshop) -> Iterator[Callable[..., str]]:
    """`create_function`, every function it made deleted after the test."""
    names: list[str] = []

    def create(*args: Any, **settings: Any) -> str:
        names.append(create_function(ws, *args, **settings))
        return names[-1]

    yield create
    for name in names:
        try:
            ws.client("lambda").delete_function(FunctionName=name)
        except ClientError:
            pass  # the test deleted it


@pytest.fixture
def function(new_function: Callable[..., str]) -> dict[str, Any]:
    """A python3.12 function from a zip made here (Timeout 3 s, 128 MB, one variable)."""
    variables = {"Variables": {"GREETING": "hello"}}
    return {"name": new_function(Environment=variables, Timeout=3, MemorySize=128)}


def invoke(ws: Workshop, name: str, event: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    answer = ws.client("lambda").invoke(
        FunctionName=name, Payload=json.dumps(event).encode(), **kwargs
    )
    answer["Body"] = json.loads(answer["Payload"].read() or b"null")
    return answer


def error_of(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_the_handler_runs_with_the_functions_environment_and_awss_reserved_variables(
    ws: Workshop, function: dict[str, Any]
) -> None:
    answer = invoke(ws, function["name"], {})
    assert answer["StatusCode"] == 200
    assert "FunctionError" not in answer
    assert answer["ExecutedVersion"] == "$LATEST"
    body = answer["Body"]
    environment = body["environment"]
    assert environment["GREETING"] == "hello"
    assert environment["AWS_LAMBDA_FUNCTION_NAME"] == function["name"]
    assert environment["AWS_REGION"] == environment["AWS_DEFAULT_REGION"] == ws.region
    assert environment["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "128"
    assert environment["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert environment["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{function['name']}"
    assert re.fullmatch(
        r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", environment["AWS_LAMBDA_LOG_STREAM_NAME"]
    )
    assert environment["_HANDLER"] == "app.handler"
    assert environment["TZ"] == ":UTC"
    assert environment["_X_AMZN_TRACE_ID"].startswith("Root=1-")
    assert (Path(environment["LAMBDA_TASK_ROOT"]) / "app.py").is_file()
    assert body["stdlibCode"]  # the runtime's own modules shadow nothing
    assert body["functionName"] == function["name"]
    assert body["memory"] == "128"
    assert 0 < body["remaining"] <= 3000


def test_code_can_come_from_s3(ws: Workshop, new_function: Callable[..., str]) -> None:
    s3 = ws.client("s3")
    bucket = f"{ws.prefix}-code"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="fn.zip", Body=zipped({"app.py": HANDLER}))
    code = {"S3Bucket": bucket, "S3Key": "fn.zip"}
    name = new_function("from-s3", code=code, runtime="python3.13")
    assert invoke(ws, name, {})["Body"]["version"] == "one"


def test_an_unhandled_exception_has_awss_error_shape_and_log_lines(
    ws: Workshop, function: dict[str, Any]
) -> None:
    answer = invoke(ws, function["name"], {"do": "fail"}, LogType="Tail")
    assert answer["StatusCode"] == 200
    assert answer["FunctionError"] == "Unhandled"
    body = answer["Body"]
    assert set(body) == {"errorMessage", "errorType", "requestId", "stackTrace"}
    assert body["errorMessage"] == "the handler failed on purpose"
    assert body["errorType"] == "ValueError"
    assert body["stackTrace"][0].startswith('  File "') and "in handler" in body["stackTrace"][0]
    assert not any("bootstrap.py" in frame for frame in body["stackTrace"])
    log = base64.b64decode(answer["LogResult"]).decode()
    assert f"START RequestId: {body['requestId']} Version: $LATEST" in log
    assert "[ERROR] ValueError: the handler failed on purpose" in log
    assert f"END RequestId: {body['requestId']}" in log


def test_runtime_errors_import_and_marshal(
    ws: Workshop, function: dict[str, Any], new_function: Callable[..., str]
) -> None:
    broken = invoke(ws, new_function("broken", handler="missing.handler"), {})
    assert broken["FunctionError"] == "Unhandled"
    assert broken["Body"] == {
        "errorMessage": "Unable to import module 'missing': No module named 'missing'",
        "errorType": "Runtime.ImportModuleError",
        "requestId": "",
        "stackTrace": [],
    }
    unmarshallable = invoke(ws, function["name"], {"do": "set"})
    assert unmarshallable["FunctionError"] == "Unhandled"
    assert unmarshallable["Body"]["errorType"] == "Runtime.MarshalError"
    assert unmarshallable["Body"]["errorMessage"].startswith("Unable to marshal response:")


def test_a_timeout_kills_the_worker_and_says_so(ws: Workshop, function: dict[str, Any]) -> None:
    first = invoke(ws, function["name"], {})["Body"]["pid"]
    ws.client("lambda").update_function_configuration(FunctionName=function["name"], Timeout=1)
    answer = invoke(ws, function["name"], {"do": "sleep", "seconds": 30}, LogType="Tail")
    assert answer["FunctionError"] == "Unhandled"
    request_id = re.match(r"RequestId: (\S+) Error:", answer["Body"]["errorMessage"]).group(1)
    assert answer["Body"] == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {request_id} Error: Task timed out after 1.00 seconds",
    }
    log = base64.b64decode(answer["LogResult"]).decode()
    assert re.search(rf"Z {request_id} Task timed out after 1\.00 seconds\n", log)
    assert "Status: timeout" in log
    after = invoke(ws, function["name"], {})["Body"]["pid"]
    assert after != first
    assert gone(first)


def test_output_and_platform_lines_land_in_cloudwatch_logs(
    ws: Workshop, function: dict[str, Any]
) -> None:
    ids = [invoke(ws, function["name"], {})["Body"]["requestId"] for _ in range(2)]
    logs = ws.client("logs")
    group = f"/aws/lambda/{function['name']}"
    (stream,) = logs.describe_log_streams(logGroupName=group)["logStreams"]
    events = logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"])
    lines = [event["message"] for event in events["events"]]
    assert lines[0] == "init of app"
    assert lines[1:4] == [
        f"START RequestId: {ids[0]} Version: $LATEST",
        "handling None",
        f"END RequestId: {ids[0]}",
    ]
    report = r"REPORT RequestId: {}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\t"
    report += r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\t"
    assert re.fullmatch(report.format(ids[0]) + r"Init Duration: [\d.]+ ms\t", lines[4])
    assert re.fullmatch(report.format(ids[1]), lines[8])  # warm: no Init Duration


def test_workers_are_reused_and_concurrent_invocations_get_their_own(
    ws: Workshop, function: dict[str, Any], tmp_path: Path
) -> None:
    event = {"do": "rendezvous", "folder": str(tmp_path), "count": 3}
    results: list[dict[str, Any]] = []
    callers = [
        threading.Thread(target=lambda: results.append(invoke(ws, function["name"], event)))
        for _ in range(3)
    ]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert [r.get("FunctionError") for r in results] == [None] * 3
    pids = {r["Body"]["pid"] for r in results}
    assert len(pids) == 3  # they waited for each other, so each had its own worker
    again = {invoke(ws, function["name"], {})["Body"]["pid"] for _ in range(3)}
    assert again <= pids


def test_reserved_concurrency_throttles(ws: Workshop, function: dict[str, Any]) -> None:
    client = ws.client("lambda")
    client.put_function_concurrency(FunctionName=function["name"], ReservedConcurrentExecutions=0)
    # botocore retries a throttled call by itself; this client shows the first answer.
    once = ws.session.client(
        "lambda", endpoint_url=ws.endpoint_url, config=Config(retries={"total_max_attempts": 1})
    )
    response = error_of(once.invoke, FunctionName=function["name"], Payload=b"{}")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert response["Error"]["Code"] == "TooManyRequestsException"
    assert response["Error"]["Message"] == "Rate Exceeded."
    assert response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    client.delete_function_concurrency(FunctionName=function["name"])
    assert invoke(ws, function["name"], {})["StatusCode"] == 200


def test_updating_code_or_configuration_retires_the_old_workers(
    ws: Workshop, function: dict[str, Any]
) -> None:
    client = ws.client("lambda")
    old = invoke(ws, function["name"], {})["Body"]
    client.update_function_configuration(
        FunctionName=function["name"], Environment={"Variables": {"GREETING": "changed"}}
    )
    configured = invoke(ws, function["name"], {})["Body"]
    assert configured["environment"]["GREETING"] == "changed"
    assert configured["pid"] != old["pid"]
    assert gone(old["pid"])
    code = HANDLER.replace('VERSION = "one"', 'VERSION = "two"')
    client.update_function_code(FunctionName=function["name"], ZipFile=zipped({"app.py": code}))
    recoded = invoke(ws, function["name"], {})["Body"]
    assert recoded["version"] == "two"
    assert gone(configured["pid"])


def test_deleting_the_function_ends_its_workers(ws: Workshop, function: dict[str, Any]) -> None:
    pid = invoke(ws, function["name"], {})["Body"]["pid"]
    assert not gone(pid)
    ws.client("lambda").delete_function(FunctionName=function["name"])
    poll(lambda: gone(pid), RETIRED_SECONDS, f"worker {pid} to end after DeleteFunction")


def test_event_invocations_run_in_the_background_and_are_retried(
    ws: Workshop, function: dict[str, Any], tmp_path: Path
) -> None:
    client = ws.client("lambda")
    done = tmp_path / "done.txt"
    answer = client.invoke(
        FunctionName=function["name"],
        InvocationType="Event",
        Payload=json.dumps({"do": "append", "file": str(done)}).encode(),
    )
    assert answer["StatusCode"] == 202
    poll(done.exists, EVENT_SECONDS, "the event invocation to run")
    client.put_function_event_invoke_config(FunctionName=function["name"], MaximumRetryAttempts=1)
    failing = tmp_path / "failing.txt"
    event = {"do": "append", "file": str(failing), "raise": True}
    client.invoke(
        FunctionName=function["name"], InvocationType="Event", Payload=json.dumps(event).encode()
    )
    poll(
        lambda: failing.exists() and failing.read_text().count("attempt") == 2,
        EVENT_SECONDS,
        "the failed event to be retried once",
    )
    dry = client.invoke(FunctionName=function["name"], InvocationType="DryRun")
    assert dry["StatusCode"] == 204


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS is not enforced on macOS")
def test_memory_is_limited_to_the_functions_memory_size(
    ws: Workshop, function: dict[str, Any]
) -> None:
    assert invoke(ws, function["name"], {"do": "allocate", "megabytes": 16})["Body"] > 0
    answer = invoke(ws, function["name"], {"do": "allocate", "megabytes": 512})
    assert answer["FunctionError"] == "Unhandled"
    assert answer["Body"]["errorType"] == "MemoryError"


def test_requests_aws_refuses(
    ws: Workshop, function: dict[str, Any], new_function: Callable[..., str]
) -> None:
    client = ws.client("lambda")
    bad_json = error_of(client.invoke, FunctionName=function["name"], Payload=b"{not json")
    assert bad_json["Error"]["Code"] == "InvalidRequestContentException"
    missing = error_of(client.invoke, FunctionName=f"{ws.prefix}-nothing", Payload=b"{}")
    assert missing["Error"]["Code"] == "ResourceNotFoundException"
    code = {"ZipFile": zipped({"index.js": "exports.handler = async () => 1;"})}
    name = new_function("node", handler="index.handler", code=code, runtime="nodejs20.x")
    node = error_of(client.invoke, FunctionName=name, Payload=b"{}")
    assert node["Error"]["Code"] == "InvalidRuntimeException"
    assert "python3.12" in node["Error"]["Message"]


def started_worker(ws: Workshop) -> int:
    """Create a function and invoke it once: its worker's pid."""
    return int(invoke(ws, create_function(ws), {})["Body"]["pid"])


def test_no_worker_outlives_a_reset_or_its_local_cloud(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with running_cloud(home) as status:
        ws = mysfits.connect(
            "local", prefix=f"t{uuid.uuid4().hex[:8]}", endpoint_url=str(status["endpoint_url"])
        )
        cloud = psutil.Process(int(str(status["pid"])))
        before_reset = started_worker(ws)
        assert before_reset in {child.pid for child in cloud.children(recursive=True)}
        assert mysfits_cli(home, "local", "reset").returncode == 0
        assert gone(before_reset)
        before_stop = started_worker(ws)
    poll(lambda: gone(before_stop), RETIRED_SECONDS, f"worker {before_stop} to end with its cloud")
