"""Firehose's API on moto, changed where the data plane needs it.

AWS behaviours restored (moto 5.2.5 differs on each):
- PutRecord and PutRecordBatch buffer records for delivery (moto writes each call straight to S3
  as its own object, with no processor); the answer is `{RecordId, Encrypted}` and
  `{FailedPutCount, Encrypted, RequestResponses}` in request order;
- their limits: a record's Data is at most 1,024,000 bytes (ValidationException naming
  `record.data` or `records.N.member.data`), a batch at most 500 records (ValidationException)
  and 4 MiB of data (InvalidArgumentException); a stream whose source is a Kinesis stream takes
  no direct puts (InvalidArgumentException);
- CreateDeliveryStream and UpdateDestination refuse what AWS refuses in an (Extended)S3
  destination (buffering hints out of range, prefix expression rules, processor parameters);
- DescribeDeliveryStream shows the defaults AWS fills in (BufferingHints 5 MiB / 300 s,
  CompressionFormat UNCOMPRESSED, EncryptionConfiguration NoEncryption), and after an
  UpdateDestination the S3DestinationDescription keeps the fields the update did not touch;
- UpdateDestination raises the version (moto does) and records buffered before it are delivered
  under the old version's configuration;
- DeleteDeliveryStream drops what the stream buffers: AWS "doesn't make any guarantees with
  respect to delivering the data" of a stream being deleted.
"""

from __future__ import annotations

import base64
import functools
import inspect
import json
import random
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.firehose.exceptions import (
    FirehoseException,
    InvalidArgumentException,
    ResourceNotFoundException,
    ValidationException,
)
from moto.firehose.models import (
    DeliveryStream,
    FirehoseBackend,
    create_s3_destination_config,
    firehose_backends,
)
from moto.firehose.responses import FirehoseResponse

from ..core.patching import Patches
from .config import InvalidConfiguration, check_destination, delivery_config, with_defaults
from .service import FirehoseService, Stopping

MAX_RECORD_BYTES = 1_024_000
MAX_BATCH_RECORDS = 500
MAX_BATCH_BYTES = 4 * 1024 * 1024
S3_KINDS = ("ExtendedS3", "S3")


class ServiceUnavailableException(FirehoseException):
    """AWS's answer when a stream cannot take records now."""

    def __init__(self, message: str):
        super().__init__("ServiceUnavailableException", message)


def s3_destination(stream: DeliveryStream) -> dict[str, Any] | None:
    """The stream's (Extended)S3 destination description, if that is where it delivers."""
    destination = stream.destinations[0]
    return next((destination[k] for k in S3_KINDS if k in destination), None)


def _stream(backend: FirehoseBackend, name: str) -> DeliveryStream:
    stream = backend.delivery_streams.get(name)
    if stream is None:
        raise ResourceNotFoundException(
            f"Firehose {name} under account {backend.account_id} not found."
        )
    if stream.delivery_stream_type == "KinesisStreamAsSource":
        raise InvalidArgumentException(
            "This operation is not permitted on KinesisStreamAsSource delivery stream type."
        )
    return stream


def _too_large(index: int | None, data: bytes) -> str:
    where = "record.data" if index is None else f"records.{index}.member.data"
    return (
        f"Value 'java.nio.HeapByteBuffer[pos=0 lim={len(data)} cap={len(data)}]' at '{where}' "
        f"failed to satisfy constraint: Member must have length less than or equal to "
        f"{MAX_RECORD_BYTES}"
    )


def check_records(records: list[dict[str, bytes]], batch: bool) -> list[bytes]:
    """The records' data, or raise the error AWS answers for a request over its limits."""
    data = [r.get("Data") or b"" for r in records]
    if batch and len(data) > MAX_BATCH_RECORDS:
        raise ValidationException(
            f"1 validation error detected: Value at 'records' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_BATCH_RECORDS}"
        )
    _check_sizes(data, batch)
    if batch and sum(len(d) for d in data) > MAX_BATCH_BYTES:
        raise InvalidArgumentException("Records size exceeds 4 MB limit")
    return data


def _check_sizes(data: list[bytes], batch: bool) -> None:
    problems = [
        _too_large(i + 1 if batch else None, d)
        for i, d in enumerate(data)
        if len(d) > MAX_RECORD_BYTES
    ]
    if problems:
        count = len(problems)
        raise ValidationException(
            f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(problems)
        )


def record_id() -> str:
    """An opaque id like those PutRecord answers (long, base64-looking); unique, not secret, so
    from `random` rather than a system call per record."""
    return base64.b64encode(random.randbytes(168)).decode("ascii")


def put_records(
    service: FirehoseService,
    backend: FirehoseBackend,
    name: str,
    records: list[dict[str, bytes]],
    batch: bool,
) -> dict[str, Any] | None:
    """PutRecord's (or PutRecordBatch's) answer once the data plane buffers `records`; None for
    a stream that delivers elsewhere than S3 (moto's behaviour applies). FirehoseException for
    what AWS refuses."""
    stream = _stream(backend, name)
    destination = s3_destination(stream)
    if destination is None:
        return None
    data = check_records(records, batch)
    name, version = stream.delivery_stream_name, stream.version_id
    try:
        service.accept(
            backend.account_id,
            backend.region_name,
            (name, version),
            lambda: delivery_config(name, stream.delivery_stream_arn, version, destination),
            data,
        )
    except Stopping as stopping:
        raise ServiceUnavailableException(str(stopping)) from None
    encrypted = (stream.delivery_stream_encryption_configuration or {}).get("Status") == "ENABLED"
    if not batch:
        return {"RecordId": record_id(), "Encrypted": encrypted}
    responses = [{"RecordId": record_id()} for _ in data]
    return {"FailedPutCount": 0, "Encrypted": encrypted, "RequestResponses": responses}


def _put(service: FirehoseService, batch: bool) -> Callable[..., Any]:
    def make(original: Callable[[FirehoseResponse], Any]) -> Callable[[FirehoseResponse], Any]:
        @functools.wraps(original)
        def put(handler: FirehoseResponse) -> Any:
            records = handler._get_param("Records") if batch else [handler._get_param("Record")]
            answer = put_records(
                service,
                handler.firehose_backend,
                handler._get_param("DeliveryStreamName"),
                records or [],
                batch,
            )
            return original(handler) if answer is None else ActionResult(answer)

        return put

    return make


def direct_put(service: FirehoseService) -> Callable[[str, str, bytes], bytes | None]:
    """PutRecord for callers inside this cloud (API Gateway's AWS integrations), without HTTP:
    (account, region, JSON request body) -> the JSON answer. None when only the API should
    answer (an error, a body it must parse, a stream not delivering to S3): the caller then
    sends the request over HTTP, so errors keep the API's exact shape."""

    def put(account: str, region: str, body: bytes) -> bytes | None:
        try:
            request = json.loads(body)
            name, data = request["DeliveryStreamName"], request["Record"]["Data"]
            record = {"Data": base64.b64decode(data, validate=True)}
        except (ValueError, KeyError, TypeError):
            return None
        backend = firehose_backends[account][region]
        if not isinstance(name, str) or name not in backend.delivery_streams:
            return None
        try:
            answer = put_records(service, backend, name, [record], batch=False)
        except FirehoseException:
            return None  # nothing was accepted: the API answers with the error
        return None if answer is None else json.dumps(answer).encode()

    return put


def _checked(error: InvalidConfiguration) -> Exception:
    if error.code == "ValidationException":
        return ValidationException(str(error))
    return InvalidArgumentException(str(error))


def _create(original: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(original)

    @functools.wraps(original)
    def create(backend: FirehoseBackend, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(backend, *args, **kwargs)
        for name in ("extended_s3_destination_configuration", "s3_destination_configuration"):
            destination = bound.arguments.get(name)
            if destination:
                try:
                    check_destination(destination)
                except InvalidConfiguration as error:
                    raise _checked(error) from None
                bound.arguments[name] = with_defaults(destination)
        return original(*bound.args, **bound.kwargs)

    return create


def _update(service: FirehoseService) -> Callable[..., Any]:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(original)

        @functools.wraps(original)
        def update(backend: FirehoseBackend, *args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(backend, *args, **kwargs)
            update = bound.arguments.get("extended_s3_destination_update") or bound.arguments.get(
                "s3_destination_update"
            )
            stream = backend.delivery_streams.get(bound.arguments["delivery_stream_name"])
            current = s3_destination(stream) if stream is not None else None
            if update and current is not None:
                try:
                    check_destination({**current, **update})
                except InvalidConfiguration as error:
                    raise _checked(error) from None
            result = original(*bound.args, **bound.kwargs)
            if stream is not None:
                _after_update(service, backend, stream)
            return result

        return update

    return make


def _after_update(
    service: FirehoseService, backend: FirehoseBackend, stream: DeliveryStream
) -> None:
    destination = stream.destinations[0]
    if "ExtendedS3" in destination:  # moto rebuilt the S3 view from the update's fields alone
        destination["S3"] = create_s3_destination_config(destination["ExtendedS3"])
    current = s3_destination(stream)
    if current is not None:
        config = delivery_config(
            stream.delivery_stream_name, stream.delivery_stream_arn, stream.version_id, current
        )
        service.reconfigure(backend.account_id, backend.region_name, config)


def _delete(service: FirehoseService) -> Callable[..., Any]:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def delete(backend: FirehoseBackend, name: str, *args: Any, **kwargs: Any) -> Any:
            result = original(backend, name, *args, **kwargs)
            service.discard(backend.account_id, backend.region_name, name)
            return result

        return delete

    return make


def apply(patches: Patches, service: FirehoseService) -> None:
    """Put the data plane behind Firehose's API."""
    patches.wrap("firehose.put-record", FirehoseResponse, "put_record", _put(service, False))
    patches.wrap(
        "firehose.put-record-batch", FirehoseResponse, "put_record_batch", _put(service, True)
    )
    patches.wrap("firehose.create-checks", FirehoseBackend, "create_delivery_stream", _create)
    patches.wrap(
        "firehose.update-destination", FirehoseBackend, "update_destination", _update(service)
    )
    patches.wrap(
        "firehose.delete-discards", FirehoseBackend, "delete_delivery_stream", _delete(service)
    )
