"""Module 5: the click stream (API Gateway -> Firehose -> Lambda -> S3), streaming/template.yml.

Deploying does what `sam package` and `sam deploy` do: the click processor is zipped and uploaded
to the code bucket (`sampackage`), the template goes through a change set the notebook shows
(`changesets`), and the stack's events stream while it runs. The SAM CLI is not needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import buckets, changesets, paths, sampackage, stacks
from .changesets import ChangeSetPlan
from .checks import Check
from .errors import ResourceNotFound
from .idioms import delete_if_present
from .inventory import Family, Leftover
from .parameters import InvalidParameters, require_count
from .workshop import Workshop

COMPRESSIONS = ("UNCOMPRESSED", "GZIP")
CODE_PREFIX = "click-processor/"


@dataclass(frozen=True)
class ClickStream:
    """The deployed click stream, from the stack's outputs."""

    stack_name: str
    clicks_url: str  # the AWS URL of POST /clicks (ws.url maps it to where it is reachable)
    api_id: str
    stage: str
    stream_name: str
    stream_arn: str
    bucket: str
    function_name: str
    log_group: str


@dataclass(frozen=True)
class Deployment:
    """What one deployment did: the code it packaged, the change set it ran, the stream."""

    package: sampackage.PackagedTemplate
    plan: ChangeSetPlan
    stream: ClickStream


def template_path() -> Path:
    return paths.streaming_dir() / "template.yml"


def stack_parameters(
    ws: Workshop,
    buffer_interval: int = 60,
    processor_buffer_interval: int = 60,
    compression: str = "UNCOMPRESSED",
) -> dict[str, str]:
    """The template's parameters; bad knobs raise InvalidParameters before anything is made."""
    require_count("buffer_interval", buffer_interval)
    require_count("processor_buffer_interval", processor_buffer_interval)
    if compression not in COMPRESSIONS:
        raise InvalidParameters(
            f"compression={compression!r}: use one of {', '.join(COMPRESSIONS)}"
        )
    return {
        "Prefix": ws.prefix,
        "MysfitsTable": ws.names.table,
        "BufferIntervalSeconds": str(buffer_interval),
        "ProcessorBufferIntervalSeconds": str(processor_buffer_interval),
        "Compression": compression,
    }


def ensure_code_bucket(ws: Workshop) -> str:
    """The bucket deployment packages go to: created if absent, private (Block Public Access)."""
    name = ws.names.code_bucket
    buckets.create_bucket(ws, name)
    s3 = ws.client("s3")
    s3.put_public_access_block(
        Bucket=name, PublicAccessBlockConfiguration=dict(buckets.ALL_BLOCKED)
    )
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": ws.tag_list()})
    return name


def plan_click_stream(
    ws: Workshop, **knobs: object
) -> tuple[sampackage.PackagedTemplate, ChangeSetPlan]:
    """Package the processor and make the change set that deploys it (not run yet)."""
    parameters = stack_parameters(ws, **knobs)  # type: ignore[arg-type]
    bucket = ensure_code_bucket(ws)
    packaged = sampackage.package(ws, template_path(), bucket, key_prefix=CODE_PREFIX)
    planned = changesets.plan(ws, ws.names.streaming_stack, packaged.body, parameters)
    return packaged, planned


def ensure_click_stream(ws: Workshop, **knobs: object) -> Deployment:
    """Package, plan and run the deployment; the stream as deployed (idempotent)."""
    packaged, planned = plan_click_stream(ws, **knobs)
    changesets.execute(ws, planned)
    return Deployment(packaged, planned, click_stream(ws))


def click_stream(ws: Workshop) -> ClickStream:
    """The deployed stream, found by its stack (ResourceNotFound: run notebook 05 first)."""
    name = ws.names.streaming_stack
    stack = stacks.describe(ws, name)
    if stack is None or not stacks.succeeded(stack):
        raise ResourceNotFound(f"no deployed stack {name}: run notebook 05 (deploy step) first")
    out = stacks.outputs(stack)
    return ClickStream(
        stack_name=name,
        clicks_url=out["ClicksUrl"],
        api_id=out["ApiId"],
        stage=out["StageName"],
        stream_name=out["StreamName"],
        stream_arn=out["StreamArn"],
        bucket=out["BucketName"],
        function_name=out["FunctionName"],
        log_group=out["LogGroupName"],
    )


def _processor_arns(described: dict[str, Any]) -> list[str]:
    """The Lambda ARNs a described delivery stream transforms its records with."""
    destination = described["Destinations"][0].get("ExtendedS3DestinationDescription", {})
    processors = destination.get("ProcessingConfiguration", {}).get("Processors", [])
    return [
        p["ParameterValue"]
        for processor in processors
        for p in processor.get("Parameters", [])
        if p["ParameterName"] == "LambdaArn"
    ]


def _bucket_facts(ws: Workshop, bucket: str) -> tuple[str, bool]:
    """The bucket's versioning status and whether all four Block Public Access settings are on."""
    s3 = ws.client("s3")
    versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status", "off")
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    return versioning, all(block.values()) and len(block) == 4


def check_click_stream(ws: Workshop, stream: ClickStream) -> Check:
    """The processor runs python3.12, the stream is ACTIVE and transforms with it, and the bucket
    is versioned with every Block Public Access setting on."""
    function = ws.client("lambda").get_function_configuration(FunctionName=stream.function_name)
    described = ws.client("firehose").describe_delivery_stream(
        DeliveryStreamName=stream.stream_name
    )["DeliveryStreamDescription"]
    lambdas = _processor_arns(described)
    versioning, blocked = _bucket_facts(ws, stream.bucket)
    ok = (
        function["Runtime"] == "python3.12"
        and described["DeliveryStreamStatus"] == "ACTIVE"
        and any(arn.split(":")[6] == stream.function_name for arn in lambdas)
        and versioning == "Enabled"
        and blocked
    )
    evidence = (
        f"runtime: {function['Runtime']}; stream: {described['DeliveryStreamStatus']}; "
        f"processor: {', '.join(lambdas) or 'none'}; versioning: {versioning}; "
        f"public access blocked: {blocked}"
    )
    return Check("click stream deployed as the template says", ok, evidence)


# -- cleanup: the stack (with the clicks bucket, emptied first), the code bucket, log groups -----


def delete_stream_stack(ws: Workshop) -> bool:
    """Empty the clicks bucket (every version), delete the stack; False if there was none.

    Firehose may flush one last object while the stack goes; the bucket then refuses to go
    (BucketNotEmpty) and is emptied again for a second attempt.
    """
    name = ws.names.streaming_stack
    if stacks.describe(ws, name) is None:
        return False
    for attempt in range(2):
        _empty(ws, ws.names.clicks_bucket)
        try:
            return stacks.delete_stack(ws, name)
        except stacks.StackFailed:
            if attempt:
                raise
    return True


def _empty(ws: Workshop, bucket: str) -> None:
    s3 = ws.client("s3")
    delete_if_present(lambda: buckets.empty_bucket(s3, bucket), "NoSuchBucket")


def delete_code_bucket(ws: Workshop) -> bool:
    """Empty (every version) and delete the code bucket; False if it was gone."""
    return buckets.delete_site_bucket(ws, ws.names.code_bucket)


def log_groups(ws: Workshop) -> list[str]:
    """The log groups the click stream writes to (Lambda recreates its group if it logs after
    the stack went; Firehose's is made when its error logging is turned on)."""
    names = [
        f"/aws/lambda/{ws.names.click_processor}",
        f"/aws/kinesisfirehose/{ws.names.click_stream}",
    ]
    logs = ws.client("logs")
    found = []
    for name in names:
        groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        found += [g["logGroupName"] for g in groups if g["logGroupName"] == name]
    return found


def delete_log_groups(ws: Workshop) -> list[str]:
    """Delete the click stream's log groups; the names deleted."""
    logs = ws.client("logs")

    def delete(name: str) -> bool:
        return delete_if_present(
            lambda: logs.delete_log_group(logGroupName=name), "ResourceNotFoundException"
        )

    return [name for name in log_groups(ws) if delete(name)]


def leftovers(ws: Workshop) -> Iterator[Leftover]:
    """The log groups. The stack is listed with every stack tagged for the prefix (`network`),
    the buckets with every bucket of the prefix (`buckets`).

    Idle, nothing here bills by the hour: API Gateway, Firehose and Lambda bill per request or
    per GB, S3 and CloudWatch Logs per GB stored.
    """
    yield from (Leftover("log group", name) for name in log_groups(ws))


CLEANUP = Family(
    leftovers,
    steps=(
        ("click stream stack", delete_stream_stack),
        ("click stream code bucket", delete_code_bucket),
        ("click stream log groups", delete_log_groups),
    ),
)
