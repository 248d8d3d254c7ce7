"""Mythical Mysfits workshop helper library: provision and verify each module with boto3."""

from .checks import Check, require
from .errors import VerificationFailed, WorkshopError
from .workshop import Workshop, connect

__all__ = ["Check", "VerificationFailed", "Workshop", "WorkshopError", "connect", "require"]
__version__ = "0.1.0"
