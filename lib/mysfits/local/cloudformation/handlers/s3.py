"""AWS::S3::Bucket through the S3 API.

AWS behaviour restored: a bucket a stack creates is a new bucket like any other (Block Public
Access on, ACLs disabled, as since April 2023), then gets the template's VersioningConfiguration,
PublicAccessBlockConfiguration, BucketEncryption and Tags; changing those updates the bucket in
place, and only a new BucketName replaces it. moto 5.2.5 creates the bucket in its backend (none of
the new-bucket defaults), ignores versioning and the public access block, and on update applies
only encryption and tags. The model kept is moto's bucket, so Ref and every Fn::GetAtt are moto's,
and the stack deletes it as `deletes.delete_bucket` does (a non-empty bucket fails).
"""

from __future__ import annotations

from typing import Any

from moto.s3.models import FakeBucket, s3_backends
from moto.utilities.utils import get_partition

from ..registry import Context, ResourceType
from ..shapes import request


class Bucket(ResourceType):
    type_name = "AWS::S3::Bucket"
    name_property = "BucketName"
    replacing = frozenset({"ObjectLockEnabled"})
    moto_class = FakeBucket

    def create(self, ctx: Context, name: str, properties: dict[str, Any]) -> Any:
        s3 = ctx.client("s3")
        location = {} if ctx.region == "us-east-1" else {
            "CreateBucketConfiguration": {"LocationConstraint": ctx.region}
        }  # fmt: skip
        s3.create_bucket(Bucket=name, **location)
        return self.update(ctx, self._bucket(ctx, name), properties)

    def _bucket(self, ctx: Context, name: str) -> Any:
        return s3_backends[ctx.account_id][get_partition(ctx.region)].get_bucket(name)

    def update(self, ctx: Context, model: Any, properties: dict[str, Any]) -> Any:
        s3, name = ctx.client("s3"), model.name
        if "VersioningConfiguration" in properties:
            s3.put_bucket_versioning(
                Bucket=name, VersioningConfiguration=properties["VersioningConfiguration"]
            )
        if "PublicAccessBlockConfiguration" in properties:
            block = request(s3, "PutPublicAccessBlock", {
                "Bucket": name,
                "PublicAccessBlockConfiguration": properties["PublicAccessBlockConfiguration"],
            })  # fmt: skip
            s3.put_public_access_block(**block)
        if "BucketEncryption" in properties:
            s3.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration={
                    "Rules": properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
                },
            )
        if properties.get("Tags"):
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": properties["Tags"]})
        else:
            s3.delete_bucket_tagging(Bucket=name)
        return model
