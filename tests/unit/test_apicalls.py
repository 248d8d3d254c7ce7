"""The API-call recorder (real boto3 clients, botocore's Stubber), redaction, CLI, rendering."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from nbformat.v4 import new_output

from mysfits.apicalls import (
    API_CALLS_MIME_TYPE,
    REDACTED,
    ApiCall,
    CallRecorder,
    calls_in_outputs,
    redact,
    show_document,
)
from mysfits.apicalls.awscli import command, shorthand
from mysfits.apicalls.calllog import CallLog, key_parameters
from mysfits.apicalls.documents import extract
from mysfits.runner import NotebookResult, read_api_calls, write_api_calls
from mysfits.workshop import Workshop

Stubs = Callable[[str], Stubber]
ROOT = Path(__file__).resolve().parents[2]
POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}],
    }
)
SECRETS = (
    "hunter2-secret-string",
    "correct-horse-password",
    "Bearer eyJ-authorization",
    "session-token-123",
    "db-password-value",
    "987654",
)


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workshop:
    """A Workshop on a session with fake credentials; every call is answered by a Stubber."""
    monkeypatch.setenv("MYSFITS_API_CALLS_LOG", str(tmp_path / "calls.jsonl"))
    session = boto3.Session(
        region_name="eu-west-1", aws_access_key_id="AKIAFAKE", aws_secret_access_key="fake"
    )
    return Workshop("aws", "eu-west-1", "demo", session, "123456789012")


@pytest.fixture
def stub(ws: Workshop) -> Iterator[Stubs]:
    stubbers: list[Stubber] = []

    def stubbed(service: str) -> Stubber:
        stubber = Stubber(ws.client(service))
        stubber.activate()
        stubbers.append(stubber)
        return stubber

    yield stubbed
    for stubber in stubbers:
        stubber.deactivate()


def operation(service: str, name: str):  # type: ignore[no-untyped-def]
    return (
        boto3.Session(region_name="us-east-1")
        .client(service, aws_access_key_id="x", aws_secret_access_key="y")
        .meta.service_model.operation_model(name)
    )


# -- recording ------------------------------------------------------------------------------------


def test_each_call_is_recorded_with_service_operation_status_and_time(
    ws: Workshop, stub: Stubs
) -> None:
    s3 = stub("s3")
    s3.add_response("put_bucket_policy", {}, {"Bucket": "site", "Policy": POLICY})
    s3.add_client_error("head_bucket", "404", http_status_code=404)
    ws.client("s3").put_bucket_policy(Bucket="site", Policy=POLICY)
    with pytest.raises(ws.client("s3").exceptions.ClientError):
        ws.client("s3").head_bucket(Bucket="gone")
    first, second = ws.calls.table("Bucket").calls
    assert (first.name, first.status, first.error, first.params["Bucket"]) == (
        "s3:PutBucketPolicy",
        200,
        "",
        "site",
    )
    assert (second.name, second.outcome, second.ok) == ("s3:HeadBucket", "404", False)
    assert datetime.fromisoformat(first.started).tzinfo is not None and first.milliseconds >= 0
    assert first.region == "eu-west-1" and first.signed


def test_a_table_holds_the_calls_since_the_previous_table(ws: Workshop, stub: Stubs) -> None:
    sts = stub("sts")
    for _ in range(3):
        sts.add_response("get_caller_identity", {"Account": "123456789012"})
    ws.client("sts").get_caller_identity()
    assert len(ws.calls.table("one").calls) == 1
    ws.client("sts").get_caller_identity()
    ws.client("sts").get_caller_identity()
    assert [c.name for c in ws.calls.table("two").calls] == ["sts:GetCallerIdentity"] * 2
    assert ws.calls.table("three").calls == []


def test_a_step_collects_only_the_calls_inside_its_block(ws: Workshop, stub: Stubs) -> None:
    ecs = stub("ecs")
    for _ in range(4):
        ecs.add_response("list_clusters", {"clusterArns": []})
    ws.client("ecs").list_clusters()
    with ws.calls.step("List clusters") as step:
        ws.client("ecs").list_clusters()
        ws.client("ecs").list_clusters(maxResults=5)
    ws.client("ecs").list_clusters()
    assert step.title == "List clusters"
    assert [c.params for c in step.calls] == [{}, {"maxResults": 5}]


def test_anonymous_clients_of_the_session_are_recorded_as_unsigned(ws: Workshop) -> None:
    anonymous = ws.anonymous_client("s3")
    with Stubber(anonymous) as stubber:
        stubber.add_client_error("get_object", "AccessDenied", http_status_code=403)
        with pytest.raises(anonymous.exceptions.ClientError):
            anonymous.get_object(Bucket="site", Key="index.html")
    (call,) = ws.calls.table("anonymous").calls
    assert (call.signed, call.outcome) == (False, "403 AccessDenied")
    assert call.cli.endswith("--no-sign-request")


def test_every_call_is_appended_to_the_run_log(ws: Workshop, stub: Stubs, tmp_path: Path) -> None:
    stub("sts").add_response("get_caller_identity", {"Account": "123456789012"})
    ws.client("sts").get_caller_identity()
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (tmp_path / "calls.jsonl").rename(run_dir / "01_static_website.api-calls.jsonl")
    written = write_api_calls(run_dir, [NotebookResult("01_static_website", "passed")])
    assert [c.name for c in read_api_calls(written)] == ["sts:GetCallerIdentity"]
    assert json.loads(written.read_text())[0]["notebook"] == "01_static_website"


# -- secrets --------------------------------------------------------------------------------------


def _secretive_calls(ws: Workshop, stub: Stubs) -> None:
    stub("secretsmanager").add_response("create_secret", {}, None)
    stub("iam").add_response(
        "create_login_profile",
        {"LoginProfile": {"UserName": "learner", "CreateDate": datetime(2024, 1, 1)}},
        None,
    )
    stub("apigateway").add_response("test_invoke_method", {}, None)
    stub("cognito-idp").add_response("global_sign_out", {}, None)
    stub("sts").add_response("assume_role", {}, None)
    stub("ecs").add_response("register_task_definition", {}, None)
    ws.client("secretsmanager").create_secret(Name="db", SecretString=SECRETS[0])
    ws.client("iam").create_login_profile(UserName="learner", Password=SECRETS[1])
    ws.client("apigateway").test_invoke_method(
        restApiId="a", resourceId="r", httpMethod="GET", headers={"Authorization": SECRETS[2]}
    )
    ws.client("cognito-idp").global_sign_out(AccessToken=SECRETS[3])
    ws.client("sts").assume_role(
        RoleArn="arn:aws:iam::123456789012:role/r",
        RoleSessionName="learner",
        SerialNumber="arn:aws:iam::123456789012:mfa/me",
        TokenCode=SECRETS[5],
    )
    ws.client("ecs").register_task_definition(
        family="f",
        containerDefinitions=[
            {
                "name": "app",
                "image": "i",
                "environment": [
                    {"name": "DB_PASSWORD", "value": SECRETS[4]},
                    {"name": "TABLE", "value": "mysfits"},
                ],
            }
        ],
    )


def test_no_secret_reaches_any_rendering_or_the_log(
    ws: Workshop, stub: Stubs, tmp_path: Path
) -> None:
    _secretive_calls(ws, stub)
    log = ws.calls.table("secrets")
    shown = [
        str(log),
        log._repr_html_(),
        json.dumps(log.as_json()),
        (tmp_path / "calls.jsonl").read_text(),
        *log.cli_commands(),
        *(d.content for d in log.documents),
    ]
    leaked = [secret for secret in SECRETS for text in shown if secret in text]
    assert leaked == []
    assert len(log.calls) == 6 and all(REDACTED in json.dumps(c.params) for c in log.calls)
    definition = json.loads(log.documents[0].content)
    assert definition["containerDefinitions"][0]["environment"][1] == {
        "name": "TABLE",
        "value": "mysfits",
    }


def test_redaction_summarises_blobs_and_keeps_what_is_not_secret() -> None:
    kept = redact(
        {
            "Body": b"x" * 12345,
            "Stream": io.BytesIO(b"abc"),
            "Huge": "y" * 70_000,
            "NextToken": "page-2",
            "Tags": [{"Key": "ApiKey", "Value": "k"}, {"Key": "team", "Value": "a"}],
            "When": datetime(2024, 5, 1, 12, 0),
            "Count": 3,
            "Closed": _closed(),
        }
    )
    assert kept == {
        "Body": "<12,345 bytes>",
        "Stream": "<3 bytes>",
        "Huge": "<70,000 chars>",
        "NextToken": "page-2",
        "Tags": [{"Key": "ApiKey", "Value": REDACTED}, {"Key": "team", "Value": "a"}],
        "When": "2024-05-01T12:00:00",
        "Count": 3,
        "Closed": "<stream>",
    }


def _closed() -> io.BytesIO:
    stream = io.BytesIO(b"gone")
    stream.close()
    return stream


# -- the AWS CLI ----------------------------------------------------------------------------------


def test_cli_points_documents_to_files() -> None:
    sent = extract("s3", "PutBucketPolicy", {"Bucket": "site", "Policy": POLICY})
    said = command(
        "s3", operation("s3", "PutBucketPolicy"), {"Bucket": "site", "Policy": POLICY}, sent.files
    )
    assert said == "aws s3api put-bucket-policy --bucket site --policy file://bucket-policy.json"
    assert json.loads(sent.documents[0].content)["Statement"][0]["Action"] == "s3:GetObject"


@pytest.mark.parametrize(
    ("service", "name", "params", "expected"),
    [
        (
            "s3",
            "ListObjectsV2",
            {"Bucket": "b", "MaxKeys": 10},
            "aws s3api list-objects-v2 --bucket b --max-keys 10",
        ),
        (
            "s3",
            "PutObject",
            {
                "Bucket": "b",
                "Key": "css/site.css",
                "Body": "<7 bytes>",
                "ContentType": "text/css; x=1",
            },
            "aws s3api put-object --bucket b --key css/site.css --body css/site.css "
            "--content-type 'text/css; x=1'",
        ),
        (
            "ecr",
            "UploadLayerPart",
            {"repositoryName": "r", "uploadId": "u", "layerPartBlob": "<9 bytes>"},
            "aws ecr upload-layer-part --repository-name r --upload-id u "
            "--layer-part-blob fileb://layer-part-blob.bin",
        ),
        (
            "ecr",
            "DeleteRepository",
            {"repositoryName": "mysfits/service", "force": True},
            "aws ecr delete-repository --repository-name mysfits/service --force",
        ),
        (
            "ecs",
            "UpdateService",
            {"cluster": "c", "service": "s", "forceNewDeployment": False},
            "aws ecs update-service --cluster c --service s --no-force-new-deployment",
        ),
        (
            "cloudformation",
            "CreateStack",
            {
                "StackName": "core",
                "Capabilities": ["CAPABILITY_IAM"],
                "Parameters": [{"ParameterKey": "Prefix", "ParameterValue": "demo"}],
            },
            "aws cloudformation create-stack --stack-name core --capabilities CAPABILITY_IAM "
            "--parameters ParameterKey=Prefix,ParameterValue=demo",
        ),
        (
            "elbv2",
            "DescribeTargetGroups",
            {"Names": ["demo-tg"]},
            "aws elbv2 describe-target-groups --names demo-tg",
        ),
        (
            "ec2",
            "DescribeNatGateways",
            {"Filters": [{"Name": "vpc-id", "Values": ["vpc-1"]}]},
            """aws ec2 describe-nat-gateways --filters '[{"Name":"vpc-id","Values":["vpc-1"]}]'""",
        ),
    ],
)
def test_cli_commands(service: str, name: str, params: dict, expected: str) -> None:
    assert command(service, operation(service, name), params) == expected


def test_whole_request_documents_go_through_cli_input_json() -> None:
    params = {
        "TableName": "t",
        "KeySchema": [{"AttributeName": "Id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "Id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    sent = extract("dynamodb", "CreateTable", params)
    said = command(
        "dynamodb", operation("dynamodb", "CreateTable"), params, sent.files, sent.whole_request
    )
    assert said == "aws dynamodb create-table --cli-input-json file://table-definition.json"
    assert json.loads(sent.documents[0].content) == params


def test_shorthand_only_where_the_cli_reads_it_back_unchanged() -> None:
    assert (
        shorthand([{"Key": "project", "Value": "mythical-mysfits"}])
        == "Key=project,Value=mythical-mysfits"
    )
    assert shorthand({"scanOnPush": True}) == "scanOnPush=true"
    assert shorthand([{"Key": "note", "Value": "a, b"}]) is None
    assert shorthand([{"Name": "x", "Values": ["a"]}]) is None


# -- documents ------------------------------------------------------------------------------------


def test_role_documents_are_named_after_the_role() -> None:
    sent = extract(
        "iam",
        "PutRolePolicy",
        {"RoleName": "demo-codebuild", "PolicyName": "build", "PolicyDocument": POLICY},
    )
    assert [d.filename for d in sent.documents] == ["demo-codebuild-build.json"]
    assert sent.files == {"PolicyDocument": "demo-codebuild-build.json"}


def test_a_stack_shows_its_template_and_what_each_part_is_for() -> None:
    body = (ROOT / "lib" / "mysfits" / "templates" / "core.yml").read_text()
    sent = extract(
        "cloudformation", "CreateStack", {"StackName": "demo-core", "TemplateBody": body}
    )
    excerpt, template = sent.documents
    assert (
        template.filename == "demo-core.yml"
        and template.content == body
        and template.language == "yaml"
    )
    assert excerpt.filename == "demo-core.yml (excerpt)"
    lines = excerpt.content.splitlines()
    assert any(
        line.split()[:2] == ["NatGatewayTwo", "AWS::EC2::NatGateway"]
        and "[only if TwoNatGateways]" in line
        for line in lines
    )
    assert any("TaskRole" in line and "read and update" in line for line in lines)
    assert "outputs (what later steps read):" in lines


def test_show_document_pretty_prints_and_reads_files(tmp_path: Path) -> None:
    shown = show_document("The bucket policy", json.loads(POLICY))
    assert '"Version": "2012-10-17"' in str(shown) and "<details open>" in shown._repr_html_()
    spec = tmp_path / "buildspec.yml"
    spec.write_text("version: 0.2\nphases: {}\n")
    from_file = show_document("The buildspec", spec)
    assert from_file.document.filename == "buildspec.yml" and "phases" in str(from_file)


# -- rendering ------------------------------------------------------------------------------------


def _call(
    operation_name: str = "DescribeServices", status: int = 200, error: str = "", **params: object
) -> ApiCall:
    return ApiCall(
        "ecs",
        operation_name,
        dict(params),
        status,
        error,
        "2024-05-01T12:00:00.000+00:00",
        2.0,
        "us-east-1",
        cli=f"aws ecs {operation_name.lower()}",
    )


def test_html_is_a_collapsed_table_with_repeats_folded() -> None:
    calls = [_call(cluster="c")] * 3 + [
        _call("CreateService", 400, "InvalidParameterException", serviceName="<s>")
    ]
    page = CallLog("Create the service", calls, endpoint_url="http://127.0.0.1:4747")._repr_html_()
    assert page.startswith("<details><summary>") and "<details open" not in page
    assert page.count("<tr") == 3  # header, the folded poll, the failed create
    assert "DescribeServices</b> ×3" in page and "serviceName=&lt;s&gt;" in page
    assert "export AWS_ENDPOINT_URL=http://127.0.0.1:4747" in page
    assert "aws ecs describeservices  # 3 times" in page
    assert "answered 400 InvalidParameterException" in page


def test_plain_text_for_headless_runs() -> None:
    text = str(CallLog("Poll", [_call(cluster="c")] * 2))
    assert text.splitlines()[0] == "AWS API calls: Poll (2 calls of 1 operations, 0.00 s)"
    assert "ecs:DescribeServices" in text and "×2" in text and "cluster=c" in text


def test_the_json_in_a_notebook_output_reads_back() -> None:
    log = CallLog("Poll", [_call(cluster="c"), _call("ListServices")])
    bundle = log._repr_mimebundle_()
    output = new_output("display_data", data={API_CALLS_MIME_TYPE: bundle[API_CALLS_MIME_TYPE]})
    assert [c.name for c in calls_in_outputs([output])] == [
        "ecs:DescribeServices",
        "ecs:ListServices",
    ]
    assert log.operations == ["ecs:DescribeServices", "ecs:ListServices"]


def test_a_recorder_without_a_log_file_keeps_calls_in_memory_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MYSFITS_API_CALLS_LOG", raising=False)
    recorder = CallRecorder()
    recorder.record(_call())
    assert recorder.log_path is None and len(recorder.table().calls) == 1


def test_reads_keep_their_filters_on_the_command_line() -> None:
    filters = [
        {"Name": "vpc-id", "Values": ["vpc-0123456789abcdef0"]},
        {"Name": "state", "Values": ["available"]},
    ]
    assert extract("ec2", "DescribeNatGateways", {"Filters": filters}).documents == ()


def test_a_whole_request_document_keeps_the_table_row_short() -> None:
    params = {"family": "f", "cpu": "256", "containerDefinitions": [{"name": "app", "image": "i"}]}
    sent = extract("ecs", "RegisterTaskDefinition", params)
    call = ApiCall(
        "ecs",
        "RegisterTaskDefinition",
        params,
        200,
        "",
        "2024-05-01T12:00:00.000+00:00",
        1.0,
        "us-east-1",
        documents=sent.documents,
        files=sent.files,
    )
    assert key_parameters(call) == "family=f, cpu=256, … all in file://task-definition.json"


def test_anonymous_calls_are_marked_and_tools_get_documents_by_name() -> None:
    anonymous = ApiCall(
        "s3",
        "GetObject",
        {"Bucket": "b", "Key": "k"},
        403,
        "AccessDenied",
        "2024-05-01T12:00:00.000+00:00",
        1.0,
        "us-east-1",
        signed=False,
    )
    sent = extract("s3", "PutBucketPolicy", {"Bucket": "b", "Policy": POLICY})
    policy = ApiCall(
        "s3",
        "PutBucketPolicy",
        {"Bucket": "b", "Policy": POLICY},
        200,
        "",
        "2024-05-01T12:00:00.000+00:00",
        1.0,
        "us-east-1",
        documents=sent.documents,
        files=sent.files,
    )
    log = CallLog("Public read", [anonymous, policy])
    assert "GetObject (anonymous)" in log._repr_html_() and "s3:GetObject (anonymous)" in str(log)
    (shown,) = log.as_json()["calls"][1]["documents"]
    assert shown == {
        "filename": "bucket-policy.json",
        "title": "the bucket policy of b (PutBucketPolicy)",
        "content": "",
        "language": "json",
    }


def test_an_inline_buildspec_is_shown_and_a_path_is_not() -> None:
    inline = {
        "name": "p",
        "source": {"type": "CODEPIPELINE", "buildspec": "version: 0.2\nphases: {}\n"},
    }
    by_path = {
        "name": "p",
        "source": {"type": "CODEPIPELINE", "buildspec": "service/buildspec.yml"},
    }
    shown = [d.filename for d in extract("codebuild", "CreateProject", inline).documents]
    assert shown == ["build-project.json", "buildspec.yml"]
    assert [d.filename for d in extract("codebuild", "CreateProject", by_path).documents] == [
        "build-project.json"
    ]
