"""Module 5's SAM template deployed on the local cloud as on AWS: transformed, every resource
created, updated through a change set, deleted without a trace; a type nothing can create fails
the stack clearly (mysfits.local.cloudformation, mysfits.streaming)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from mysfits import changesets, clicks, database, paths, stacks, streaming
from mysfits.workshop import Workshop

pytestmark = [pytest.mark.integration, pytest.mark.in_order]

UNKNOWN = "00000000-0000-4000-8000-000000000000"
SAM_ONLY = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: s3://nowhere/app.zip
      Handler: app.handler
      Runtime: python3.12
"""


@pytest.fixture(scope="module")
def deployed(local_cloud: dict[str, object]) -> dict[str, Any]:
    """One deployment of the real template for the module's tests (in file order)."""
    import uuid

    import mysfits

    ws = mysfits.connect(
        "local", prefix=f"s{uuid.uuid4().hex[:8]}", endpoint_url=str(local_cloud["endpoint_url"])
    )
    deployment = streaming.ensure_click_stream(ws, buffer_interval=1, processor_buffer_interval=1)
    return {"ws": ws, "deployment": deployment}


def test_the_change_set_adds_every_resource_of_the_transformed_template(
    deployed: dict[str, Any],
) -> None:
    planned = deployed["deployment"].plan
    assert planned.kind == "CREATE"
    table = planned.table()
    assert set(table["action"]) == {"Add"}
    assert "AWS::Lambda::Function" in set(table["type"])  # SAM's function, transformed
    assert len(table) == 17
    (artifact,) = deployed["deployment"].package.artifacts
    assert artifact.function == "ClickProcessor" and artifact.uploaded


def test_every_resource_exists_as_the_template_says(deployed: dict[str, Any]) -> None:
    ws: Workshop = deployed["ws"]
    stream = deployed["deployment"].stream
    assert streaming.check_click_stream(ws, stream)
    function = ws.client("lambda").get_function_configuration(FunctionName=stream.function_name)
    assert (function["Runtime"], function["Handler"]) == ("python3.12", "app.handler")
    assert function["Environment"]["Variables"] == {"MYSFITS_TABLE": ws.names.table}
    groups = ws.client("logs").describe_log_groups(logGroupNamePrefix=stream.log_group)
    assert [g["retentionInDays"] for g in groups["logGroups"]] == [7]
    described = ws.client("firehose").describe_delivery_stream(
        DeliveryStreamName=stream.stream_name
    )["DeliveryStreamDescription"]
    destination = described["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert destination["Prefix"] == "clicks/"
    assert destination["ErrorOutputPrefix"].startswith("!{firehose:error-output-type}/")
    assert destination["BufferingHints"] == {"SizeInMBs": 5, "IntervalInSeconds": 1}
    apigateway = ws.client("apigateway")
    resources = apigateway.get_resources(restApiId=stream.api_id)["items"]
    clicks = next(r for r in resources if r["path"] == "/clicks")
    assert set(clicks["resourceMethods"]) == {"POST", "OPTIONS"}
    method = apigateway.get_method(
        restApiId=stream.api_id, resourceId=clicks["id"], httpMethod="POST"
    )
    assert method["requestModels"] == {"application/json": "Click"}
    assert method["methodIntegration"]["uri"].endswith(":firehose:action/PutRecord")
    assert apigateway.get_stage(restApiId=stream.api_id, stageName="prod")["deploymentId"]
    assert stream.clicks_url == (
        f"https://{stream.api_id}.execute-api.{ws.region}.amazonaws.com/prod/clicks"
    )


def test_the_stack_s_stream_runs_the_stack_s_processor(deployed: dict[str, Any]) -> None:
    """What the stack created is what the Firehose and Lambda data planes run: records put on
    the stream come out enriched by the deployed function, an unknown mysfit under the error
    prefix."""
    ws: Workshop = deployed["ws"]
    stream = deployed["deployment"].stream
    database.seed_table(ws, database.ensure_table(ws))
    known = json.loads(paths.data_file().read_text())["mysfits"][0]
    records = [
        {"clickId": "it-1", "mysfitId": known["mysfitId"], "requestTime": 1_700_000_000_000},
        {"clickId": "it-2", "mysfitId": UNKNOWN, "requestTime": 1_700_000_000_000},
    ]
    firehose = ws.client("firehose")
    for record in records:
        firehose.put_record(
            DeliveryStreamName=stream.stream_name, Record={"Data": json.dumps(record).encode()}
        )
    assert clicks.check_delivered(ws, stream, ["it-1"], timeout=120)
    assert clicks.check_failed(ws, stream, click_ids=["it-2"], timeout=120)
    (enriched,) = [r for d in clicks.delivered(ws, stream) for r in d.records]
    assert enriched["name"] == known["name"] and enriched["requestTime"].startswith("2023-11-14")


def test_the_roles_grant_only_what_each_part_needs(deployed: dict[str, Any]) -> None:
    ws: Workshop = deployed["ws"]
    iam, name = ws.client("iam"), deployed["deployment"].stream.stack_name
    roles = {
        r["RoleName"].split("-")[-2]: r["RoleName"]
        for r in iam.list_roles()["Roles"]
        if r["RoleName"].startswith(f"{name}-")
    }
    processor = iam.get_role_policy(
        RoleName=roles["ClickProcessorRole"], PolicyName="read-mysfits-write-logs"
    )["PolicyDocument"]["Statement"]
    assert processor[0]["Action"] == "dynamodb:BatchGetItem"
    assert processor[0]["Resource"].endswith(f":table/{ws.names.table}")
    api = iam.get_role_policy(RoleName=roles["ApiRole"], PolicyName="put-clicks")
    (statement,) = api["PolicyDocument"]["Statement"]
    assert statement["Action"] == "firehose:PutRecord"
    assert statement["Resource"].endswith(f":deliverystream/{ws.names.click_stream}")


def test_get_template_gives_the_original_and_the_processed_template(
    deployed: dict[str, Any],
) -> None:
    cloudformation = deployed["ws"].client("cloudformation")
    name = deployed["deployment"].stream.stack_name
    original = cloudformation.get_template(StackName=name)
    assert original["StagesAvailable"] == ["Original", "Processed"]
    # botocore parses a JSON template (the packaged one is JSON) into a mapping
    assert original["TemplateBody"]["Transform"] == "AWS::Serverless-2016-10-31"
    resources = original["TemplateBody"]["Resources"]
    assert resources["ClickProcessor"]["Type"] == "AWS::Serverless::Function"
    processed = cloudformation.get_template(StackName=name, TemplateStage="Processed")
    types = {r["Type"] for r in processed["TemplateBody"]["Resources"].values()}
    assert "Transform" not in processed["TemplateBody"]
    assert not any(t.startswith("AWS::Serverless::") for t in types)


def test_an_update_changes_the_stream_in_place(deployed: dict[str, Any]) -> None:
    ws: Workshop = deployed["ws"]
    _, planned = streaming.plan_click_stream(ws, buffer_interval=10, compression="GZIP")
    rows = planned.table().set_index("logical id")
    assert planned.kind == "UPDATE"
    assert rows.loc["ClickStream", "action"] == "Modify"
    assert rows.loc["ClickStream", "replacement"] in ("False", "Conditional")
    changesets.execute(ws, planned)
    described = ws.client("firehose").describe_delivery_stream(
        DeliveryStreamName=ws.names.click_stream
    )["DeliveryStreamDescription"]
    destination = described["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert destination["BufferingHints"]["IntervalInSeconds"] == 10
    assert destination["CompressionFormat"] == "GZIP"
    assert streaming.click_stream(ws).stream_name == ws.names.click_stream


def test_deploying_again_unchanged_changes_nothing(deployed: dict[str, Any]) -> None:
    ws: Workshop = deployed["ws"]
    again = streaming.ensure_click_stream(ws, buffer_interval=10, compression="GZIP")
    assert again.plan.empty
    assert not again.package.artifacts[0].uploaded  # the same zip, already there


def test_cleanup_leaves_nothing_of_the_stream(deployed: dict[str, Any]) -> None:
    ws: Workshop = deployed["ws"]
    for _, step in streaming.CLEANUP.steps:
        step(ws)
    assert stacks.describe(ws, ws.names.streaming_stack) is None
    assert (
        ws.names.click_stream
        not in ws.client("firehose").list_delivery_streams()["DeliveryStreamNames"]
    )
    functions = ws.client("lambda").list_functions()["Functions"]
    assert ws.names.click_processor not in {f["FunctionName"] for f in functions}
    apis = ws.client("apigateway").get_rest_apis()["items"]
    assert ws.names.click_stream not in {a["name"] for a in apis}
    names = {b["Name"] for b in ws.client("s3").list_buckets()["Buckets"]}
    assert not {ws.names.clicks_bucket, ws.names.code_bucket} & names
    roles = {r["RoleName"] for r in ws.client("iam").list_roles()["Roles"]}
    assert not any(r.startswith(f"{ws.names.streaming_stack}-") for r in roles)
    assert streaming.log_groups(ws) == []
    assert list(streaming.leftovers(ws)) == []


def test_a_type_nothing_can_create_fails_the_stack_naming_it(ws: Workshop) -> None:
    cloudformation, name = ws.client("cloudformation"), f"{ws.prefix}-unknown"
    template = "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n  Odd:\n    Type: AWS::Foo::Bar\n"
    cloudformation.create_stack(StackName=name, TemplateBody=template)
    stack = stacks.settle(ws, name, "the stack")
    assert stack is not None and stack["StackStatus"] == "ROLLBACK_COMPLETE"
    events = cloudformation.describe_stack_events(StackName=name)["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert [e["LogicalResourceId"] for e in failed] == ["Odd"]
    assert "Resource type AWS::Foo::Bar is not supported" in failed[0]["ResourceStatusReason"]
    assert "Odd: Resource type AWS::Foo::Bar" in stacks.failure_reasons(ws, name)
    reasons = [e.get("ResourceStatusReason", "") for e in events]
    assert any("failed to create: [Odd]. Rollback requested by user." in r for r in reasons)
    stacks.delete_stack(ws, name)


def test_create_stack_with_the_transform_needs_auto_expand(ws: Workshop) -> None:
    with pytest.raises(ClientError) as refused:
        ws.client("cloudformation").create_stack(
            StackName=f"{ws.prefix}-sam", TemplateBody=SAM_ONLY, Capabilities=["CAPABILITY_IAM"]
        )
    assert refused.value.response["Error"]["Code"] == "InsufficientCapabilitiesException"
    assert "CAPABILITY_AUTO_EXPAND" in refused.value.response["Error"]["Message"]
