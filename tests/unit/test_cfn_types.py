"""The local CloudFormation's resource-type registry, value conversion, SAM transform and change
sets, without a cloud (mysfits.local.cloudformation.registry, shapes, sam, changesets)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException, ValidationError

from mysfits.local.cloudformation import changes, changesets, sam, shapes
from mysfits.local.cloudformation.deletes import ResourceDeletes
from mysfits.local.cloudformation.events import AwsWordedError
from mysfits.local.cloudformation.handlers import builtin_handlers
from mysfits.local.cloudformation.registry import (
    Context,
    Created,
    ResourceType,
    ResourceTypes,
)
from mysfits.local.core.loopback import LoopbackClients

SAM_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: s3://code/app.zip
      Handler: app.handler
      Runtime: python3.12
"""


class Recorder(ResourceType):
    type_name = "Test::Thing::Widget"
    name_property = "WidgetName"
    attribute_names = frozenset({"Arn"})
    replacing = frozenset({"Colour"})

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def create(self, ctx: Context, name: str, properties: dict[str, Any]) -> Created:
        self.calls.append(("create", (ctx.account_id, ctx.region, name)))
        return Created(name, properties, {"Arn": f"arn:widget:{name}"})

    def update(self, ctx: Context, model: Created, properties: dict[str, Any]) -> Created:
        self.calls.append(("update", properties))
        return model

    def delete(self, ctx: Context, model: Created) -> None:
        self.calls.append(("delete", model.physical_resource_id))


def moto_lookup(resource_type: str) -> Any:
    return {"AWS::SQS::Queue": "moto's queue class"}.get(resource_type)


@pytest.fixture
def registry() -> tuple[ResourceTypes, ResourceDeletes, Recorder]:
    deletes, recorder = ResourceDeletes(), Recorder()
    types = ResourceTypes(LoopbackClients("http://127.0.0.1:9"), deletes)
    types.register(recorder)
    return types, deletes, recorder


def test_a_registered_type_is_created_updated_and_deleted_by_its_handler(
    registry: tuple[ResourceTypes, ResourceDeletes, Recorder],
) -> None:
    types, deletes, recorder = registry
    handled = types.lookup(moto_lookup)("Test::Thing::Widget")
    model = handled.create_from_cloudformation_json(
        "generated-name", {"Properties": {"WidgetName": "w1"}}, "123456789012", "eu-west-1"
    )
    assert model.physical_resource_id == "w1"  # the name property wins over the generated name
    assert model.get_cfn_attribute("Arn") == "arn:widget:w1"
    with pytest.raises(UnformattedGetAttTemplateException):
        model.get_cfn_attribute("Colour")
    handled.update_from_cloudformation_json(model, "x", {"Properties": {"A": 1}}, "1", "r")
    assert handled.has_cfn_attr("Arn") and not handled.has_cfn_attr("Colour")
    deletes.delete(_FakeMap(), model, {"Type": "Test::Thing::Widget"})
    assert [call[0] for call in recorder.calls] == ["create", "update", "delete"]
    assert recorder.calls[0][1] == ("123456789012", "eu-west-1", "w1")


class _FakeMap:
    _account_id, _region_name = "123456789012", "eu-west-1"


def test_a_handler_decides_what_replaces_the_resource(
    registry: tuple[ResourceTypes, ResourceDeletes, Recorder],
) -> None:
    handled = registry[0].lookup(moto_lookup)("Test::Thing::Widget")
    assert handled.requires_replacement({"Colour": "red"}, {"Colour": "blue"})
    assert handled.requires_replacement({"WidgetName": "a"}, {"WidgetName": "b"})
    assert not handled.requires_replacement(
        {"Size": 1, "Colour": "red"}, {"Size": 2, "Colour": "red"}
    )


def test_moto_types_stay_moto_and_null_models_stay_none(
    registry: tuple[ResourceTypes, ResourceDeletes, Recorder],
) -> None:
    lookup = registry[0].lookup(moto_lookup)
    assert lookup("AWS::SQS::Queue") == "moto's queue class"
    assert lookup("AWS::CloudFormation::WaitConditionHandle") is None


def test_a_type_nothing_creates_fails_naming_the_type(
    registry: tuple[ResourceTypes, ResourceDeletes, Recorder],
) -> None:
    unsupported = registry[0].lookup(moto_lookup)("AWS::Foo::Bar")
    assert unsupported.has_cfn_attr("Anything")  # the template still loads
    with pytest.raises(AwsWordedError, match=r"Resource type AWS::Foo::Bar is not supported"):
        unsupported.create_from_cloudformation_json("n", {"Properties": {}}, "1", "r")


def test_a_type_registers_once(registry: tuple[ResourceTypes, ResourceDeletes, Recorder]) -> None:
    with pytest.raises(ValueError, match="Test::Thing::Widget is already registered"):
        registry[0].register(Recorder())


def test_the_builtin_handlers_cover_the_click_stream_types() -> None:
    deletes = ResourceDeletes()
    types = ResourceTypes(LoopbackClients("http://127.0.0.1:9"), deletes)
    types.register_all(builtin_handlers())
    assert set(types.types()) == {
        "AWS::S3::Bucket",
        "AWS::IAM::Role",
        "AWS::Logs::LogGroup",
        "AWS::Lambda::Permission",
        "AWS::KinesisFirehose::DeliveryStream",
        "AWS::ApiGateway::RestApi",
        "AWS::ApiGateway::Resource",
        "AWS::ApiGateway::Model",
        "AWS::ApiGateway::RequestValidator",
        "AWS::ApiGateway::GatewayResponse",
        "AWS::ApiGateway::Method",
        "AWS::ApiGateway::Deployment",
        "AWS::ApiGateway::Stage",
    }
    # Buckets keep the delete that refuses a non-empty bucket; roles keep moto's.
    assert "AWS::IAM::Role" not in deletes.types() and "AWS::Logs::LogGroup" in deletes.types()


def test_parameter_values_take_the_types_the_api_wants() -> None:
    firehose = boto3.session.Session(region_name="us-east-1").client("firehose")
    converted = shapes.request(
        firehose,
        "CreateDeliveryStream",
        {
            "DeliveryStreamName": "s",
            "ExtendedS3DestinationConfiguration": {
                "BufferingHints": {"IntervalInSeconds": "60", "SizeInMBs": "5"},
                "ProcessingConfiguration": {
                    "Enabled": "true",
                    "Processors": [
                        {
                            "Type": "Lambda",
                            "Parameters": [
                                {"ParameterName": "NumberOfRetries", "ParameterValue": 3}
                            ],
                        }
                    ],
                },
            },
        },
    )
    destination = converted["ExtendedS3DestinationConfiguration"]
    assert destination["BufferingHints"] == {"IntervalInSeconds": 60, "SizeInMBs": 5}
    assert destination["ProcessingConfiguration"]["Enabled"] is True
    parameter = destination["ProcessingConfiguration"]["Processors"][0]["Parameters"][0]
    assert parameter["ParameterValue"] == "3"  # moto's number for a Number parameter
    assert shapes.request(firehose, "DeleteDeliveryStream", {"DeliveryStreamName": 7}) == {
        "DeliveryStreamName": "7"
    }


def test_a_value_that_is_not_a_number_is_left_for_boto3_to_refuse() -> None:
    firehose = boto3.session.Session(region_name="us-east-1").client("firehose")
    hints = shapes.request(
        firehose,
        "CreateDeliveryStream",
        {"ExtendedS3DestinationConfiguration": {"BufferingHints": {"SizeInMBs": "five"}}},
    )
    assert hints["ExtendedS3DestinationConfiguration"]["BufferingHints"]["SizeInMBs"] == "five"


@pytest.mark.parametrize(
    ("template", "declared"),
    [
        (SAM_TEMPLATE, True),
        ("Transform: [AWS::Serverless-2016-10-31]\nResources: {}", True),
        ("Transform: AWS::Include\nResources: {}", False),
        ("Resources: {}", False),
        ('{"Transform": "AWS::Serverless-2016-10-31", "Resources": {}}', True),
    ],
)
def test_which_templates_declare_the_sam_transform(template: str, declared: bool) -> None:
    assert sam.declares_sam(template) is declared


def test_the_transform_expands_serverless_resources() -> None:
    processed = json.loads(sam.expand(SAM_TEMPLATE, {}, "123456789012", "eu-west-1"))
    assert "Transform" not in processed
    types = {r["Type"] for r in processed["Resources"].values()}
    assert types == {"AWS::Lambda::Function", "AWS::IAM::Role"}  # SAM made the role
    role = processed["Resources"]["FnRole"]["Properties"]
    assert role["ManagedPolicyArns"] == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    ]


def test_a_template_the_transform_refuses_fails_with_its_reasons() -> None:
    broken = SAM_TEMPLATE.replace("CodeUri: s3://code/app.zip", "CodeUri: 7")
    with pytest.raises(ValidationError) as refused:
        sam.expand(broken, {}, "123456789012", "eu-west-1")
    message = refused.value.message
    assert message.startswith("Transform AWS::Serverless-2016-10-31 failed with: ")
    assert "[Fn]" in message


def test_a_change_set_names_the_parameters_it_changes() -> None:
    template = {"Parameters": {"A": {"Type": "String", "Default": "a"}, "B": {"Type": "Number"}}}
    assert changesets._changed_parameters({"A": "a", "B": 1}, template, {"B": "1"}) == set()
    assert changesets._changed_parameters({"A": "x", "B": 1}, template, {"B": "2"}) == {"A", "B"}


def test_replacement_as_a_change_set_shows_it(monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "a"}}
    renamed = {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "b"}}
    tagged = {**bucket, "Properties": {"BucketName": "a", "Tags": [{"Key": "k", "Value": "v"}]}}
    types = ResourceTypes(LoopbackClients("http://127.0.0.1:9"), ResourceDeletes())
    types.register_all(builtin_handlers())
    lookup = types.lookup(parsing.resource_class_from_type)
    monkeypatch.setattr(parsing, "resource_class_from_type", lookup)
    assert changesets._replacement(bucket, bucket) == "Conditional"
    assert changesets._replacement(bucket, renamed) == "True"
    assert changesets._replacement(bucket, tagged) == "False"
    assert changes.replaces("AWS::Foo::Bar", {}, {"A": 1})  # nothing can update it


class _RecordingApiGateway:
    """Stands in for the API Gateway client: records each call a handler makes."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._real = boto3.client("apigateway", region_name="us-east-1")

    def __getattr__(self, action: str) -> Any:
        getattr(self._real, action)  # only actions boto3's model has
        return lambda **kwargs: self.calls.append((action, kwargs))


@pytest.mark.parametrize(
    ("update", "delete", "key"),
    [
        ("update_resource", "delete_resource", "resourceId"),
        ("update_model", "delete_model", "modelName"),
        ("update_request_validator", "delete_request_validator", "requestValidatorId"),
        ("update_stage", "delete_stage", "stageName"),
    ],
)
def test_api_children_are_patched_and_deleted_by_their_own_ids(
    update: str, delete: str, key: str
) -> None:
    from mysfits.local.cloudformation.handlers.apigateway import delete_child, send_patches

    client = _RecordingApiGateway()
    loopback = LoopbackClients("http://127.0.0.1:9")
    loopback.client = lambda service, region: client  # type: ignore[method-assign]
    ctx = Context("123456789012", "us-east-1", loopback)
    model = Created("child-1", {}, ids={"api": "api-1"})
    operations = [{"op": "replace", "path": "/description", "value": "new"}]
    send_patches(ctx, model, update, key, [])
    send_patches(ctx, model, update, key, operations)
    delete_child(ctx, model, delete, key)
    assert client.calls == [
        (update, {"restApiId": "api-1", key: "child-1", "patchOperations": operations}),
        (delete, {"restApiId": "api-1", key: "child-1"}),
    ]
