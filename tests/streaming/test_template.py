"""streaming/template.yml: cfn-lint passes, the SAM transform gives the resources the stack needs,
and each piece is configured as module 5 requires (least privilege, BPA, framing, validation)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import airspeed
import boto3
import jsonschema
import pytest
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

from tests.streaming.conftest import TEMPLATE

CFN_LINT = Path(sys.executable).with_name("cfn-lint")
CLICK_ID = "0b1e3d2c-8f2a-4c55-9e57-3f4f1d4b1a11"


def lint(template: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CFN_LINT), str(template)], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def sam() -> dict[str, Any]:
    return yaml_parse(TEMPLATE.read_text())


@pytest.fixture(scope="module")
def transformed(sam: dict[str, Any]) -> dict[str, Any]:
    """The template as CloudFormation sees it after the SAM transform (CodeUri packaged)."""
    packaged = json.loads(json.dumps(sam))
    packaged["Resources"]["ClickProcessor"]["Properties"]["CodeUri"] = "s3://code/app.zip"
    translator = Translator(
        None, Parser(), boto_session=boto3.session.Session(region_name="eu-west-1")
    )
    return translator.translate(packaged, parameter_values={}, get_managed_policy_map=dict)


def resource(template: dict[str, Any], lid: str) -> dict[str, Any]:
    return template["Resources"][lid]["Properties"]


def statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]


def test_cfn_lint_passes() -> None:
    result = lint(TEMPLATE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_fails_a_broken_copy(tmp_path: Path) -> None:
    broken = tmp_path / "template.yml"
    broken.write_text(TEMPLATE.read_text().replace("Runtime: python3.12", "Runtime: python2.7"))
    result = lint(broken)
    assert result.returncode != 0 and "python2.7" in result.stdout


def test_the_transform_gives_the_resources_the_stack_creates(transformed: dict[str, Any]) -> None:
    types = sorted({r["Type"] for r in transformed["Resources"].values()})
    assert types == [
        "AWS::ApiGateway::Deployment",
        "AWS::ApiGateway::GatewayResponse",
        "AWS::ApiGateway::Method",
        "AWS::ApiGateway::Model",
        "AWS::ApiGateway::RequestValidator",
        "AWS::ApiGateway::Resource",
        "AWS::ApiGateway::RestApi",
        "AWS::ApiGateway::Stage",
        "AWS::IAM::Role",
        "AWS::KinesisFirehose::DeliveryStream",
        "AWS::Lambda::Function",
        "AWS::Logs::LogGroup",
        "AWS::S3::Bucket",
    ]
    function = resource(transformed, "ClickProcessor")
    assert function["Code"] == {"S3Bucket": "code", "S3Key": "app.zip"}
    assert (function["Runtime"], function["Handler"]) == ("python3.12", "app.handler")


def test_the_processor_may_only_batch_get_from_the_table_and_write_its_logs(
    sam: dict[str, Any],
) -> None:
    granted = statements(resource(sam, "ClickProcessorRole"))
    assert [s["Action"] for s in granted] == [
        "dynamodb:BatchGetItem",
        ["logs:CreateLogStream", "logs:PutLogEvents"],
    ]
    assert granted[0]["Resource"]["Fn::Sub"].endswith(":table/${MysfitsTable}")
    assert granted[1]["Resource"] == {"Fn::GetAtt": ["ClickProcessorLogGroup", "Arn"]}
    assert resource(sam, "ClickProcessorLogGroup")["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_the_api_may_only_put_records_on_this_stream(sam: dict[str, Any]) -> None:
    role = resource(sam, "ApiRole")
    principal = role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
    assert principal == {"Service": "apigateway.amazonaws.com"}
    assert statements(role) == [
        {
            "Effect": "Allow",
            "Action": "firehose:PutRecord",
            "Resource": {"Fn::GetAtt": ["ClickStream", "Arn"]},
        }
    ]


def test_the_bucket_is_versioned_and_blocks_public_access(sam: dict[str, Any]) -> None:
    bucket = resource(sam, "ClicksBucket")
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4


def test_the_stream_buffers_transforms_and_separates_failures(sam: dict[str, Any]) -> None:
    destination = resource(sam, "ClickStream")["ExtendedS3DestinationConfiguration"]
    assert destination["Prefix"] == "clicks/"
    assert destination["ErrorOutputPrefix"] == (
        "!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/"
    )
    assert set(destination["BufferingHints"]) == {"IntervalInSeconds", "SizeInMBs"}
    assert destination["CompressionFormat"] == {"Ref": "Compression"}
    assert sam["Parameters"]["Compression"]["AllowedValues"] == ["UNCOMPRESSED", "GZIP"]
    (processor,) = destination["ProcessingConfiguration"]["Processors"]
    names = {p["ParameterName"]: p["ParameterValue"] for p in processor["Parameters"]}
    assert processor["Type"] == "Lambda"
    assert names["LambdaArn"] == {"Fn::GetAtt": ["ClickProcessor", "Arn"]}
    assert {"BufferIntervalInSeconds", "BufferSizeInMBs", "NumberOfRetries"} < names.keys()


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        ({"mysfitId": CLICK_ID}, True),
        ({"mysfitId": CLICK_ID, "userId": "a-user"}, True),
        ({"mysfitId": CLICK_ID.upper()}, True),
        ({}, False),
        ({"userId": "a-user"}, False),
        ({"mysfitId": "not-a-uuid"}, False),
        ({"mysfitId": CLICK_ID + "0"}, False),
        ({"mysfitId": CLICK_ID, "userId": 7}, False),
        ({"mysfitId": CLICK_ID, "userId": ""}, False),
        ({"mysfitId": CLICK_ID, "extra": 1}, False),
        (["not", "an", "object"], False),
    ],
)
def test_the_request_model_admits_only_clicks(sam: dict[str, Any], body: Any, valid: bool) -> None:
    schema = resource(sam, "ClickModel")["Schema"]
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert jsonschema.Draft4Validator(schema).is_valid(body) is valid


class _Input:
    """Just enough of API Gateway's $input for this template (top-level JSONPaths)."""

    def __init__(self, body: dict[str, Any]):
        self._body = body

    def json(self, path: str) -> str:
        return json.dumps(self._body.get(path.removeprefix("$.")))

    def path(self, path: str) -> Any:
        return self._body.get(path.removeprefix("$."))


class _Util:
    def base64Encode(self, text: str) -> str:  # noqa: N802 (VTL's name)
        return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize("user", ["a-user", 'quote " and \\ backslash', None])
def test_the_mapping_template_adds_click_id_and_request_time(
    sam: dict[str, Any], user: str | None
) -> None:
    integration = resource(sam, "PostClick")["Integration"]
    assert integration["Uri"]["Fn::Sub"].endswith(":firehose:action/PutRecord")
    vtl = integration["RequestTemplates"]["application/json"]["Fn::Sub"]
    body = {"mysfitId": CLICK_ID} | ({"userId": user} if user is not None else {})
    rendered = airspeed.Template(vtl.replace("${ClickStream}", "unit-clicks")).merge(
        {
            "input": _Input(body),
            "util": _Util(),
            "context": {"requestId": "req-1", "requestTimeEpoch": 1_700_000_000_123},
        }
    )
    request = json.loads(rendered)
    assert request["DeliveryStreamName"] == "unit-clicks"
    assert json.loads(base64.b64decode(request["Record"]["Data"])) == {
        "clickId": "req-1",
        "mysfitId": CLICK_ID,
        "userId": user,
        "requestTime": 1_700_000_000_123,
    }


def test_firehose_errors_are_passed_on_not_answered_as_200(sam: dict[str, Any]) -> None:
    responses = resource(sam, "PostClick")["Integration"]["IntegrationResponses"]
    patterns = {r.get("SelectionPattern"): r["StatusCode"] for r in responses}
    assert patterns == {None: "200", r"4\d{2}": "400", r"5\d{2}": "500"}
    assert all(
        r["ResponseTemplates"]["application/json"] == "$input.body"
        for r in responses
        if r["StatusCode"] != "200"
    )
