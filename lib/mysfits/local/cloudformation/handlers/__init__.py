"""The resource types this package creates, updates and deletes itself (see `registry`).

Each module states what moto 5.2.5 does with its types and what AWS does instead.
"""

from __future__ import annotations

from ..registry import ResourceType
from .apigateway import GatewayResponse, Model, RequestValidator, Resource, RestApi
from .apimethods import Method
from .apistages import Deployment, Stage
from .firehose import DeliveryStream
from .iam import Role
from .lambda_ import Permission
from .logs import LogGroup
from .s3 import Bucket


def builtin_handlers() -> list[ResourceType]:
    """One handler of each type the workshop's templates use that moto does not do as AWS does."""
    return [
        Bucket(),
        Role(),
        LogGroup(),
        Permission(),
        DeliveryStream(),
        RestApi(),
        Resource(),
        Model(),
        RequestValidator(),
        GatewayResponse(),
        Method(),
        Deployment(),
        Stage(),
    ]
