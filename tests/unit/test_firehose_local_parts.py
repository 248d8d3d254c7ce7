"""The local Firehose's pure parts: prefixes, buffers, the processor contract, objects, limits."""

from __future__ import annotations

import base64
import gzip
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from mysfits.local.firehose import api
from mysfits.local.firehose.buffering import Buffer, Hints, Record
from mysfits.local.firehose.config import (
    DeliveryConfig,
    InvalidConfiguration,
    Processor,
    check_destination,
    delivery_config,
    with_defaults,
)
from mysfits.local.firehose.objects import error_lines, object_body, object_key
from mysfits.local.firehose.prefixes import InvalidPrefix, effective_prefixes, evaluate
from mysfits.local.firehose.transform import Invocation, InvocationFailed, judge, transform

WHEN = datetime(2018, 8, 27, 10, 30, 5, tzinfo=UTC)
ARN = "arn:aws:firehose:us-east-1:123456789012:deliverystream/clicks"
LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:processor"


def destination(**fields: object) -> dict[str, object]:
    return {"BucketARN": "arn:aws:s3:::bucket", "RoleARN": "arn:aws:iam::1:role/r", **fields}


# Prefixes: the guide's own examples ---------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "error_prefix", "expected", "expected_error"),
    [
        (
            "",
            "failures/!{firehose:error-output-type}/",
            "2018/08/27/10/",
            "failures/processing-failed/",
        ),
        ("clicks/", "", "clicks/2018/08/27/10/", "clicks/processing-failed/2018/08/27/10/"),
        ("raw", "", "raw2018/08/27/10/", "rawprocessing-failed/2018/08/27/10/"),
        (
            "myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/",
            "err/!{timestamp:'year='yyyy'/month='MM}/!{firehose:error-output-type}",
            "myPrefix/year=2018/month=08/",
            "err/year=2018/month=08/processing-failed",
        ),
        (
            "clicks/",
            "processing-failed/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/",
            "clicks/2018/08/27/10/",
            "processing-failed/processing-failed/2018/08/27/10/",
        ),
    ],
)
def test_prefixes_evaluate_as_the_guide_shows(
    prefix: str, error_prefix: str, expected: str, expected_error: str
) -> None:
    ok, failed = effective_prefixes(prefix, error_prefix)
    assert evaluate(ok, WHEN) == expected
    assert evaluate(failed, WHEN, "processing-failed") == expected_error


def test_random_string_is_eleven_characters_new_at_each_use() -> None:
    value = evaluate("a/!{firehose:random-string}/!{firehose:random-string}/", WHEN)
    first, second = value.split("/")[1:3]
    assert len(first) == len(second) == 11 and first != second


@pytest.mark.parametrize(
    ("prefix", "error_prefix", "complaint"),
    [
        ("!{timestamp:yyyy}/", "", "cannot be null"),
        ("x/", "errors/!{timestamp:yyyy}/", "must contain"),
        ("!{firehose:error-output-type}/", "e/", "Prefix cannot contain"),
        ("a!{b", "", "may only start an expression"),
        ("!{partitionKeyFromQuery:id}/", "e/!{firehose:error-output-type}", "dynamic partitioning"),
        ("!{timestamp:yyyy-QQ}/", "e/!{firehose:error-output-type}", "only the letters"),
        ("!{other:x}/", "e/!{firehose:error-output-type}", "unknown prefix namespace"),
    ],
)
def test_prefixes_firehose_refuses(prefix: str, error_prefix: str, complaint: str) -> None:
    with pytest.raises(InvalidPrefix, match=complaint):
        effective_prefixes(prefix, error_prefix)


# Buffers ------------------------------------------------------------------------------------


def records(*sizes: int, arrival: int = 0) -> list[Record]:
    return [Record(b"x" * n, arrival + i, str(i)) for i, n in enumerate(sizes)]


def test_a_buffer_is_due_at_its_interval_counted_from_its_first_record() -> None:
    buffer = Buffer(Hints(1000, 60))
    assert not buffer.due(0)
    buffer.add(records(10), now=100)
    buffer.add(records(10), now=150)
    assert not buffer.due(159.9)
    assert buffer.due(160)
    assert [len(b) for b in buffer.take_due(160)] == [2]
    assert not buffer.due(1000)


def test_a_full_buffer_is_due_at_once_and_leaves_in_batches_within_the_size_hint() -> None:
    buffer = Buffer(Hints(100, 900))
    buffer.add(records(60, 30, 20, 90), now=0)
    assert buffer.due(0)
    batches = buffer.take_due(0)
    # 60+30 fit in 100; 20+90 would not, so 20 leaves alone and 90 (under the hint) waits
    assert [sum(len(r.data) for r in b) for b in batches] == [90, 20]
    assert len(buffer) == 1 and not buffer.due(0)
    assert buffer.drain()[0][0].data == b"x" * 90


def test_a_record_larger_than_the_hint_still_leaves_alone() -> None:
    buffer = Buffer(Hints(10, 900))
    buffer.add(records(50, 5), now=0)
    assert [len(b) for b in buffer.take_due(0)] == [1]


def test_an_interval_of_zero_is_due_on_the_first_look() -> None:
    buffer = Buffer(Hints.of(5, 0))
    buffer.add(records(1), now=10)
    assert buffer.due(10)


# The processor contract ---------------------------------------------------------------------

SENT = [Record(b"one", 1000, "r1"), Record(b"two", 2000, "r2"), Record(b"three", 3000, "r3")]


def reply(*entries: dict[str, Any]) -> bytes:
    return json.dumps({"records": list(entries)}).encode()


def ok(record_id: str, data: bytes = b"out") -> dict[str, Any]:
    return {"recordId": record_id, "result": "Ok", "data": base64.b64encode(data).decode()}


def test_ok_dropped_and_processing_failed_records_part_ways() -> None:
    outcome = judge(
        reply(
            ok("r1", b"ONE\n"),
            {"recordId": "r2", "result": "Dropped"},
            {"recordId": "r3", "result": "ProcessingFailed", "data": ""},
        ),
        SENT,
    )
    assert [(r.data, r.arrival_ms) for r in outcome.delivered] == [(b"ONE\n", 1000)]
    assert outcome.dropped == 1
    assert [(f.record.record_id, f.code) for f in outcome.failed] == [
        ("r3", "Lambda.ProcessingFailedStatus")
    ]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"not json", "Lambda.JsonProcessingException"),
        (b'{"items": []}', "Lambda.JsonProcessingException"),
        (
            reply(ok("r1"), ok("r2"), {"recordId": "r3", "result": "Fine"}),
            "Lambda.JsonProcessingException",
        ),
        (
            reply(ok("r1"), ok("r2"), {"recordId": "r3", "result": "Ok", "data": "%%%"}),
            "Lambda.JsonProcessingException",
        ),
        (reply(ok("r1"), ok("r2")), "Lambda.MissingRecordId"),
        (reply(ok("r1"), ok("r2"), ok("other")), "Lambda.MissingRecordId"),
        (reply(ok("r1"), ok("r1"), ok("r2"), ok("r3")), "Lambda.DuplicatedRecordId"),
    ],
)
def test_a_malformed_reply_fails_the_whole_batch(payload: bytes, code: str) -> None:
    with pytest.raises(InvocationFailed) as failed:
        judge(payload, SENT)
    assert failed.value.code == code


def test_the_event_has_aws_shape() -> None:
    seen: list[dict[str, Any]] = []

    def invoke(arn: str, payload: bytes) -> Invocation:
        seen.append(json.loads(payload))
        return Invocation(reply(ok("r1"), ok("r2"), ok("r3")))

    transform(SENT, Processor(LAMBDA, 3, Hints(1, 1)), ARN, invoke)
    event = seen[0]
    assert set(event) == {"invocationId", "deliveryStreamArn", "region", "records"}
    assert (event["deliveryStreamArn"], event["region"]) == (ARN, "us-east-1")
    assert event["records"][0] == {
        "recordId": "r1",
        "approximateArrivalTimestamp": 1000,
        "data": base64.b64encode(b"one").decode(),
    }


def test_failed_invocations_are_retried_then_every_record_fails_with_the_last_error() -> None:
    calls: list[int] = []
    pauses: list[float] = []

    def invoke(arn: str, payload: bytes) -> Invocation:
        calls.append(1)
        return Invocation(b'{"errorMessage": "boom"}', "Unhandled")

    outcome = transform(SENT, Processor(LAMBDA, 2, Hints(1, 1)), ARN, invoke, pauses.append)
    assert len(calls) == 3 and len(pauses) == 2 and pauses[0] < pauses[1]
    assert outcome.attempts == 3 and not outcome.delivered
    assert {f.code for f in outcome.failed} == {"Lambda.FunctionError"}
    assert [f.record for f in outcome.failed] == SENT


def test_a_retry_that_succeeds_delivers() -> None:
    answers: list[Any] = [
        InvocationFailed("Lambda.InvokeLimitExceeded"),
        reply(ok("r1"), ok("r2"), ok("r3")),
    ]

    def invoke(arn: str, payload: bytes) -> Invocation:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return Invocation(answer)

    outcome = transform(SENT, Processor(LAMBDA, 3, Hints(1, 1)), ARN, invoke, lambda _: None)
    assert outcome.attempts == 2 and len(outcome.delivered) == 3


# Objects ------------------------------------------------------------------------------------

KEY = re.compile(
    r"^clicks/2018/08/27/10/clicks-1-2018-08-27-10-30-05-"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(\.gz)?$"
)


def config(**fields: object) -> DeliveryConfig:
    return delivery_config("clicks", ARN, "1", destination(Prefix="clicks/", **fields))


def test_keys_follow_aws_layout_at_the_oldest_arrival() -> None:
    oldest = int(WHEN.timestamp() * 1000)
    batch = [Record(b"b", oldest + 3_600_000), Record(b"a", oldest)]
    assert KEY.match(object_key(config(), batch))
    gz = object_key(config(CompressionFormat="GZIP"), batch)
    assert KEY.match(gz) and gz.endswith(".gz")
    failed = object_key(config(), batch, failed=True)
    assert failed.startswith("clicks/processing-failed/2018/08/27/10/clicks-1-")


def test_bodies_are_concatenated_without_delimiter_and_gzip_when_asked() -> None:
    assert object_body(config(), [b"a", b"b\n", b"c"]) == b"ab\nc"
    assert gzip.decompress(object_body(config(CompressionFormat="GZIP"), [b"a", b"b"])) == b"ab"


def test_error_lines_are_one_aws_error_record_per_line() -> None:
    failures = judge(
        reply(*[{"recordId": r.record_id, "result": "ProcessingFailed"} for r in SENT]), SENT
    ).failed
    lines = b"".join(error_lines(failures, LAMBDA, 1, 9000)).decode().splitlines()
    assert len(lines) == 3
    first = json.loads(lines[0])
    assert first == {
        "attemptsMade": 1,
        "arrivalTimestamp": 1000,
        "errorCode": "Lambda.ProcessingFailedStatus",
        "errorMessage": "ProcessingFailed status set for record",
        "attemptEndingTimestamp": 9000,
        "rawData": base64.b64encode(b"one").decode(),
        "lambdaArn": LAMBDA,
    }


# Configuration and request limits -----------------------------------------------------------


def test_defaults_are_aws_defaults() -> None:
    filled = with_defaults(destination())
    assert filled["BufferingHints"] == {"SizeInMBs": 5, "IntervalInSeconds": 300}
    assert filled["CompressionFormat"] == "UNCOMPRESSED"
    processing = {
        "Enabled": True,
        "Processors": [
            {
                "Type": "Lambda",
                "Parameters": [{"ParameterName": "LambdaArn", "ParameterValue": LAMBDA}],
            }
        ],
    }
    processor = delivery_config(
        "s", ARN, "1", destination(ProcessingConfiguration=processing)
    ).processor
    assert processor == Processor(LAMBDA, 3, Hints.of(1, 60))


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"BufferingHints": {"SizeInMBs": 129, "IntervalInSeconds": 60}}, "ValidationException"),
        ({"BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 901}}, "ValidationException"),
        ({"CompressionFormat": "Snappy"}, "InvalidArgumentException"),
        ({"Prefix": "!{timestamp:yyyy}/"}, "InvalidArgumentException"),
        (
            {
                "ProcessingConfiguration": {
                    "Processors": [
                        {
                            "Type": "Lambda",
                            "Parameters": [
                                {"ParameterName": "LambdaArn", "ParameterValue": LAMBDA},
                                {"ParameterName": "BufferSizeInMBs", "ParameterValue": "4"},
                            ],
                        }
                    ]
                }
            },
            "InvalidArgumentException",
        ),
    ],
)
def test_destinations_aws_refuses_are_refused(fields: dict[str, object], code: str) -> None:
    with pytest.raises(InvalidConfiguration) as refused:
        check_destination(destination(**fields))
    assert refused.value.code == code


def test_put_limits() -> None:
    assert api.check_records([{"Data": b"x" * 1_024_000}], batch=False) == [b"x" * 1_024_000]
    with pytest.raises(Exception, match="record.data.*1024000"):
        api.check_records([{"Data": b"x" * 1_024_001}], batch=False)
    with pytest.raises(Exception, match=r"2 validation errors.*records\.2\.member\.data"):
        api.check_records([{"Data": b"x" * 1_024_001}] * 2, batch=True)
    with pytest.raises(Exception, match="less than or equal to 500"):
        api.check_records([{"Data": b"x"}] * 501, batch=True)
    with pytest.raises(Exception, match="exceeds 4 MB"):
        api.check_records([{"Data": b"x" * 1_000_000}] * 5, batch=True)


# PutRecord answered in-process (API Gateway's AWS integration) ----------------------------


class _Service:
    """Stands in for FirehoseService: records what it accepts, or refuses as a stopping cloud."""

    def __init__(self, stopping: bool = False):
        self.accepted: list[bytes] = []
        self._stopping = stopping

    def accept(self, account: str, region: str, stream: Any, configure: Any, data: Any) -> None:
        from mysfits.local.firehose.service import Stopping

        if self._stopping:
            raise Stopping("the local cloud is stopping")
        assert configure().stream == "clicks"
        self.accepted.extend(data)


@pytest.fixture
def delivery_stream(monkeypatch: pytest.MonkeyPatch) -> Any:
    import boto3
    from moto import mock_aws

    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_FIREHOSE", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        boto3.client(
            "firehose", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
        ).create_delivery_stream(
            DeliveryStreamName="clicks", ExtendedS3DestinationConfiguration=destination()
        )
        yield


def _put_body(data: str, stream: str = "clicks") -> bytes:
    return json.dumps({"DeliveryStreamName": stream, "Record": {"Data": data}}).encode()


def test_direct_put_buffers_the_record_and_answers_as_the_api(delivery_stream: Any) -> None:
    service = _Service()
    put = api.direct_put(service)  # type: ignore[arg-type]
    answer = put("123456789012", "us-east-1", _put_body(base64.b64encode(b'{"a":1}').decode()))
    assert answer is not None
    assert json.loads(answer).keys() == {"RecordId", "Encrypted"}
    assert service.accepted == [b'{"a":1}']


@pytest.mark.parametrize(
    ("body", "stopping"),
    [
        (_put_body("eyJhIjoxfQ==", stream="missing"), False),  # ResourceNotFoundException
        (_put_body("not base64!"), False),  # the API's SerializationException
        (b"not json", False),
        (_put_body("eyJhIjoxfQ=="), True),  # ServiceUnavailableException
    ],
)
def test_direct_put_leaves_errors_to_the_api(
    delivery_stream: Any, body: bytes, stopping: bool
) -> None:
    service = _Service(stopping)
    assert api.direct_put(service)("123456789012", "us-east-1", body) is None  # type: ignore[arg-type]
    assert service.accepted == []
