"""Errors the service reports to clients, each with its HTTP status and code."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: ``message`` is safe to show to clients."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(ServiceError):
    status = 400
    code = "bad_request"


class Unauthorized(ServiceError):
    """No sign-in token, or one this service does not accept; the message says which."""

    status = 401
    code = "unauthorized"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class AlreadyAdopted(ServiceError):
    status = 409
    code = "already_adopted"


class NotSupported(ServiceError):
    status = 501
    code = "not_implemented"


class BackendUnavailable(ServiceError):
    """The data store is throttling or unreachable; the client may retry."""

    status = 503
    code = "service_unavailable"


class BackendFailure(ServiceError):
    """The data store refused the request; details go to the log only."""

    status = 500
    code = "internal_error"
