"""The Python runtime of one local Lambda worker: imports the handler once, then runs invocations.

Run by path (`python bootstrap.py REQUEST_FD RESPONSE_FD`) with the local interpreter, so it
imports nothing but the standard library and the function's own code. It plays the part of AWS's
runtime interface client: the handler's module is imported at start (the init phase), each
request is `(header, event bytes)` on REQUEST_FD, each answer `(header, payload bytes)` on
RESPONSE_FD. Errors take AWS's shape and types (`Runtime.ImportModuleError`, `Runtime.MarshalError`,
`{errorMessage, errorType, requestId, stackTrace}`, the stack trace starting at the handler).
Output goes to stdout, which the local cloud ships to CloudWatch Logs; after the init phase and
after each invocation a marker line tells the local cloud that everything before it is written.
"""

from __future__ import annotations

import decimal
import importlib
import io
import json
import logging
import os
import resource
import struct
import sys
import time
import traceback
from typing import Any, BinaryIO, cast

MARKER = "\x00mysfits-lambda:"  # a NUL never appears in text a handler prints
_LENGTH = struct.Struct(">I")
_LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s"


class RuntimeFault(Exception):
    """An error the runtime reports itself (not one the handler raised)."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []


def write_frame(stream: BinaryIO, data: bytes) -> None:
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def read_frame(stream: BinaryIO) -> bytes | None:
    """The next frame, or None at end of file."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack(head)
    data = stream.read(size)
    return data if len(data) == size else None


def error_document(
    message: str, error_type: str, trace: list[str], request_id: str = ""
) -> dict[str, Any]:
    """What AWS's Python runtime reports for an error (requestId is empty during init)."""
    return {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": request_id,
        "stackTrace": trace,
    }


def handler_trace(error: BaseException) -> list[str]:
    """The traceback as AWS shows it: formatted frames, from the first frame outside the runtime."""
    frames = traceback.extract_tb(error.__traceback__)
    own = [i for i, frame in enumerate(frames) if frame.filename != __file__]
    return traceback.format_list(frames[own[0] :] if own else frames)


def load_handler(name: str) -> Any:
    """Import `module.function` as AWS's runtime does, with its error types and messages."""
    module_name, _, function = name.rpartition(".")
    if not module_name:
        raise RuntimeFault(
            "Runtime.MalformedHandlerName",
            f"Bad handler '{name}': not enough values to unpack (expected 2, got 1)",
        )
    try:
        if module_name.split(".")[0] in sys.builtin_module_names:
            raise RuntimeFault(
                "Runtime.BuiltInModuleConflict",
                f"Cannot use built-in module {module_name} as a handler module",
            )
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        raise RuntimeFault(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}"
        ) from error
    except SyntaxError as error:
        trace = [f'  File "{error.filename}" Line {error.lineno}\n    {error.text}']
        raise RuntimeFault(
            "Runtime.UserCodeSyntaxError",
            f"Syntax error in module '{module_name}': {error}",
            trace,
        ) from error
    try:
        return getattr(module, function)
    except AttributeError as error:
        raise RuntimeFault(
            "Runtime.HandlerNotFound", f"Handler '{function}' missing on module '{module_name}'"
        ) from error


class _Encoder(json.JSONEncoder):
    """JSON as the runtime marshals it: a Decimal (from DynamoDB) is a plain number."""

    def default(self, o: Any) -> Any:
        if isinstance(o, decimal.Decimal):
            return int(o) if o == o.to_integral_value() else float(o)
        return super().default(o)


def marshal(result: Any) -> bytes:
    """The handler's return value as the invocation's payload (bytes are sent as they are)."""
    if isinstance(result, bytes):
        return result
    try:
        return json.dumps(result, cls=_Encoder).encode()
    except (TypeError, ValueError) as error:
        raise RuntimeFault(
            "Runtime.MarshalError", f"Unable to marshal response: {error}"
        ) from error


class LambdaContext:
    """The `context` argument: the invocation's identity and its remaining time."""

    def __init__(self, request: dict[str, Any]):
        self.aws_request_id: str = request["requestId"]
        self.invoked_function_arn: str = request["functionArn"]
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.client_context = request.get("clientContext")
        self.identity = None
        self.tenant_id = None
        self._deadline_ms: int = request["deadlineMs"]

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)


class _RequestId(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def setup_logging() -> _RequestId:
    """The root logger writes AWS's text format (`[LEVEL]\\ttime\\trequest id\\tmessage`)."""
    logging.Formatter.converter = time.gmtime
    # Line by line, as AWS's runtime writes: what was printed before a timeout still shows.
    cast(io.TextIOWrapper, sys.stdout).reconfigure(line_buffering=True)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(_LOG_FORMAT, "%Y-%m-%dT%H:%M:%S"))
    request_id = _RequestId()
    handler.addFilter(request_id)
    logging.getLogger().addHandler(handler)
    return request_id


def log_error(document: dict[str, Any]) -> None:
    """The runtime's `[ERROR] Type: message` line with the trace, as one log event."""
    lines = [f"[ERROR] {document['errorType']}: {document['errorMessage']}"]
    lines += ["Traceback (most recent call last):"] + [
        line for frame in document["stackTrace"] for line in frame.splitlines()
    ]
    print("\r".join(lines), flush=True)


def mark(token: str) -> None:
    """Everything printed so far is out; the local cloud waits for this line."""
    sys.stdout.flush()
    sys.stderr.flush()
    print(f"{MARKER}{token}", flush=True)


def max_memory_mb() -> int:
    """Peak resident memory of this process.

    Linux keeps `ru_maxrss` across exec, so a worker forked from the (large) local cloud would
    report the cloud's peak: its own is VmHWM. macOS has no /proc; its ru_maxrss is in bytes.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024))


def limit_memory(megabytes: int) -> bool:
    """Cap the address space at the function's memory (not enforced by macOS); True if set."""
    try:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        return True
    except (ValueError, OSError):
        return False


def invoke(handler: Any, request: dict[str, Any], event: bytes) -> tuple[bool, bytes]:
    """Run the handler once: (failed, payload)."""
    try:
        response = handler(json.loads(event), LambdaContext(request))
        return False, marshal(response)
    except RuntimeFault as fault:
        document = error_document(fault.message, fault.error_type, [], request["requestId"])
    except Exception as error:  # the handler's own failure is the invocation's result
        document = error_document(
            str(error), type(error).__name__, handler_trace(error), request["requestId"]
        )
    log_error(document)
    return True, json.dumps(document).encode()


def serve(handler: Any, requests: BinaryIO, responses: BinaryIO, request_id: _RequestId) -> None:
    """Answer requests until the local cloud closes the pipe."""
    while (header := read_frame(requests)) is not None:
        request = json.loads(header)
        event = read_frame(requests) or b"{}"
        request_id.request_id = request["requestId"]
        os.environ["_X_AMZN_TRACE_ID"] = request["traceId"]
        failed, payload = invoke(handler, request, event)
        mark(f"done:{request['requestId']}")
        answer = {"failed": failed, "maxMemoryMB": max_memory_mb()}
        write_frame(responses, json.dumps(answer).encode())
        write_frame(responses, payload)


def main(argv: list[str]) -> int:
    requests = os.fdopen(int(argv[1]), "rb")
    responses = os.fdopen(int(argv[2]), "wb")
    limited = limit_memory(int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]))
    # The function's code comes first, and this file's folder (sys.path[0] for a script) not at
    # all: its modules (`code`, `settings`) must not shadow the standard library's or the user's.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [os.environ["LAMBDA_TASK_ROOT"]] + [
        p for p in sys.path if os.path.abspath(p or ".") != here
    ]
    request_id = setup_logging()
    try:
        handler = load_handler(os.environ["_HANDLER"])
    except Exception as error:
        fault = error if isinstance(error, RuntimeFault) else None
        document = (
            error_document(fault.message, fault.error_type, fault.trace)
            if fault
            else error_document(str(error), type(error).__name__, handler_trace(error))
        )
        log_error(document)
        mark("init")
        write_frame(responses, json.dumps({"init": "error", "error": document}).encode())
        return 1
    mark("init")
    write_frame(responses, json.dumps({"init": "ok", "memoryLimited": limited}).encode())
    serve(handler, requests, responses, request_id)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
