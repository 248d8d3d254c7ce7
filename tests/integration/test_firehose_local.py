"""Firehose on the local cloud through boto3: buffering, the Lambda processor, AWS's S3 layout.

The cloud runs in this process, so most tests stand a fake processor in for Lambda at the
package's seam (`FirehoseService.invoker`); `test_a_real_lambda_processor_transforms_records`
takes the real path (Lambda's Invoke on the local cloud) and needs the local Lambda runtime.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from mysfits.local.firehose.transform import Invocation

from .deadlines import firehose_delivered
from .helpers import poll, trust_policy, zipped

pytestmark = pytest.mark.integration
ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/firehose"
# <Prefix>YYYY/MM/dd/HH/<stream>-<version>-YYYY-MM-dd-HH-mm-ss-<uuid>
KEY = (
    r"{prefix}\d{{4}}/\d{{2}}/\d{{2}}/\d{{2}}/{stream}-{version}-"
    r"\d{{4}}-\d{{2}}-\d{{2}}-\d{{2}}-\d{{2}}-\d{{2}}-"
    r"[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}{extension}$"
)
Behaviour = Callable[[dict[str, Any]], Invocation]


class Processors:
    """Fake processors by function ARN; any other ARN goes to the real invoker."""

    def __init__(self, real: Callable[[str, bytes], Invocation]):
        self.real = real
        self.behaviours: dict[str, Behaviour] = {}
        self.calls: dict[str, int] = {}

    def add(self, behaviour: Behaviour) -> str:
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fake-{uuid.uuid4().hex[:8]}"
        self.behaviours[arn] = behaviour
        return arn

    def __call__(self, arn: str, payload: bytes) -> Invocation:
        if arn not in self.behaviours:
            return self.real(arn, payload)
        self.calls[arn] = self.calls.get(arn, 0) + 1
        return self.behaviours[arn](json.loads(payload))


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from mysfits.local.server import LocalCloud

    local = LocalCloud(0, home=tmp_path_factory.mktemp("firehose-home")).start()
    assert local.ready.wait(120)
    service = local.services["firehose"]
    service.invoker = Processors(service.invoker)
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture
def aws(cloud: Any) -> Callable[[str], Any]:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    return lambda name: session.client(name, endpoint_url=cloud.endpoint_url)


@pytest.fixture
def bucket(aws: Callable[[str], Any]) -> str:
    name = f"firehose-{uuid.uuid4().hex[:12]}"
    aws("s3").create_bucket(Bucket=name)
    return name


def enrich(event: dict[str, Any]) -> Invocation:
    """A processor like the workshop's: JSON per line out, bad JSON failed, `drop` dropped."""
    replies = []
    for record in event["records"]:
        data = base64.b64decode(record["data"])
        reply: dict[str, Any] = {"recordId": record["recordId"], "result": "Ok"}
        try:
            click = json.loads(data)
        except ValueError:
            reply["result"] = "ProcessingFailed"
        else:
            if click.get("drop"):
                reply["result"] = "Dropped"
            line = json.dumps({**click, "enriched": True}) + "\n"
            reply["data"] = base64.b64encode(line.encode()).decode()
        replies.append(reply)
    return Invocation(json.dumps({"records": replies}).encode())


def processing(arn: str, retries: int = 3, interval: int = 0) -> dict[str, Any]:
    parameters = {
        "LambdaArn": arn,
        "NumberOfRetries": str(retries),
        "BufferIntervalInSeconds": str(interval),
    }
    return {
        "Enabled": True,
        "Processors": [
            {
                "Type": "Lambda",
                "Parameters": [
                    {"ParameterName": k, "ParameterValue": v} for k, v in parameters.items()
                ],
            }
        ],
    }


def create_stream(aws: Callable[[str], Any], bucket: str, **destination: Any) -> str:
    name = f"stream-{uuid.uuid4().hex[:8]}"
    aws("firehose").create_delivery_stream(
        DeliveryStreamName=name,
        DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE,
            "BucketARN": f"arn:aws:s3:::{bucket}",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0},
            **destination,
        },
    )
    return name


def objects(aws: Callable[[str], Any], bucket: str, prefix: str = "") -> dict[str, bytes]:
    s3 = aws("s3")
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listing}


def lines(bodies: dict[str, bytes], unzip: bool = False) -> list[dict[str, Any]]:
    out = []
    for body in bodies.values():
        text = gzip.decompress(body) if unzip else body
        out += [json.loads(line) for line in text.decode().splitlines()]
    return out


def wait_for_lines(
    aws: Callable[[str], Any], bucket: str, prefix: str, count: int, timeout: float
) -> list[dict[str, Any]]:
    def enough() -> list[dict[str, Any]] | None:
        found = lines(objects(aws, bucket, prefix))
        return found if len(found) >= count else None

    return poll(enough, timeout, f"{count} lines under s3://{bucket}/{prefix}")


def test_mixed_records_are_enriched_failed_or_dropped_and_the_counts_add_up(
    cloud: Any, aws: Callable[[str], Any], bucket: str
) -> None:
    arn = cloud.services["firehose"].invoker.add(enrich)
    stream = create_stream(
        aws,
        bucket,
        Prefix="clicks/",
        ErrorOutputPrefix="processing-failed/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/",
        ProcessingConfiguration=processing(arn),
    )
    good = [json.dumps({"clickId": str(i)}).encode() for i in range(6)]
    bad = [b"{not json", b"", b"]["]
    dropped = [json.dumps({"clickId": "d", "drop": True}).encode()]
    sent = good + bad + dropped
    answer = aws("firehose").put_record_batch(
        DeliveryStreamName=stream, Records=[{"Data": d} for d in sent]
    )
    assert answer["FailedPutCount"] == 0 and len(answer["RequestResponses"]) == len(sent)
    deadline = firehose_delivered()
    delivered = wait_for_lines(aws, bucket, "clicks/", len(good), deadline)
    failed = wait_for_lines(aws, bucket, "processing-failed/", len(bad), deadline)
    assert sorted(r["clickId"] for r in delivered) == [str(i) for i in range(6)]
    assert all(r["enriched"] for r in delivered)
    assert len(delivered) + len(failed) + len(dropped) == len(sent)
    assert sorted(base64.b64decode(f["rawData"]) for f in failed) == sorted(bad)
    assert {f["errorCode"] for f in failed} == {"Lambda.ProcessingFailedStatus"}
    assert {f["lambdaArn"] for f in failed} == {arn}
    assert set(failed[0]) == {
        "attemptsMade",
        "arrivalTimestamp",
        "errorCode",
        "errorMessage",
        "attemptEndingTimestamp",
        "rawData",
        "lambdaArn",
    }
    for key in objects(aws, bucket, "clicks/"):
        assert re.match(KEY.format(prefix="clicks/", stream=stream, version=1, extension=""), key)
    for key in objects(aws, bucket, "processing-failed/"):
        expected = KEY.format(
            prefix="processing-failed/processing-failed/", stream=stream, version=1, extension=""
        )
        assert re.match(expected, key)


def test_a_processor_that_always_fails_is_retried_then_every_record_is_an_error(
    cloud: Any, aws: Callable[[str], Any], bucket: str
) -> None:
    processors = cloud.services["firehose"].invoker
    arn = processors.add(lambda event: Invocation(b'{"errorMessage": "boom"}', "Unhandled"))
    stream = create_stream(aws, bucket, Prefix="out/", ProcessingConfiguration=processing(arn, 2))
    sent = [f"record-{i}".encode() for i in range(5)]
    aws("firehose").put_record_batch(DeliveryStreamName=stream, Records=[{"Data": d} for d in sent])
    failed = wait_for_lines(aws, bucket, "out/processing-failed/", 5, firehose_delivered(retries=2))
    assert processors.calls[arn] == 3
    assert {(f["errorCode"], f["attemptsMade"]) for f in failed} == {("Lambda.FunctionError", 3)}
    assert sorted(base64.b64decode(f["rawData"]) for f in failed) == sent
    assert not [k for k in objects(aws, bucket, "out/") if "processing-failed" not in k]


def test_a_reply_missing_a_record_id_fails_the_whole_batch(
    cloud: Any, aws: Callable[[str], Any], bucket: str
) -> None:
    def forgetful(event: dict[str, Any]) -> Invocation:
        first = event["records"][0]
        reply = {"recordId": first["recordId"], "result": "Ok", "data": first["data"]}
        return Invocation(json.dumps({"records": [reply]}).encode())

    arn = cloud.services["firehose"].invoker.add(forgetful)
    stream = create_stream(aws, bucket, Prefix="m/", ProcessingConfiguration=processing(arn, 0))
    aws("firehose").put_record_batch(
        DeliveryStreamName=stream, Records=[{"Data": b"a"}, {"Data": b"b"}]
    )
    failed = wait_for_lines(aws, bucket, "m/processing-failed/", 2, firehose_delivered())
    assert {f["errorCode"] for f in failed} == {"Lambda.MissingRecordId"}


def test_gzip_objects_are_compressed_and_named_gz(aws: Callable[[str], Any], bucket: str) -> None:
    stream = create_stream(aws, bucket, Prefix="z/", CompressionFormat="GZIP")
    for i in range(3):
        aws("firehose").put_record(DeliveryStreamName=stream, Record={"Data": f"{i}\n".encode()})

    def three() -> dict[str, bytes] | None:
        found = objects(aws, bucket, "z/")
        data = b"".join(gzip.decompress(b) for b in found.values())
        return found if len(data.splitlines()) == 3 else None

    found = poll(three, firehose_delivered(), "three gzipped records")
    for key in found:
        assert re.match(KEY.format(prefix="z/", stream=stream, version=1, extension=r"\.gz"), key)


def test_concurrent_puts_arrive_exactly_once(aws: Callable[[str], Any], bucket: str) -> None:
    stream = create_stream(aws, bucket, Prefix="c/")
    firehose = aws("firehose")
    count = 200

    def put(i: int) -> str:
        body = json.dumps({"n": i}).encode() + b"\n"
        return str(
            firehose.put_record(DeliveryStreamName=stream, Record={"Data": body})["RecordId"]
        )

    with ThreadPoolExecutor(16) as pool:
        ids = list(pool.map(put, range(count)))
    assert len(set(ids)) == count
    found = wait_for_lines(aws, bucket, "c/", count, firehose_delivered())
    assert sorted(r["n"] for r in found) == list(range(count))


def test_describe_shows_defaults_and_an_update_raises_the_version(
    aws: Callable[[str], Any], bucket: str
) -> None:
    firehose = aws("firehose")
    name = f"stream-{uuid.uuid4().hex[:8]}"
    firehose.create_delivery_stream(
        DeliveryStreamName=name,
        ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}"},
    )
    description = firehose.describe_delivery_stream(DeliveryStreamName=name)
    destination = description["DeliveryStreamDescription"]["Destinations"][0]
    extended = destination["ExtendedS3DestinationDescription"]
    assert extended["BufferingHints"] == {"SizeInMBs": 5, "IntervalInSeconds": 300}
    assert extended["CompressionFormat"] == "UNCOMPRESSED"
    firehose.put_record(DeliveryStreamName=name, Record={"Data": b"before\n"})  # waits 300 s
    firehose.update_destination(
        DeliveryStreamName=name,
        CurrentDeliveryStreamVersionId="1",
        DestinationId=destination["DestinationId"],
        ExtendedS3DestinationUpdate={
            "Prefix": "v2/",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0},
        },
    )
    after = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    assert after["VersionId"] == "2"
    s3_view = after["Destinations"][0]["S3DestinationDescription"]
    assert s3_view["BucketARN"] == f"arn:aws:s3:::{bucket}" and s3_view["Prefix"] == "v2/"
    firehose.put_record(DeliveryStreamName=name, Record={"Data": b"after\n"})
    found = poll(
        lambda: (lambda o: o if len(o) == 2 else None)(objects(aws, bucket)),
        firehose_delivered(),
        "one object per version",
    )
    by_version = {re.search(rf"{name}-(\d)-", k).group(1): body for k, body in found.items()}  # type: ignore[union-attr]
    assert by_version == {"1": b"before\n", "2": b"after\n"}
    assert [k for k in found if "-2-" in k][0].startswith("v2/")


def test_deleting_a_stream_drops_what_it_buffers(
    cloud: Any, aws: Callable[[str], Any], bucket: str
) -> None:
    stream = create_stream(aws, bucket, BufferingHints={"SizeInMBs": 5, "IntervalInSeconds": 900})
    aws("firehose").put_record(DeliveryStreamName=stream, Record={"Data": b"doomed"})
    aws("firehose").delete_delivery_stream(DeliveryStreamName=stream)
    cloud.services["firehose"].flush()
    assert objects(aws, bucket) == {}


@pytest.mark.parametrize(
    ("records", "code"),
    [
        ([{"Data": b"x"}] * 501, "ValidationException"),
        ([{"Data": b"x" * 1_024_001}], "ValidationException"),
        ([{"Data": b"x" * 1_000_000}] * 5, "InvalidArgumentException"),
    ],
)
def test_batches_over_aws_limits_are_refused(
    aws: Callable[[str], Any], bucket: str, records: list[dict[str, bytes]], code: str
) -> None:
    stream = create_stream(aws, bucket)
    with pytest.raises(ClientError) as refused:
        aws("firehose").put_record_batch(DeliveryStreamName=stream, Records=records)
    assert refused.value.response["Error"]["Code"] == code


def test_a_prefix_with_expressions_needs_an_error_prefix(
    aws: Callable[[str], Any], bucket: str
) -> None:
    with pytest.raises(ClientError) as refused:
        create_stream(aws, bucket, Prefix="!{timestamp:yyyy}/")
    assert refused.value.response["Error"]["Code"] == "InvalidArgumentException"


STOP_SCRIPT = """
import sys, tempfile, pathlib, boto3
from mysfits.local.server import LocalCloud
from moto.s3.models import s3_backends
cloud = LocalCloud(0, home=pathlib.Path(sys.argv[1])).start()
cloud.ready.wait(120)
kw = dict(endpoint_url=cloud.endpoint_url, region_name="us-east-1",
          aws_access_key_id="t", aws_secret_access_key="t")
boto3.client("s3", **kw).create_bucket(Bucket="kept")
firehose = boto3.client("firehose", **kw)
firehose.create_delivery_stream(
    DeliveryStreamName="slow",
    ExtendedS3DestinationConfiguration={
        "RoleARN": "arn:aws:iam::123456789012:role/r", "BucketARN": "arn:aws:s3:::kept",
        "BufferingHints": {"SizeInMBs": 128, "IntervalInSeconds": 900}})
for i in range(25):
    firehose.put_record(DeliveryStreamName="slow", Record={"Data": b"%d\\n" % i})
cloud.stop()
bucket = s3_backends["123456789012"]["aws"].buckets["kept"]
print(sum(len(bucket.keys[k].value.splitlines()) for k in bucket.keys))
"""


def test_a_clean_stop_delivers_what_is_buffered(tmp_path: Path) -> None:
    """In its own process: the stop must run to completion, and moto's state outlives it there."""
    script = textwrap.dedent(STOP_SCRIPT)
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "25"


PROCESSOR = """
import base64, json

def handler(event, context):
    out = []
    for record in event["records"]:
        data = base64.b64decode(record["data"]).decode().upper() + "\\n"
        out.append({"recordId": record["recordId"], "result": "Ok",
                    "data": base64.b64encode(data.encode()).decode()})
    return {"records": out}
"""


def test_a_real_lambda_processor_transforms_records(aws: Callable[[str], Any], bucket: str) -> None:
    """The real path: Firehose invokes a Python function through the local Lambda's Invoke."""
    name = f"upper-{uuid.uuid4().hex[:8]}"
    trust = trust_policy("lambda.amazonaws.com")
    role = aws("iam").create_role(RoleName=name, AssumeRolePolicyDocument=trust)
    function = aws("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="index.handler",
        Code={"ZipFile": zipped({"index.py": PROCESSOR})},
        Timeout=30,
    )
    stream = create_stream(
        aws, bucket, Prefix="real/", ProcessingConfiguration=processing(function["FunctionArn"], 0)
    )
    aws("firehose").put_record_batch(
        DeliveryStreamName=stream, Records=[{"Data": b"one"}, {"Data": b"two"}]
    )

    def delivered() -> bytes | None:
        found = objects(aws, bucket)
        failed = [k for k in found if "processing-failed" in k]
        assert not failed, f"the processor failed: {list(found.values())}"
        return b"".join(found.values()) or None

    assert sorted(poll(delivered, firehose_delivered(), "records through Lambda").split()) == [
        b"ONE",
        b"TWO",
    ]
