"""A delivery stream's S3 destination as the data plane needs it, with AWS's defaults and limits.

Defaults (botocore's Firehose model and the developer guide): destination BufferingHints
5 MiB / 300 s (SizeInMBs 1-128, IntervalInSeconds 0-900); CompressionFormat UNCOMPRESSED;
a Lambda processor's BufferSizeInMBs 1 (0.2-3), BufferIntervalInSeconds 60 (0-900) and
NumberOfRetries 3 (0-300). GZIP objects get the `.gz` extension unless FileExtension says
otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .buffering import Hints
from .prefixes import effective_prefixes

DESTINATION_DEFAULTS = {"SizeInMBs": 5, "IntervalInSeconds": 300}
DESTINATION_LIMITS = {"SizeInMBs": (1, 128), "IntervalInSeconds": (0, 900)}
PROCESSOR_DEFAULTS = {"BufferSizeInMBs": 1.0, "BufferIntervalInSeconds": 60, "NumberOfRetries": 3}
PROCESSOR_LIMITS = {
    "BufferSizeInMBs": (0.2, 3),
    "BufferIntervalInSeconds": (0, 900),
    "NumberOfRetries": (0, 300),
}
EXTENSIONS = {"GZIP": ".gz", "UNCOMPRESSED": ""}


class InvalidConfiguration(ValueError):
    """A destination Firehose refuses; `code` is the AWS error code to answer with."""

    def __init__(self, message: str, code: str = "InvalidArgumentException"):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Processor:
    """A Lambda processor: its function, its retries and its own buffering."""

    lambda_arn: str
    retries: int
    hints: Hints


@dataclass(frozen=True)
class DeliveryConfig:
    """What delivering one stream's records to S3 needs, at one version of the stream."""

    stream: str
    stream_arn: str
    region: str
    version: str
    bucket: str
    prefix: str
    error_prefix: str
    compression: str
    extension: str
    hints: Hints
    processor: Processor | None


def check_destination(destination: dict[str, Any]) -> None:
    """Refuse an (Extended)S3 destination configuration AWS refuses; raises InvalidConfiguration."""
    hints = destination.get("BufferingHints") or {}
    for name, (low, high) in DESTINATION_LIMITS.items():
        value = hints.get(name)
        if value is not None and not low <= value <= high:
            raise InvalidConfiguration(
                f"1 validation error detected: Value '{value}' at 'bufferingHints.{name}' failed "
                f"to satisfy constraint: Member must be between {low} and {high}",
                "ValidationException",
            )
    compression = destination.get("CompressionFormat") or "UNCOMPRESSED"
    if compression not in EXTENSIONS:
        raise InvalidConfiguration(
            f"CompressionFormat {compression} is not supported by the local cloud: use GZIP or "
            "UNCOMPRESSED"
        )
    try:
        effective_prefixes(
            destination.get("Prefix") or "", destination.get("ErrorOutputPrefix") or ""
        )
        processor_parameters(destination)
    except ValueError as error:
        raise InvalidConfiguration(str(error)) from None


def with_defaults(destination: dict[str, Any]) -> dict[str, Any]:
    """`destination` with the fields AWS fills in when they are omitted (as Describe shows)."""
    filled = dict(destination)
    filled["BufferingHints"] = {**DESTINATION_DEFAULTS, **(destination.get("BufferingHints") or {})}
    filled.setdefault("CompressionFormat", "UNCOMPRESSED")
    filled.setdefault("EncryptionConfiguration", {"NoEncryptionConfig": "NoEncryption"})
    return filled


def processor_parameters(destination: dict[str, Any]) -> dict[str, str] | None:
    """The enabled Lambda processor's parameters (checked against AWS's ranges), or None."""
    processing = destination.get("ProcessingConfiguration") or {}
    lambdas = [p for p in processing.get("Processors") or [] if p.get("Type") == "Lambda"]
    if processing.get("Enabled") is False or not lambdas:
        return None
    parameters = {p["ParameterName"]: p["ParameterValue"] for p in lambdas[0].get("Parameters", [])}
    if not parameters.get("LambdaArn"):
        raise ValueError("a Lambda processor needs the parameter LambdaArn")
    _check_ranges(parameters)
    return parameters


def _check_ranges(parameters: dict[str, str]) -> None:
    for name, (low, high) in PROCESSOR_LIMITS.items():
        if name in parameters and not low <= _number(name, parameters[name]) <= high:
            raise ValueError(
                f"processor parameter {name} is {parameters[name]}: it must be between {low} "
                f"and {high}"
            )


def _number(name: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"processor parameter {name} must be a number, not {value!r}") from None


def delivery_config(
    stream: str, stream_arn: str, version: str, destination: dict[str, Any]
) -> DeliveryConfig:
    """The data plane's view of a stored (Extended)S3 destination description."""
    filled = with_defaults(destination)
    prefix, error_prefix = effective_prefixes(
        filled.get("Prefix") or "", filled.get("ErrorOutputPrefix") or ""
    )
    compression = filled["CompressionFormat"]
    hints = filled["BufferingHints"]
    return DeliveryConfig(
        stream=stream,
        stream_arn=stream_arn,
        region=stream_arn.split(":")[3],
        version=version,
        bucket=filled["BucketARN"].split(":::", 1)[-1],
        prefix=prefix,
        error_prefix=error_prefix,
        compression=compression,
        extension=filled.get("FileExtension") or EXTENSIONS[compression],
        hints=Hints.of(hints["SizeInMBs"], hints["IntervalInSeconds"]),
        processor=_processor(filled),
    )


def _processor(destination: dict[str, Any]) -> Processor | None:
    parameters = processor_parameters(destination)
    if parameters is None:
        return None
    given = {k: float(v) for k, v in parameters.items() if k in PROCESSOR_DEFAULTS}
    values = {**PROCESSOR_DEFAULTS, **given}
    return Processor(
        lambda_arn=parameters["LambdaArn"],
        retries=int(values["NumberOfRetries"]),
        hints=Hints.of(values["BufferSizeInMBs"], values["BufferIntervalInSeconds"]),
    )
