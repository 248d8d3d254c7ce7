"""Domain errors whose messages say what to do next."""

from __future__ import annotations

from botocore.exceptions import ClientError, EndpointConnectionError


class WorkshopError(Exception):
    """Base class for every error the helper library raises on purpose."""


class LocalCloudNotRunning(WorkshopError):
    """The local target was chosen but no local cloud answers."""


class LocalCloudStopped(LocalCloudNotRunning, EndpointConnectionError):
    """The local cloud a workshop was using stopped answering (it crashed or was stopped).

    Still an `EndpointConnectionError`, so code that handles connection errors keeps working.
    """

    fmt = (
        "the local cloud at {endpoint_url} stopped answering (it was stopped, or it crashed: its "
        "log is in $MYSFITS_HOME/local-cloud.log): start it again with `mysfits local start "
        "--detach`, then run this notebook again from the top (`mysfits.connect` finds the new one)"
    )

    def __init__(self, endpoint_url: str) -> None:
        EndpointConnectionError.__init__(self, endpoint_url=endpoint_url)


class BucketNameTaken(WorkshopError):
    """Another account owns a bucket with this name."""


class VerificationFailed(WorkshopError):
    """One or more checks failed; the message lists each with its evidence."""


class ResourceNotFound(WorkshopError):
    """A resource an earlier notebook should have created is missing."""


def error_code(error: ClientError) -> str:
    """The AWS error code of a botocore ClientError ('' when absent)."""
    return str(error.response.get("Error", {}).get("Code", ""))


def http_status(error: ClientError) -> int:
    """The HTTP status code AWS answered with."""
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
