"""S3 website endpoints on loopback: index documents, redirects, 403 versus 404, error documents,
UTF-8 keys, byte ranges and preconditions."""

from __future__ import annotations

import json

import pytest
import requests

from mysfits import website
from mysfits.awsurls import website_url
from mysfits.workshop import Workshop

ERROR_PAGE = b"<html><body>custom error page</body></html>"


@pytest.fixture
def site(ws: Workshop) -> website.Website:
    bucket = website.ensure_site_bucket(ws, f"{ws.prefix}-web")
    s3 = ws.client("s3")
    for key, body, content_type in [
        ("index.html", b"<h1>home</h1>", "text/html"),
        ("error.html", ERROR_PAGE, "text/html"),
        ("docs/index.html", b"<h1>docs</h1>", "text/html"),
        ("data.json", b'{"a": 1}', "application/json"),
        ("private/secret.txt", b"secret", "text/plain"),
        ("no-type.bin", b"raw", ""),
        ("é.html", "<p>accentué</p>".encode(), "text/html; charset=utf-8"),
        ("100%.txt", b"percent", "text/plain"),
    ]:
        extra = {"ContentType": content_type} if content_type else {}
        s3.put_object(Bucket=bucket.name, Key=key, Body=body, **extra)
    website.ensure_public_read(ws, bucket)
    return website.ensure_website(ws, bucket)


def get(site: website.Website, path: str, **kwargs) -> requests.Response:
    return requests.get(site.url + path, allow_redirects=False, timeout=5, **kwargs)


def test_endpoint_is_listed_with_its_aws_url(ws: Workshop, site: website.Website) -> None:
    listed = [e for e in ws.endpoints() if e["kind"] == "s3-website" and e["name"] == site.bucket]
    assert listed == [
        {
            "kind": "s3-website",
            "name": site.bucket,
            "aws_url": website_url(site.bucket, "us-east-1"),
            "local_url": site.url,
        }
    ]
    assert site.aws_url == f"http://{site.bucket}.s3-website-us-east-1.amazonaws.com"
    assert ws.url(site.aws_url + "/docs/?x=1") == site.url + "/docs/?x=1"


def test_index_documents_and_content_types(site: website.Website) -> None:
    root = get(site, "/")
    assert (root.status_code, root.content, root.headers["Content-Type"]) == (
        200,
        b"<h1>home</h1>",
        "text/html",
    )
    assert get(site, "/docs/").content == b"<h1>docs</h1>"
    assert get(site, "/data.json").headers["Content-Type"] == "application/json"
    assert get(site, "/no-type.bin").headers["Content-Type"] == "binary/octet-stream"


def test_folder_without_slash_redirects(site: website.Website) -> None:
    response = get(site, "/docs")
    assert (response.status_code, response.headers["Location"]) == (302, "/docs/")


def test_missing_key_is_403_with_error_document_without_listing(site: website.Website) -> None:
    response = get(site, "/nope.html")
    assert (response.status_code, response.content) == (403, ERROR_PAGE)
    assert response.headers["x-amz-error-code"] == "AccessDenied"


def test_missing_key_is_404_once_listing_is_granted(ws: Workshop, site: website.Website) -> None:
    website.ensure_public_read(ws, site.bucket, allow_list=True)
    response = get(site, "/nope.html")
    assert (response.status_code, response.content) == (404, ERROR_PAGE)
    assert response.headers["x-amz-error-code"] == "NoSuchKey"
    assert get(site, "/empty-folder/").status_code == 404


def test_unreadable_object_is_403(ws: Workshop, site: website.Website) -> None:
    policy = website.public_read_policy(site.bucket)
    policy["Statement"].append(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{site.bucket}/private/*",
        }
    )
    ws.client("s3").put_bucket_policy(Bucket=site.bucket, Policy=json.dumps(policy))
    assert get(site, "/private/secret.txt").status_code == 403
    assert get(site, "/index.html").status_code == 200


def test_without_policy_everything_is_403_with_aws_error_page(
    ws: Workshop, site: website.Website
) -> None:
    website.remove_public_read(ws, site.bucket)
    response = get(site, "/")
    assert response.status_code == 403
    assert "<h1>403 Forbidden</h1>" in response.text and "Code: AccessDenied" in response.text


def test_default_error_page_without_error_document(ws: Workshop, site: website.Website) -> None:
    ws.client("s3").put_bucket_website(
        Bucket=site.bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}}
    )
    website.ensure_public_read(ws, site.bucket, allow_list=True)
    response = get(site, "/gone.html")
    assert response.status_code == 404 and response.headers["Content-Type"].startswith("text/html")
    for line in ("<h1>404 Not Found</h1>", "Code: NoSuchKey", "Key: gone.html"):
        assert line in response.text


def test_head_conditional_and_other_methods(site: website.Website) -> None:
    head = requests.head(site.url + "/", timeout=5)
    assert (
        head.status_code == 200 and head.content == b"" and head.headers["Content-Length"] == "13"
    )
    etag = get(site, "/").headers["ETag"]
    assert get(site, "/", headers={"If-None-Match": etag}).status_code == 304
    assert requests.post(site.url + "/", timeout=5).status_code == 405


def test_keys_are_read_as_utf8(site: website.Website) -> None:
    response = get(site, "/%C3%A9.html")
    assert (response.status_code, response.content) == (200, "<p>accentué</p>".encode())
    assert get(site, "/100%25.txt").content == b"percent"  # decoded once: %25 is a literal %
    assert get(site, "/%C3%A9.htm").status_code == 403  # a near miss is still missing
    assert get(site, "/%FF.html").status_code == 403  # not UTF-8: no key can match


def test_a_byte_range_is_206_and_one_past_the_end_416(site: website.Website) -> None:
    whole = b"<h1>home</h1>"
    for asked, first, last in [
        ("bytes=0-3", 0, 3),
        ("bytes=4-", 4, 12),
        ("bytes=-5", 8, 12),
        ("bytes=10-99", 10, 12),
    ]:
        response = get(site, "/index.html", headers={"Range": asked})
        assert response.status_code == 206, asked
        assert response.content == whole[first : last + 1]
        assert response.headers["Content-Range"] == f"bytes {first}-{last}/{len(whole)}"
        assert response.headers["Content-Length"] == str(last - first + 1)
    head = requests.head(site.url + "/index.html", headers={"Range": "bytes=0-3"}, timeout=5)
    assert (head.status_code, head.content, head.headers["Content-Length"]) == (206, b"", "4")
    past = get(site, "/index.html", headers={"Range": "bytes=13-20"})
    assert past.status_code == 416 and past.headers["Content-Range"] == "bytes */13"
    assert past.headers["x-amz-error-code"] == "InvalidRange"
    # Served whole, as RFC 9110 allows.
    for ignored in ("bytes=0-1,4-5", "bytes=5-2", "pages=1-2", "bytes=x-"):
        response = get(site, "/index.html", headers={"Range": ignored})
        assert (response.status_code, response.content) == (200, whole), ignored
    assert get(site, "/").headers["Accept-Ranges"] == "bytes"


def test_preconditions_give_412_and_304(site: website.Website) -> None:
    etag = get(site, "/index.html").headers["ETag"]
    failed = get(site, "/index.html", headers={"If-Match": '"0123456789abcdef"'})
    assert failed.status_code == 412 and failed.headers["x-amz-error-code"] == "PreconditionFailed"
    assert failed.content == ERROR_PAGE  # a 4xx, so the error document is the body
    assert get(site, "/index.html", headers={"If-Match": etag}).status_code == 200
    assert get(site, "/index.html", headers={"If-Match": "*"}).status_code == 200
    long_ago = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert get(site, "/index.html", headers={"If-Unmodified-Since": long_ago}).status_code == 412
    # If-Match decides when both are given (S3's documented precedence).
    both = {"If-Match": etag, "If-Unmodified-Since": long_ago}
    assert get(site, "/index.html", headers=both).status_code == 200
    future = "Fri, 01 Jan 2100 00:00:00 GMT"
    assert get(site, "/index.html", headers={"If-Modified-Since": future}).status_code == 304
    assert get(site, "/index.html", headers={"If-None-Match": '"other"'}).status_code == 200


def test_endpoint_goes_away_with_the_website_configuration(
    ws: Workshop, site: website.Website
) -> None:
    ws.client("s3").delete_bucket_website(Bucket=site.bucket)
    assert site.bucket not in [e["name"] for e in ws.endpoints()]
    with pytest.raises(requests.ConnectionError):
        requests.get(site.url, timeout=2)
