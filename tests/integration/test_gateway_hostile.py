"""Hostile requests to the local cloud's front door, on a cloud of its own.

For every request here: no HTML, no 5xx for a client's mistake, an error in the called API's
own format (S3 XML, JSON `__type`, query `ErrorResponse`), and the cloud still answers a
well-formed request afterwards. The requests the project's issue named are pinned as examples;
hypothesis varies them.
"""

from __future__ import annotations

import http.client
import json
import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import boto3
import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from .conftest import running_cloud

BUCKET = "hostile-requests"
SIGNED_S3 = (
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/s3/aws4_request, "
    "SignedHeaders=host, Signature=00"
)
HOSTILE = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
PRINTABLE = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=120)
JSON_PREFIXES = [
    "DynamoDB_20120810",
    "AmazonEC2ContainerServiceV20141113",
    "Logs_20140328",
    "AmazonEC2ContainerRegistry_V20150921",
    "CodeBuild_20161006",
    "CodePipeline_20150709",
    "AWSCognitoIdentityProviderService",
]
SERVICES = [
    "s3",
    "dynamodb",
    "ecs",
    "logs",
    "sts",
    "ec2",
    "lambda",
    "elasticloadbalancing",
    "nope",
    "",
    "S3",
]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_cloud(tmp_path_factory.mktemp("hostile-home")) as started:
        url = str(started["endpoint_url"])
        s3(url).create_bucket(Bucket=BUCKET)
        yield url


@pytest.fixture(autouse=True)
def still_answering(cloud: str) -> Iterator[None]:
    yield
    assert requests.get(f"{cloud}/_mysfits/health", timeout=10).status_code == 200
    assert BUCKET in [b["Name"] for b in s3(cloud).list_buckets()["Buckets"]]


def s3(url: str) -> object:
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="hostile",
        aws_secret_access_key="hostile",
    )


def send(url: str, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> Answer:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(
            method, path, body=body, headers={"Content-Length": str(len(body)), **headers}
        )
        response = connection.getresponse()
        return Answer(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        )
    finally:
        connection.close()


def protocol(headers: dict[str, str], body: bytes = b"") -> str:
    """Which API's error format the request asks for (the rule AWS's protocols imply)."""
    if headers.get("X-Amz-Target"):
        return "json"
    service = headers.get("Authorization", "").partition("Credential=")[2].split(",")[0].split("/")
    signed_for = service[3].strip() if len(service) > 3 and service[3].strip() else None
    if b"Action=" in body and headers.get("Content-Type") == "application/x-www-form-urlencoded":
        return "ec2" if signed_for == "ec2" else "query"
    return "s3" if signed_for in {None, "s3"} else "rest-json"


def assert_aws_shaped(answer: Answer, kind: str, head: bool = False) -> None:
    """No HTML, no 5xx, and a 4xx in the format of `kind`."""
    assert "text/html" not in answer.headers.get("content-type", ""), answer
    assert b"<html" not in answer.body.lower(), answer
    assert answer.status < 500, answer
    if answer.status < 400 or head:
        return
    if kind in {"json", "rest-json"}:
        document = json.loads(answer.body)
        code = document.get("__type") or answer.headers.get("x-amzn-errortype")
        assert code and "message" in {k.lower() for k in document}, answer
        return
    root = ET.fromstring(answer.body)
    tag = root.tag.rsplit("}", 1)[-1]
    expected = {"s3": "Error", "query": "ErrorResponse", "ec2": "Response"}[kind]
    assert tag == expected and any(e.tag.endswith("Code") and e.text for e in root.iter()), answer


@HOSTILE
@given(
    value=PRINTABLE,
    path=st.sampled_from(["/", f"/{BUCKET}", f"/{BUCKET}/key.txt", f"/{BUCKET}?tagging"]),
)
@example(value="garbage", path="/")
@example(value="AWS4-HMAC-SHA256", path="/")
@example(value="AWS4-HMAC-SHA256 Credential=", path=f"/{BUCKET}")
@example(value="Bearer eyJhbGciOi", path="/")
def test_a_malformed_authorization_header_is_an_s3_error(cloud: str, value: str, path: str) -> None:
    answer = send(cloud, "GET", path, {"Authorization": value})
    assert_aws_shaped(answer, protocol({"Authorization": value}))


@st.composite
def sigv4_headers(draw: st.DrawFn) -> dict[str, str]:
    """SigV4 headers with parts missing, reordered or mangled, for a service and a protocol."""
    scope = draw(
        st.lists(
            st.one_of(
                st.sampled_from(["AKID", "20240101", "us-east-1", "aws4_request"]),
                st.sampled_from(SERVICES),
                PRINTABLE.filter(lambda t: "," not in t),
            ),
            max_size=7,
        )
    )
    fields = {
        "Credential": "/".join(scope),
        "SignedHeaders": draw(st.sampled_from(["host", "", "a;b"])),
        "Signature": draw(st.sampled_from(["00", ""])),
    }
    kept = draw(st.lists(st.sampled_from(sorted(fields)), unique=True))
    separator = draw(st.sampled_from([", ", ",", " "]))
    headers = {
        "Authorization": "AWS4-HMAC-SHA256 " + separator.join(f"{k}={fields[k]}" for k in kept)
    }
    if draw(st.booleans()):
        headers["X-Amz-Target"] = (
            draw(st.sampled_from(JSON_PREFIXES))
            + "."
            + draw(st.sampled_from(["NoSuchOperation", "", "List"]))
        )
        headers["Content-Type"] = "application/x-amz-json-1.1"
    elif draw(st.booleans()):
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return headers


@HOSTILE
@given(headers=sigv4_headers(), method=st.sampled_from(["GET", "POST"]))
def test_a_broken_sigv4_header_is_refused_in_the_protocol_of_the_call(
    cloud: str, headers: dict[str, str], method: str
) -> None:
    body = (
        b"Action=NoSuchAction&Version=2011-06-15"
        if "form" in headers.get("Content-Type", "")
        else b"{}"
    )
    answer = send(cloud, method, "/", headers, body)
    assert_aws_shaped(answer, protocol(headers, body))


def _signed_for(service: str) -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host, Signature=00"
    )


@HOSTILE
@given(
    target=st.one_of(
        PRINTABLE.filter(lambda t: t.strip()),
        st.builds("{}.{}".format, st.sampled_from(JSON_PREFIXES), PRINTABLE),
    ),
    signed_for=st.sampled_from([None, "dynamodb", "ecs", "logs", "nope"]),
)
@example(target="Nope.Nothing", signed_for=None)
@example(target="garbage", signed_for="dynamodb")
@example(target="DynamoDB_20120810.NoSuchOperation", signed_for="dynamodb")
def test_an_unknown_or_malformed_target_is_a_json_error(
    cloud: str, target: str, signed_for: str | None
) -> None:
    headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0"}
    if signed_for:
        headers["Authorization"] = _signed_for(signed_for)
    answer = send(cloud, "POST", "/", headers, b"{}")
    assert_aws_shaped(answer, "json")
    assert 400 <= answer.status < 500  # no such operation exists: never a success


DOCUMENTS = {
    "publicAccessBlock": b"<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls>"
    b"</PublicAccessBlockConfiguration>",
    "tagging": b"<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>",
    "lifecycle": b"<LifecycleConfiguration><Rule><ID>r</ID><Filter><Prefix></Prefix></Filter>"
    b"<Status>Enabled"
    b"</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>",
    "website": b"<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument>"
    b"</WebsiteConfiguration>",
    "cors": b"<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod>"
    b"<AllowedOrigin>*</AllowedOrigin>"
    b"</CORSRule></CORSConfiguration>",
    "versioning": b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>",
    "encryption": b"<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>"
    b"<SSEAlgorithm>"
    b"AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule>"
    b"</ServerSideEncryptionConfiguration>",
}


@st.composite
def broken_documents(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(DOCUMENTS)))
    whole = DOCUMENTS[name]
    body = draw(
        st.one_of(
            st.integers(0, len(whole) - 1).map(lambda cut: whole[:cut]),  # truncated
            st.binary(max_size=200),
            PRINTABLE.map(str.encode),
            st.sampled_from(
                [b"<Foo/>", b"<" + name.encode() + b"/>", whole.replace(b"</", b"<", 1)]
            ),
        )
    )
    return name, body


@HOSTILE
@given(document=broken_documents())
@example(document=("publicAccessBlock", b"<PublicAccessBlockConfiguration><BlockPublicAcls>tr"))
@example(document=("tagging", b"<Tagging><TagSet><Tag><Key>a"))
@example(document=("lifecycle", b"not xml at all"))
@example(document=("website", DOCUMENTS["website"][:60]))
def test_a_broken_configuration_document_is_an_s3_4xx(
    cloud: str, document: tuple[str, bytes]
) -> None:
    name, body = document
    answer = send(cloud, "PUT", f"/{BUCKET}?{name}", {"Authorization": SIGNED_S3}, body)
    assert_aws_shaped(answer, "s3")
    assert answer.status >= 400 or body == DOCUMENTS[name]
    # Whatever was stored can be read back, and a website (if any) serves.
    assert_aws_shaped(send(cloud, "GET", f"/{BUCKET}?{name}", {"Authorization": SIGNED_S3}), "s3")
    sites = [e["local_url"] for e in requests.get(f"{cloud}/_mysfits/endpoints", timeout=10).json()]
    for site in sites:
        assert requests.get(site + "/", timeout=10).status_code < 500


@HOSTILE
@given(
    method=st.sampled_from(["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH"]),
    segments=st.lists(st.text(max_size=20), min_size=0, max_size=4),
    params=st.lists(
        st.sampled_from(
            [
                "tagging",
                "acl",
                "policy",
                "uploads",
                "delete",
                "list-type=2",
                "versionId=x",
                "website",
                "x=%FF",
                "prefix=%C3%A9",
            ]
        ),
        max_size=3,
    ),
)
@example(method="GET", segments=[], params=[])
def test_unsigned_requests_anywhere_are_s3_errors(
    cloud: str, method: str, segments: list[str], params: list[str]
) -> None:
    path = (
        "/"
        + "/".join(quote(s, safe="") for s in segments)
        + ("?" + "&".join(params) if params else "")
    )
    answer = send(cloud, method, path, {}, b"x" if method in {"PUT", "POST"} else b"")
    assert_aws_shaped(answer, "s3", head=method == "HEAD")
    if path == "/" and method == "GET":
        assert answer.status == 403  # anonymous ListBuckets


@HOSTILE
@given(garbage=st.binary(min_size=1, max_size=200).filter(lambda b: b"\n" not in b))
@example(garbage=b"GARBAGE")
@example(garbage=b"GET / HTTP/9.9")
def test_what_is_not_http_gets_no_html(cloud: str, garbage: bytes) -> None:
    parts = urlsplit(cloud)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as raw:
        raw.sendall(garbage + b"\r\n\r\n")
        raw.shutdown(socket.SHUT_WR)
        answer = b"".join(iter(lambda: raw.recv(65536), b""))
    assert b"<html" not in answer.lower() and b"text/html" not in answer.lower(), answer


def test_the_website_endpoint_never_answers_500(cloud: str) -> None:
    client = s3(cloud)
    client.put_bucket_website(
        Bucket=BUCKET, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}}
    )
    site = next(
        e["local_url"]
        for e in requests.get(f"{cloud}/_mysfits/endpoints", timeout=10).json()
        if e["name"] == BUCKET
    )
    for path in ["/", "/%FF", "/%00", "/" + "a" * 2000, "/..%2F..%2Fetc%2Fpasswd", "/%C3%A9/"]:
        for headers in [
            {},
            {"Range": "bytes=999999-"},
            {"If-Match": '"x"'},
            {"If-Modified-Since": "garbage"},
        ]:
            answer = send(site, "GET", path, headers)
            assert answer.status < 500, (path, headers, answer)
    client.delete_bucket_website(Bucket=BUCKET)
