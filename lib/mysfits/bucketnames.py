"""S3 general-purpose bucket naming rules, checked before any AWS call."""

from __future__ import annotations

import re

_ALLOWED = re.compile(r"^[a-z0-9.-]+$")
_IP_ADDRESS = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


class InvalidBucketName(ValueError):
    """The name breaks an S3 naming rule; the message names the rule and the fix."""


def _check_characters(name: str) -> None:
    if not 3 <= len(name) <= 63:
        raise InvalidBucketName(f"{name!r} is {len(name)} characters long: use 3 to 63 characters")
    if not _ALLOWED.match(name):
        bad = ", ".join(repr(c) for c in dict.fromkeys(c for c in name if not _ALLOWED.match(c)))
        raise InvalidBucketName(
            f"{name!r} contains {bad}: use only lowercase letters, digits, "
            "hyphens (-) and periods (.)"
        )


def _check_labels(name: str) -> None:
    if ".." in name:
        raise InvalidBucketName(
            f"{name!r} has two adjacent periods: separate labels with a single period"
        )
    for label in name.split("."):
        if not (label[:1].isalnum() and label[-1:].isalnum()):
            raise InvalidBucketName(
                f"{name!r}: the label {label!r} must begin and end with a letter or digit"
            )
    if _IP_ADDRESS.match(name):
        raise InvalidBucketName(
            f"{name!r} is formatted as an IP address: choose a name that is not one"
        )


def _check_reserved(name: str) -> None:
    prefix = next((p for p in RESERVED_PREFIXES if name.startswith(p)), None)
    if prefix:
        raise InvalidBucketName(
            f"{name!r} starts with the reserved prefix {prefix!r}: choose another start"
        )
    suffix = next((s for s in RESERVED_SUFFIXES if name.endswith(s)), None)
    if suffix:
        raise InvalidBucketName(
            f"{name!r} ends with the reserved suffix {suffix!r}: choose another ending"
        )


def validate_bucket_name(name: str) -> str:
    """Return `name` when S3 would accept it as a general-purpose bucket name, else raise."""
    if not isinstance(name, str):
        raise InvalidBucketName(f"bucket name must be a string, not {type(name).__name__}")
    _check_characters(name)
    _check_labels(name)
    _check_reserved(name)
    return name
