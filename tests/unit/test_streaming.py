"""Module 5's library: packaging as `sam package` does, change-set plans, the stream's checks
both ways, the click API's checks both ways, and cleanup (moto in-process; HTTP on loopback)."""

from __future__ import annotations

import base64
import gzip
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mysfits import changesets, clicks, prerequisites, sampackage, streaming
from mysfits.parameters import InvalidParameters
from mysfits.workshop import Workshop

PLAIN_TEMPLATE = json.dumps(
    {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "unit-q"}}}}
)


def folder_with_code(root: Path) -> Path:
    code = root / "code"
    (code / "pkg").mkdir(parents=True)
    (code / "app.py").write_text("def handler(event, context):\n    return event\n")
    (code / "pkg" / "helper.py").write_text("X = 1\n")
    (code / "__pycache__").mkdir()
    (code / "__pycache__" / "app.cpython-312.pyc").write_bytes(b"\0")
    return code


def test_the_zip_depends_on_names_and_contents_only(tmp_path: Path) -> None:
    code = folder_with_code(tmp_path)
    first = sampackage.zip_folder(code)
    (code / "app.py").touch()  # a new modification time changes nothing
    assert sampackage.zip_folder(code) == first
    entries = zipfile.ZipFile(io.BytesIO(first)).infolist()
    assert [e.filename for e in entries] == ["app.py", "pkg/helper.py"]
    assert {e.date_time for e in entries} == {(1980, 1, 1, 0, 0, 0)}
    (code / "app.py").write_text("def handler(event, context):\n    return None\n")
    assert sampackage.zip_folder(code) != first


def test_package_uploads_each_function_once_and_points_the_template_at_it(
    ws: Workshop, tmp_path: Path
) -> None:
    folder_with_code(tmp_path)
    template = tmp_path / "template.yml"
    template.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties: {CodeUri: code/, Handler: app.handler, Runtime: python3.12,"
        " Role: !GetAtt R.Arn}\n"
    )
    ws.client("s3").create_bucket(Bucket="unit-code")
    packaged = sampackage.package(ws, template, "unit-code", key_prefix="fn/")
    (artifact,) = packaged.artifacts
    assert artifact.uploaded and artifact.key.startswith("fn/") and artifact.key.endswith(".zip")
    body = json.loads(packaged.body)
    assert body["Resources"]["Fn"]["Properties"]["CodeUri"] == artifact.uri
    assert body["Resources"]["Fn"]["Properties"]["Role"] == {"Fn::GetAtt": ["R", "Arn"]}
    again = sampackage.package(ws, template, "unit-code", key_prefix="fn/")
    assert again.artifacts[0].key == artifact.key and not again.artifacts[0].uploaded


def test_a_plan_shows_its_changes_and_an_unchanged_one_is_empty(ws: Workshop) -> None:
    planned = changesets.plan(ws, "unit-stack", PLAIN_TEMPLATE, {})
    assert planned.kind == "CREATE" and not planned.empty
    assert planned.table().to_dict("records") == [
        {
            "action": "Add",
            "logical id": "Queue",
            "type": "AWS::SQS::Queue",
            "replacement": "",
            "physical id": "",
        }
    ]
    assert "unit-stack" in planned._repr_html_()
    stack = changesets.execute(ws, planned)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    again = changesets.plan(ws, "unit-stack", PLAIN_TEMPLATE, {})
    assert again.kind == "UPDATE" and again.empty
    assert "no changes" in again._repr_html_()
    assert changesets.execute(ws, again)["StackName"] == "unit-stack"


@pytest.mark.parametrize(
    "knobs",
    [{"buffer_interval": 901}, {"processor_buffer_interval": -1}, {"compression": "ZIP"}],
)
def test_bad_knobs_are_refused_before_anything_is_made(ws: Workshop, knobs: dict[str, Any]) -> None:
    with pytest.raises(InvalidParameters):
        streaming.stack_parameters(ws, **knobs)
    assert ws.client("s3").list_buckets()["Buckets"] == []


def test_the_code_bucket_is_private_and_tagged(ws: Workshop) -> None:
    name = streaming.ensure_code_bucket(ws)
    s3 = ws.client("s3")
    block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    assert {"Key": "workshop-prefix", "Value": ws.prefix} in s3.get_bucket_tagging(Bucket=name)[
        "TagSet"
    ]
    assert streaming.delete_code_bucket(ws) and not streaming.delete_code_bucket(ws)


def make_stream_parts(ws: Workshop, versioned: bool) -> streaming.ClickStream:
    """The pieces check_click_stream looks at, made directly (moto cannot expand SAM)."""
    iam, s3 = ws.client("iam"), ws.client("s3")
    role = iam.create_role(RoleName="unit-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("app.py", "def handler(e, c): return e")
    function = ws.client("lambda").create_function(
        FunctionName=ws.names.click_processor,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": zipped.getvalue()},
    )
    bucket = ws.names.clicks_bucket
    s3.create_bucket(Bucket=bucket)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            key: True
            for key in (
                "BlockPublicAcls",
                "IgnorePublicAcls",
                "BlockPublicPolicy",
                "RestrictPublicBuckets",
            )
        },
    )
    if versioned:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    processor = {
        "Type": "Lambda",
        "Parameters": [{"ParameterName": "LambdaArn", "ParameterValue": function["FunctionArn"]}],
    }
    ws.client("firehose").create_delivery_stream(
        DeliveryStreamName=ws.names.click_stream,
        ExtendedS3DestinationConfiguration={
            "RoleARN": role,
            "BucketARN": f"arn:aws:s3:::{bucket}",
            "ProcessingConfiguration": {"Enabled": True, "Processors": [processor]},
        },
    )
    return streaming.ClickStream(
        ws.names.streaming_stack,
        "https://abc.execute-api.us-east-1.amazonaws.com/prod/clicks",
        "abc",
        "prod",
        ws.names.click_stream,
        "arn",
        bucket,
        ws.names.click_processor,
        f"/aws/lambda/{ws.names.click_processor}",
    )


@pytest.mark.parametrize("versioned", [True, False])
def test_the_stream_check_needs_every_piece_as_the_template_says(
    ws: Workshop, versioned: bool
) -> None:
    check = streaming.check_click_stream(ws, make_stream_parts(ws, versioned))
    assert check.ok is versioned
    assert "runtime: python3.12" in check.evidence and "stream: ACTIVE" in check.evidence


def test_cleanup_deletes_the_log_groups_and_lists_what_is_left(ws: Workshop) -> None:
    logs = ws.client("logs")
    group = f"/aws/lambda/{ws.names.click_processor}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_group(logGroupName=f"{group}-other")  # not the stream's
    assert [left.name for left in streaming.leftovers(ws)] == [group]
    assert streaming.delete_log_groups(ws) == [group]
    assert list(streaming.leftovers(ws)) == []
    assert not streaming.delete_stream_stack(ws)  # no stack: nothing to do


class _Api(BaseHTTPRequestHandler):
    """Answers POST /prod/clicks as API Gateway would: 200 for a click, 400 otherwise."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            click = json.loads(body)
            ok = (
                isinstance(click, dict)
                and set(click) <= {"mysfitId", "userId"}
                and ("mysfitId" in click)
            )
        except ValueError:
            ok = False
        answer = {"clickId": "req-1"} if ok else {"message": "Invalid request body"}
        self.send_response(200 if ok else 400)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(answer).encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/prod/clicks"
    server.shutdown()


class _Direct:
    """A workshop whose URLs are where the test's API listens."""

    def __init__(self, url: str):
        self._url = url

    def url(self, aws_url: str) -> str:
        return self._url


def stream_at(url: str) -> streaming.ClickStream:
    return streaming.ClickStream("s", url, "abc", "prod", "n", "arn", "b", "f", "g")


def test_the_click_checks_pass_and_fail(api: str) -> None:
    ws: Any = _Direct(api)
    stream = stream_at(api)
    uuid = "0b1e3d2c-8f2a-4c55-9e57-3f4f1d4b1a11"
    assert clicks.check_click_accepted(ws, stream, uuid)
    assert clicks.check_click_refused(ws, stream, {"mysfitId": uuid, "extra": 1})
    assert not clicks.check_click_refused(ws, stream, {"mysfitId": uuid})  # a click is accepted
    answers = clicks.send_all(ws, stream, [{"mysfitId": uuid}] * 5 + [b"{not json"])
    assert [a.status for a in answers] == [200] * 5 + [400]
    assert answers[0].click_id == "req-1" and answers[-1].click_id is None


def test_delivered_and_failed_records_are_read_and_checked(ws: Workshop) -> None:
    s3 = ws.client("s3")
    stream = streaming.ClickStream(
        "s", "https://x", "abc", "prod", "n", "arn", "unit-clicks", "f", "g"
    )
    s3.create_bucket(Bucket="unit-clicks")
    lines = [{"clickId": "c1", "name": "Evangeline"}, {"clickId": "c2", "name": "Ra"}]
    body = "".join(json.dumps(line) + "\n" for line in lines).encode()
    s3.put_object(Bucket="unit-clicks", Key="clicks/2026/05/01/12/s-1-x", Body=body)
    s3.put_object(
        Bucket="unit-clicks", Key="clicks/2026/05/01/13/s-1-y.gz", Body=gzip.compress(body)
    )
    error = {"rawData": base64.b64encode(b"{bad").decode(), "errorCode": "Lambda.ProcessingFailed"}
    s3.put_object(
        Bucket="unit-clicks",
        Key="processing-failed/2026/05/01/12/s-1-z",
        Body=(json.dumps(error) + "\n").encode(),
    )
    assert [len(d.records) for d in clicks.delivered(ws, stream)] == [2, 2]
    assert clicks.check_delivered(ws, stream, ["c1", "c2"], timeout=1)
    late = clicks.check_delivered(ws, stream, ["c1", "c3"], timeout=0)
    assert not late and "Timed out" in late.evidence
    assert clicks.check_failed(ws, stream, [b"{bad"], timeout=0)
    assert not clicks.check_failed(ws, stream, [b"{bad", b"missing"], timeout=0)


def test_module_5_needs_module_3s_table(ws: Workshop) -> None:
    assert prerequisites.missing(ws, "03") == [f"the DynamoDB table {ws.names.table}"]
    ws.client("dynamodb").create_table(
        TableName=ws.names.table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "MysfitId", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "MysfitId", "KeyType": "HASH"}],
    )
    assert prerequisites.missing(ws, "03") == []
