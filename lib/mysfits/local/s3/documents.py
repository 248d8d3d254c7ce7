"""S3 configuration documents, checked before moto reads them, as S3 checks them.

S3 answers 400 MalformedXML ("The XML you provided was not well-formed or did not validate
against our published schema") for a body that is not well-formed XML or is not the operation's
document, and 400 MissingRequestBodyError ("Request Body is empty") for an empty one [1].
PutBucketWebsite needs an IndexDocument Suffix (not empty, no slash) unless it redirects every
request [2]: 400 InvalidArgument (that wording is ours). moto 5.2.5 raised on such bodies (an HTML
500) or stored them: a truncated PutBucketWebsite document was accepted, after which
GetBucketWebsite and the bucket's website endpoint failed.

[1] https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
[2] https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketWebsite.html
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..core.awserrors import AwsError

# (method, subresource) -> the root element of the document its body carries.
DOCUMENTS = {
    ("PUT", "publicAccessBlock"): "PublicAccessBlockConfiguration",
    ("PUT", "tagging"): "Tagging",
    ("PUT", "lifecycle"): "LifecycleConfiguration",
    ("PUT", "website"): "WebsiteConfiguration",
    ("PUT", "cors"): "CORSConfiguration",
    ("PUT", "versioning"): "VersioningConfiguration",
    ("PUT", "encryption"): "ServerSideEncryptionConfiguration",
    ("PUT", "ownershipControls"): "OwnershipControls",
    ("PUT", "notification"): "NotificationConfiguration",
    ("PUT", "logging"): "BucketLoggingStatus",
    ("PUT", "accelerate"): "AccelerateConfiguration",
    ("PUT", "requestPayment"): "RequestPaymentConfiguration",
    ("PUT", "object-lock"): "ObjectLockConfiguration",
    ("PUT", "replication"): "ReplicationConfiguration",
    ("PUT", "intelligent-tiering"): "IntelligentTieringConfiguration",
    ("PUT", "metrics"): "MetricsConfiguration",
    ("PUT", "inventory"): "InventoryConfiguration",
    ("PUT", "analytics"): "AnalyticsConfiguration",
    ("PUT", "retention"): "Retention",
    ("PUT", "legal-hold"): "LegalHold",
    ("PUT", "acl"): "AccessControlPolicy",
    ("POST", "delete"): "Delete",
    ("POST", "uploadId"): "CompleteMultipartUpload",
}
# ACLs may come as x-amz-acl / x-amz-grant-* headers instead of a body; CreateBucket in
# us-east-1 needs no configuration.
_BODY_OPTIONAL = {"AccessControlPolicy", "CreateBucketConfiguration"}

MALFORMED_XML = AwsError(
    400,
    "MalformedXML",
    "The XML you provided was not well-formed or did not validate against our published schema",
)
EMPTY_BODY = AwsError(400, "MissingRequestBodyError", "Request Body is empty")


def expected_document(method: str, params: set[str], bucket_level: bool) -> str | None:
    """The root element the request's body must have, or None when it carries no document."""
    if method == "PUT" and bucket_level and not params:
        return "CreateBucketConfiguration"
    return next(
        (root for (verb, name), root in DOCUMENTS.items() if verb == method and name in params),
        None,
    )


def document_problem(
    method: str, params: set[str], bucket_level: bool, body: bytes
) -> AwsError | None:
    """Why S3 would refuse the body of this request, or None."""
    expected = expected_document(method, params, bucket_level)
    if expected is None:
        return None
    if not body.strip():
        return None if expected in _BODY_OPTIONAL else EMPTY_BODY
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return MALFORMED_XML
    if _local(root.tag) != expected:
        return MALFORMED_XML
    return _website_problem(root) if expected == "WebsiteConfiguration" else None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((child for child in element if _local(child.tag) == name), None)


def _website_problem(root: ET.Element) -> AwsError | None:
    if _child(root, "RedirectAllRequestsTo") is not None:
        return None
    index = _child(root, "IndexDocument")
    suffix = _child(index, "Suffix") if index is not None else None
    if suffix is None:
        return AwsError(
            400,
            "InvalidArgument",
            "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
        )
    if not (suffix.text or "").strip() or "/" in (suffix.text or ""):
        return AwsError(400, "InvalidArgument", "The IndexDocument Suffix is not well formed")
    return None
