"""What happens to a batch: the processor through Lambda's API, then objects through S3's API.

Both calls go through the local cloud's own boto3 loopback clients, so Lambda's and S3's fixes
apply as they would to any caller. An S3 write that fails is retried with a growing pause, as
AWS retries S3 delivery for up to 24 hours; when the local cloud is stopping it gets one last
attempt, and what still fails is logged as lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from ..core.loopback import LoopbackClients
from .buffering import Record
from .config import DeliveryConfig
from .objects import error_lines, object_body, object_key
from .transform import Invocation, InvocationFailed, Invoker, Outcome, transform

log = logging.getLogger("mysfits.local.firehose")
S3_RETRY_SECONDS = 24 * 60 * 60
# Lambda's Invoke error codes -> the Firehose error codes AWS logs for them.
INVOKE_ERRORS = {
    "ResourceNotFoundException": "Lambda.ResourceNotFound",
    "AccessDeniedException": "Lambda.InvokeAccessDenied",
    "TooManyRequestsException": "Lambda.InvokeLimitExceeded",
}


class LoopbackInvoker:
    """Invokes a processor with Lambda's Invoke API on the local cloud itself."""

    def __init__(self, clients: LoopbackClients):
        self._clients = clients

    def __call__(self, function_arn: str, payload: bytes) -> Invocation:
        client = self._clients.client("lambda", function_arn.split(":")[3])
        try:
            answer = client.invoke(FunctionName=function_arn, Payload=payload)
        except ClientError as error:
            code = error.response["Error"].get("Code", "")
            message = error.response["Error"].get("Message", "")
            raise InvocationFailed(INVOKE_ERRORS.get(code, f"Lambda.{code}"), message) from None
        return Invocation(answer["Payload"].read(), answer.get("FunctionError"))


class Pipeline:
    """Processes and delivers batches; `stopping` cuts S3 retries short."""

    def __init__(
        self,
        clients: LoopbackClients,
        invoker: Invoker,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._clients = clients
        self.invoker = invoker
        self._sleep = sleep
        self.stopping = threading.Event()

    def process(self, config: DeliveryConfig, records: list[Record]) -> Outcome:
        """Transform `records`; write the failed ones to the error prefix; the outcome."""
        assert config.processor is not None
        outcome = transform(
            records, config.processor, config.stream_arn, self.invoker, sleep=self._sleep
        )
        if outcome.failed:
            lines = error_lines(
                outcome.failed, config.processor.lambda_arn, outcome.attempts, outcome.ended_ms
            )
            failed = [f.record for f in outcome.failed]
            self.write(config, object_key(config, failed, failed=True), lines)
        return outcome

    def deliver(self, config: DeliveryConfig, records: list[Record]) -> None:
        """One S3 object holding `records`."""
        self.write(config, object_key(config, records), [r.data for r in records])

    def write(self, config: DeliveryConfig, key: str, data: list[bytes]) -> None:
        body = object_body(config, data)
        s3 = self._clients.client("s3", config.region)
        started = time.monotonic()
        pause = 0.5
        while True:
            try:
                s3.put_object(Bucket=config.bucket, Key=key, Body=body)
                return
            except Exception as error:
                if self.stopping.is_set() or time.monotonic() - started > S3_RETRY_SECONDS:
                    log.error(
                        "stream %s: %d records lost, S3 refused s3://%s/%s: %s",
                        config.stream,
                        len(data),
                        config.bucket,
                        key,
                        _reason(error),
                    )
                    return
                log.warning(
                    "stream %s: S3 write will be retried: %s", config.stream, _reason(error)
                )
                self.stopping.wait(pause)
                pause = min(pause * 2, 60.0)


def _reason(error: Any) -> str:
    if isinstance(error, ClientError):
        return f"{error.response['Error'].get('Code')}: {error.response['Error'].get('Message')}"
    return str(error)
