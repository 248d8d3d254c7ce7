"""The AWS API calls a notebook step made, with the documents it sent, and how to redo them by hand.

`ws.calls` records every call of a Workshop's session (botocore event hooks). In a notebook,
`ws.calls.table("Create the bucket")` shows the calls since the previous table as a compact,
collapsed table with the equivalent `aws` commands and the documents sent; headless runs keep
the same output, and `mysfits run` also writes every call to `runs/<timestamp>/api-calls.json`.
"""

from .calllog import API_CALLS_MIME_TYPE, CallLog, calls_in_outputs
from .record import ApiCall, Document
from .recorder import LOG_ENV, CallRecorder
from .redact import REDACTED, redact
from .render import DocumentView, show_document

__all__ = [
    "API_CALLS_MIME_TYPE",
    "ApiCall",
    "CallLog",
    "CallRecorder",
    "Document",
    "DocumentView",
    "LOG_ENV",
    "REDACTED",
    "calls_in_outputs",
    "redact",
    "show_document",
]
