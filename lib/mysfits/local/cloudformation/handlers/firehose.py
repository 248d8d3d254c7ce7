"""AWS::KinesisFirehose::DeliveryStream through the Firehose API.

AWS behaviour restored: a stack creates its delivery streams (moto 5.2.5 has no CloudFormation
model for them: it skipped the resource, and a GetAtt on it failed the request). The template's
properties are CreateDeliveryStream's parameters (numbers from parameters converted, as
CloudFormation converts them); a change to the destination is an UpdateDestination (the stream
keeps its name and its buffered records, its destination version goes up), a change to the tags
retags it, and a new name, type or source replaces the stream. `Fn::GetAtt Stream.Arn` is its ARN.
"""

from __future__ import annotations

from typing import Any

from ..registry import Context, Created, ResourceType, absent_ok
from ..shapes import request

_GONE = "ResourceNotFoundException"
# Template destination property -> UpdateDestination parameter.
_UPDATES = {
    "ExtendedS3DestinationConfiguration": "ExtendedS3DestinationUpdate",
    "S3DestinationConfiguration": "S3DestinationUpdate",
    "HttpEndpointDestinationConfiguration": "HttpEndpointDestinationUpdate",
}


class DeliveryStream(ResourceType):
    type_name = "AWS::KinesisFirehose::DeliveryStream"
    name_property = "DeliveryStreamName"
    attribute_names = frozenset({"Arn"})
    replacing = frozenset(
        {"DeliveryStreamType", "KinesisStreamSourceConfiguration", "MSKSourceConfiguration"}
    )

    def replaces(self, before: dict[str, Any], after: dict[str, Any]) -> bool:
        # a destination of another kind cannot be reached by UpdateDestination
        kinds = {key for key in before.keys() | after.keys() if key.endswith("Configuration")}
        moved = any((key in before) != (key in after) for key in kinds)
        return moved or super().replaces(before, after)

    def create(self, ctx: Context, name: str, properties: dict[str, Any]) -> Created:
        firehose = ctx.client("firehose")
        params = {**properties, "DeliveryStreamName": name}
        params.setdefault("DeliveryStreamType", "DirectPut")
        arn = firehose.create_delivery_stream(**request(firehose, "CreateDeliveryStream", params))[
            "DeliveryStreamARN"
        ]
        return Created(name, properties, {"Arn": arn})

    def update(self, ctx: Context, model: Created, properties: dict[str, Any]) -> Created:
        firehose, name = ctx.client("firehose"), model.physical_resource_id
        for key, update_key in _UPDATES.items():
            if key in properties and properties[key] != model.properties.get(key):
                self._update_destination(firehose, name, update_key, properties[key])
        self._retag(firehose, name, model.properties.get("Tags"), properties.get("Tags"))
        model.properties = properties
        return model

    def _update_destination(
        self, firehose: Any, name: str, update_key: str, destination: dict[str, Any]
    ) -> None:
        described = firehose.describe_delivery_stream(DeliveryStreamName=name)
        stream = described["DeliveryStreamDescription"]
        allowed = firehose.meta.service_model.shape_for(update_key)
        params = {
            "DeliveryStreamName": name,
            "CurrentDeliveryStreamVersionId": stream["VersionId"],
            "DestinationId": stream["Destinations"][0]["DestinationId"],
            update_key: {k: v for k, v in destination.items() if k in allowed.members},
        }
        firehose.update_destination(**request(firehose, "UpdateDestination", params))

    def _retag(self, firehose: Any, name: str, old: Any, new: Any) -> None:
        wanted = {tag["Key"]: tag["Value"] for tag in new or []}
        if gone := [tag["Key"] for tag in old or [] if tag["Key"] not in wanted]:
            firehose.untag_delivery_stream(DeliveryStreamName=name, TagKeys=gone)
        if wanted:
            firehose.tag_delivery_stream(DeliveryStreamName=name, Tags=new)

    def delete(self, ctx: Context, model: Created) -> None:
        firehose, name = ctx.client("firehose"), model.physical_resource_id
        absent_ok(lambda: firehose.delete_delivery_stream(DeliveryStreamName=name), _GONE)
