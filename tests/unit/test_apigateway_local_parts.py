"""The local API Gateway's pure parts: routing, the Cognito authorizer's checks and cache,
the throttling bucket, the OpenAPI reader, gateway responses, mapping templates, URL mapping."""

from __future__ import annotations

import base64
import dataclasses
import json
import time
import uuid

import jwt
import pytest

from mysfits import apidocument
from mysfits.local.apigateway import openapi
from mysfits.local.apigateway.authorizers import DecisionCache, Unauthorized, verify
from mysfits.local.apigateway.deployments import Authorizer, IntegrationResponse
from mysfits.local.apigateway.gatewayresponses import GatewayError, render
from mysfits.local.apigateway.integrations import select_response
from mysfits.local.apigateway.pipeline import RequestIds
from mysfits.local.apigateway.routing import RouteTable
from mysfits.local.apigateway.templates import Input, json_path
from mysfits.local.apigateway.templates import render as render_template
from mysfits.local.apigateway.throttling import Throttles, TokenBucket, method_key
from mysfits.local.cognito.keys import PoolKeys
from mysfits.workshop import _map_url

# -- routing ---------------------------------------------------------------------------------

ROUTES = RouteTable(
    {
        "/": {"GET": "root"},
        "/mysfits": {"GET": "list", "OPTIONS": "cors"},
        "/mysfits/{mysfitId}": {"GET": "one"},
        "/mysfits/{mysfitId}/like": {"POST": "like"},
        "/mysfits/special": {"GET": "special"},
        "/files/{proxy+}": {"ANY": "files"},
    }
)


@pytest.mark.parametrize(
    "method, path, expected, params",
    [
        ("GET", "/", "root", {}),
        ("GET", "/mysfits", "list", {}),
        ("GET", "/mysfits/", "list", {}),
        ("GET", "/mysfits/abc", "one", {"mysfitId": "abc"}),
        ("GET", "/mysfits/special", "special", {}),  # a literal wins over {mysfitId}
        ("POST", "/mysfits/a%20b/like", "like", {"mysfitId": "a b"}),
        ("DELETE", "/files/a/b/c.txt", "files", {"proxy": "a/b/c.txt"}),  # greedy, any method
    ],
)
def test_routes_match_as_api_gateway_routes(
    method: str, path: str, expected: str, params: dict[str, str]
) -> None:
    match = ROUTES.match(method, path)
    assert match is not None
    assert (match.method, match.params) == (expected, params)


@pytest.mark.parametrize(
    "method, path",
    [("GET", "/nothing"), ("POST", "/mysfits"), ("GET", "/mysfits/a/like"), ("GET", "/files")],
)
def test_no_route_without_the_resource_or_the_method(method: str, path: str) -> None:
    assert ROUTES.match(method, path) is None


def test_a_literal_branch_that_dead_ends_falls_back_to_the_parameter() -> None:
    table = RouteTable({"/a/b": {"GET": "literal"}, "/a/{x}/c": {"GET": "param"}})
    match = table.match("GET", "/a/b/c")
    assert match is not None and (match.method, match.params) == ("param", {"x": "b"})


# -- the Cognito authorizer ------------------------------------------------------------------

REGION, POOL = "us-east-1", "us-east-1_abc"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL}"
AUTHORIZER = Authorizer(
    "auth1",
    "COGNITO_USER_POOLS",
    (f"arn:aws:cognito-idp:{REGION}:123456789012:userpool/{POOL}",),
    "method.request.header.Authorization",
    300,
    None,
)


@pytest.fixture(scope="module")
def keys() -> PoolKeys:
    return PoolKeys()


@pytest.fixture(scope="module")
def other_keys() -> PoolKeys:
    return PoolKeys()


def _claims(**changes: object) -> dict[str, object]:
    now = int(time.time())
    claims = {"sub": "u1", "iss": ISSUER, "aud": "client", "token_use": "id", "exp": now + 600}
    claims.update({"iat": now, **changes})
    return claims


def _jwks(keys: PoolKeys) -> object:
    return lambda pool_id: keys.jwks() if pool_id == POOL else None


def test_a_valid_id_token_passes(keys: PoolKeys) -> None:
    claims = verify(keys.sign(_claims()), AUTHORIZER, (), _jwks(keys), time.time())
    assert claims["sub"] == "u1"


def _tampered(token: str) -> str:
    head, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=="))
    data["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{head}.{forged}.{signature}"


def _unsigned() -> str:
    return jwt.encode(_claims(), key=None, algorithm="none")


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda k, o: "", id="missing"),
        pytest.param(lambda k, o: "not-a-jwt", id="garbage"),
        pytest.param(lambda k, o: _unsigned(), id="alg-none"),
        pytest.param(lambda k, o: o.sign(_claims()), id="other-key"),
        pytest.param(lambda k, o: k.sign(_claims(iss=ISSUER + "x")), id="other-pool"),
        pytest.param(lambda k, o: k.sign(_claims(exp=int(time.time()) - 1)), id="expired"),
        pytest.param(lambda k, o: k.sign(_claims(token_use="access")), id="access-token"),
        pytest.param(lambda k, o: _tampered(k.sign(_claims())), id="tampered"),
    ],
)
def test_tokens_the_authorizer_refuses(keys: PoolKeys, other_keys: PoolKeys, make: object) -> None:
    token = make(keys, other_keys)  # type: ignore[operator]
    with pytest.raises(Unauthorized):
        verify(token, AUTHORIZER, (), _jwks(keys), time.time())


def test_a_method_with_scopes_takes_an_access_token_with_one(keys: PoolKeys) -> None:
    access = keys.sign(_claims(token_use="access", scope="mysfits/like openid"))
    assert verify(access, AUTHORIZER, ("mysfits/like",), _jwks(keys), time.time())
    with pytest.raises(Unauthorized):
        verify(access, AUTHORIZER, ("mysfits/adopt",), _jwks(keys), time.time())
    with pytest.raises(Unauthorized):
        verify(keys.sign(_claims()), AUTHORIZER, ("mysfits/like",), _jwks(keys), time.time())


def test_identity_validation_expression_is_matched_against_aud(keys: PoolKeys) -> None:
    strict = dataclasses.replace(AUTHORIZER, validation_expression="web-.*")
    with pytest.raises(Unauthorized):
        verify(keys.sign(_claims(aud="other")), strict, (), _jwks(keys), time.time())
    assert verify(keys.sign(_claims(aud="web-1")), strict, (), _jwks(keys), time.time())


class _Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_a_decision_is_cached_for_the_ttl_but_not_past_the_token(keys: PoolKeys) -> None:
    clock, lookups = _Clock(), []

    def jwks(pool_id: str) -> object:
        lookups.append(pool_id)
        return keys.jwks()

    cache = DecisionCache(clock)
    token = keys.sign(_claims(exp=int(clock.now) + 120))
    cache.authorize(token, AUTHORIZER, (), jwks)
    cache.authorize(token, AUTHORIZER, (), jwks)
    assert len(lookups) == 1  # the second came from the cache
    clock.now += 121  # the token expired before the TTL (300 s) ran out
    with pytest.raises(Unauthorized):
        cache.authorize(token, AUTHORIZER, (), jwks)


def test_a_ttl_of_zero_caches_nothing(keys: PoolKeys) -> None:
    lookups: list[str] = []
    uncached = dataclasses.replace(AUTHORIZER, ttl_seconds=0)
    cache = DecisionCache()
    token = keys.sign(_claims())
    for _ in range(2):
        cache.authorize(token, uncached, (), lambda p: lookups.append(p) or keys.jwks())
    assert len(lookups) == 2


# -- throttling ------------------------------------------------------------------------------


def test_the_bucket_allows_the_burst_then_the_rate() -> None:
    clock = _Clock()
    bucket = TokenBucket(rate=2, burst=3, clock=clock)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    clock.now += 0.5  # one token back at 2 per second
    assert [bucket.take(), bucket.take()] == [True, False]
    clock.now += 100  # never more than the burst
    assert sum(bucket.take() for _ in range(10)) == 3


def test_a_method_setting_wins_over_the_stage_default_and_each_method_has_its_own_bucket() -> None:
    throttles = Throttles(_Clock())
    settings = {
        "*/*": {"throttlingRateLimit": 0.0, "throttlingBurstLimit": 1},
        method_key("/mysfits", "GET"): {"throttlingRateLimit": 0.0, "throttlingBurstLimit": 3},
    }
    assert [throttles.admit(settings, "/mysfits", "GET") for _ in range(4)] == [1, 1, 1, 0]
    assert [throttles.admit(settings, "/", "GET") for _ in range(2)] == [True, False]
    assert [throttles.admit(settings, "/other", "POST") for _ in range(2)] == [True, False]
    assert all(throttles.admit({}, "/", "GET") for _ in range(100))  # no settings: no limit


def test_method_keys_escape_slashes() -> None:
    assert method_key("/mysfits/{mysfitId}", "GET") == "~1mysfits~1{mysfitId}/GET"


# -- the OpenAPI reader ----------------------------------------------------------------------

POOL_ARN = f"arn:aws:cognito-idp:{REGION}:123456789012:userpool/{POOL}"
SCHEME = apidocument.AUTHORIZER  # module 4's security scheme, as apidocument writes it
DOCUMENT = {
    "openapi": "3.0.1",
    "info": {"title": "mysfits", "version": "1"},
    "x-amazon-apigateway-request-validators": {"all": {"validateRequestParameters": True}},
    "x-amazon-apigateway-gateway-responses": {"DEFAULT_4XX": {"responseParameters": {}}},
    "components": {
        "securitySchemes": apidocument.security_schemes(POOL_ARN),
        "schemas": {"Click": {"type": "object"}},
    },
    "paths": {
        "/mysfits/{mysfitId}/like": {
            "post": {
                "security": [{SCHEME: []}],
                "parameters": [{"name": "mysfitId", "in": "path", "required": True}],
                "x-amazon-apigateway-request-validator": "all",
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Click"}}
                    }
                },
                "x-amazon-apigateway-integration": {
                    "type": "http_proxy",
                    "httpMethod": "POST",
                    "uri": "http://nlb.example/mysfits/{mysfitId}/like",
                    "connectionType": "vpc_link",
                    "connectionId": "abc123",
                    "passthroughBehavior": "when_no_match",
                },
            },
            "options": {
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": '{"statusCode": 200}'},
                    "responses": {"default": {"statusCode": "200"}},
                }
            },
        },
        "/{proxy+}": {"x-amazon-apigateway-any-method": {"responses": {}}},
    },
}


def test_the_reader_keeps_what_moto_drops() -> None:
    plan = openapi.read(DOCUMENT)
    assert plan.description == ""  # optional, as on AWS
    authorizer = plan.authorizers[SCHEME]
    assert authorizer["type"] == "COGNITO_USER_POOLS"
    assert authorizer["identitySource"] == "method.request.header.Authorization"
    assert authorizer["authorizerResultTtlInSeconds"] == 300
    like = plan.resources["/mysfits/{mysfitId}/like"]["POST"]
    assert (like.authorization_type, like.authorizer, like.validator) == (
        "COGNITO_USER_POOLS",
        SCHEME,
        "all",
    )
    assert like.request_parameters == {"method.request.path.mysfitId": True}
    assert like.request_models == {"application/json": "Click"}
    assert like.integration is not None
    assert like.integration["type"] == "HTTP_PROXY"
    assert like.integration["connectionType"] == "VPC_LINK"
    assert like.integration["connectionId"] == "abc123"
    options = plan.resources["/mysfits/{mysfitId}/like"]["OPTIONS"]
    assert options.integration is not None and options.integration["type"] == "MOCK"
    assert options.integration_responses[0]["selection_pattern"] == ""
    assert "ANY" in plan.resources["/{proxy+}"]
    assert "DEFAULT_4XX" in plan.gateway_responses


@pytest.mark.parametrize(
    "change, message",
    [
        ({"openapi": "3.1.0"}, "Invalid OpenAPI input."),
        ({"info": {"version": "1"}}, "info.title"),
        ({"x-amazon-apigateway-request-validators": {}}, "request validator"),
        ({"paths": {"/a": {"get": {"security": [{"Nobody": []}]}}}}, "Nobody"),
        ({"paths": {"/{p+}/x": {"get": {}}}}, "greedy"),
        (
            {"paths": {"/a": {"get": {"x-amazon-apigateway-integration": {"type": "http"}}}}},
            "uri is required",
        ),
        (
            {
                "paths": {
                    "/a": {
                        "get": {
                            "x-amazon-apigateway-integration": {
                                "type": "http_proxy",
                                "uri": "http://x/",
                                "connectionType": "VPC_LINK",
                            }
                        }
                    }
                }
            },
            "connectionId",
        ),
    ],
)
def test_the_reader_refuses_what_aws_refuses(change: dict[str, object], message: str) -> None:
    with pytest.raises(openapi.ImportProblem, match=message.replace(".", r"\.")):
        openapi.read({**DOCUMENT, **change})


def test_swagger_2_is_read_too() -> None:
    plan = openapi.read({"swagger": "2.0", "info": {"title": "s"}, "paths": {"/": {"get": {}}}})
    assert "GET" in plan.resources["/"]


# -- gateway responses -----------------------------------------------------------------------


def test_default_bodies_are_compact_json_with_aws_error_types() -> None:
    status, headers, body = render(GatewayError("UNAUTHORIZED"), {}, {}, "r1")
    assert (status, body) == (401, b'{"message":"Unauthorized"}')
    assert ("x-amzn-ErrorType", "UnauthorizedException") in headers
    status, _, body = render(GatewayError("MISSING_AUTHENTICATION_TOKEN"), {}, {}, "r1")
    assert (status, body) == (403, b'{"message":"Missing Authentication Token"}')
    status, _, body = render(GatewayError("THROTTLED"), {}, {}, "r1")
    assert (status, body) == (429, b'{"message":"Too Many Requests"}')


def test_default_4xx_headers_apply_to_unconfigured_types_and_own_configuration_wins() -> None:
    configured = {
        "DEFAULT_4XX": {
            "responseParameters": {
                "gatewayresponse.header.Access-Control-Allow-Origin": "'*'",
                "gatewayresponse.header.X-Echo": "method.request.header.x-who",
            }
        },
        "THROTTLED": {"statusCode": "503", "responseTemplates": {"application/json": "slow down"}},
    }
    status, headers, _ = render(GatewayError("UNAUTHORIZED"), configured, {"x-who": "me"}, "r")
    assert status == 401
    assert ("Access-Control-Allow-Origin", "*") in headers and ("X-Echo", "me") in headers
    status, headers, body = render(GatewayError("THROTTLED"), configured, {}, "r")
    assert (status, body) == (503, b"slow down")
    assert ("Access-Control-Allow-Origin", "*") not in headers
    status, headers, _ = render(GatewayError("INTEGRATION_FAILURE"), configured, {}, "r")
    assert status == 500 and ("Access-Control-Allow-Origin", "*") not in headers


def test_integration_responses_are_chosen_by_pattern_then_default() -> None:
    responses = (
        IntegrationResponse("200", "", {}, {}),
        IntegrationResponse("400", "4\\d\\d", {}, {}),
    )
    assert select_response(responses, "404").status_code == "400"  # type: ignore[union-attr]
    assert select_response(responses, "200").status_code == "200"  # type: ignore[union-attr]
    assert select_response(responses[1:], "500") is None


# -- mapping templates -----------------------------------------------------------------------


def test_templates_see_input_context_and_util() -> None:
    variables = {
        "input": Input('{"mysfitId": "m1", "tags": ["a", "b"]}', {"id": "p"}, {"q": "1"}, {}),
        "context": {"requestId": "r-1", "requestTimeEpoch": 1700000000000},
    }
    template = (
        '{"id": "$context.requestId", "at": $context.requestTimeEpoch, '
        "\"m\": $input.json('$.mysfitId'), \"n\": $input.path('$.tags').size(), "
        '"b": "$util.base64Encode($input.body)", "p": "$input.params(\'id\')"}'
    )
    rendered = json.loads(render_template(template, variables))
    assert rendered["id"] == "r-1" and rendered["at"] == 1700000000000
    assert (rendered["m"], rendered["n"], rendered["p"]) == ("m1", 2, "p")
    assert base64.b64decode(rendered["b"]).decode() == variables["input"].body  # type: ignore[attr-defined]


def test_json_path_subset() -> None:
    document = {"a": {"b": [10, {"c": "x"}]}, "d e": 1}
    assert json_path(document, "$.a.b[1].c") == "x"
    assert json_path(document, "$['d e']") == 1
    assert json_path(document, "$.missing.deeper") is None


# -- ws.url for API stages -------------------------------------------------------------------

PAIRS = [
    ("https://abc.execute-api.us-east-1.amazonaws.com/prod", "http://127.0.0.1:5001/prod"),
    ("https://abc.execute-api.us-east-1.amazonaws.com/beta", "http://127.0.0.1:5002/beta"),
    ("http://site.s3-website-us-east-1.amazonaws.com", "http://127.0.0.1:5003"),
]


@pytest.mark.parametrize(
    "aws, local",
    [
        (
            "https://abc.execute-api.us-east-1.amazonaws.com/prod/mysfits?x=1",
            "http://127.0.0.1:5001/prod/mysfits?x=1",
        ),
        ("https://abc.execute-api.us-east-1.amazonaws.com/beta", "http://127.0.0.1:5002/beta"),
        ("http://site.s3-website-us-east-1.amazonaws.com/a.html", "http://127.0.0.1:5003/a.html"),
    ],
)
def test_stage_urls_map_both_ways(aws: str, local: str) -> None:
    assert _map_url(aws, PAIRS) == local
    assert _map_url(local, [(b, a) for a, b in PAIRS]) == aws


def test_an_unknown_stage_maps_nowhere() -> None:
    assert _map_url("https://abc.execute-api.us-east-1.amazonaws.com/prodx/m", PAIRS) is None


# -- AWS-service integrations and body validation (phase 2) ----------------------------------


def test_aws_integration_uris_name_service_region_and_action() -> None:
    from mysfits.local.apigateway.awsintegration import Target, parse_uri

    uri = "arn:aws:apigateway:eu-west-1:firehose:action/PutRecord"
    assert parse_uri(uri) == Target("eu-west-1", "firehose", "PutRecord")
    for bad in ("arn:aws:apigateway:eu-west-1:s3:path/bucket/key", "http://example.com/"):
        with pytest.raises(GatewayError):
            parse_uri(bad)


def test_a_json_service_call_is_signed_and_targeted() -> None:
    from mysfits.local.apigateway.awsintegration import Target, signed_request

    data = signed_request(
        "http://127.0.0.1:4566", Target("us-east-1", "firehose", "PutRecord"), b"{}"
    )
    head = data.split(b"\r\n\r\n", 1)[0].decode()
    assert head.startswith("POST / HTTP/1.1\r\nHost: 127.0.0.1:4566")
    assert "X-Amz-Target: Firehose_20150804.PutRecord" in head
    assert "Content-Type: application/x-amz-json-1.1" in head
    assert (
        "Authorization: AWS4-HMAC-SHA256 Credential=" in head and "/firehose/aws4_request" in head
    )


def test_the_service_answer_is_mapped_by_the_integration_responses() -> None:
    from mysfits.local.apigateway.awsintegration import method_response
    from mysfits.local.apigateway.deployments import Integration

    integration = Integration(
        "AWS",
        "arn:aws:apigateway:us-east-1:firehose:action/PutRecord",
        "POST",
        "INTERNET",
        None,
        {},
        {},
        "NEVER",
        29000,
        None,
        (
            IntegrationResponse(
                "200", "", {"application/json": '{"clickId": "$context.requestId"}'}, {}
            ),
            IntegrationResponse("400", "4\\d{2}", {}, {"method.response.header.X-Why": "'client'"}),
        ),
    )
    variables = {"context": {"requestId": "r-9"}}
    ok = method_response(integration, 200, b'{"RecordId": "x"}', variables)
    assert (ok.status, json.loads(ok.body)) == (200, {"clickId": "r-9"})
    refused = method_response(integration, 400, b'{"message": "no such stream"}', variables)
    assert (refused.status, refused.body) == (400, b'{"message": "no such stream"}')
    assert ("X-Why", "client") in refused.headers


MODELS = {
    "Click": json.dumps(
        {
            "type": "object",
            "required": ["mysfitId"],
            "properties": {
                "mysfitId": {"type": "string"},
                "user": {"$ref": "#/components/schemas/User"},
            },
        }
    ),
    "User": json.dumps({"type": "object", "required": ["id"]}),
}


@pytest.mark.parametrize(
    "body, valid",
    [
        (b'{"mysfitId": "m1"}', True),
        (b'{"mysfitId": "m1", "user": {"id": "u"}}', True),
        (b'{"mysfitId": 7}', False),
        (b"{}", False),
        (b'{"mysfitId": "m1", "user": {}}', False),  # the referenced model applies too
        (b"not json", False),
    ],
)
def test_bodies_are_validated_against_the_model(body: bytes, valid: bool) -> None:
    from mysfits.local.apigateway.validation import validate_body

    check = lambda: validate_body(body, "application/json", {"application/json": "Click"}, MODELS)  # noqa: E731
    if valid:
        check()
    else:
        with pytest.raises(GatewayError) as raised:
            check()
        assert raised.value.response_type == "BAD_REQUEST_BODY"


def test_a_content_type_without_a_model_is_not_validated() -> None:
    from mysfits.local.apigateway.validation import validate_body

    validate_body(b"anything", "text/plain", {"application/json": "Click"}, MODELS)


# -- request ids -----------------------------------------------------------------------------


def test_request_ids_are_distinct_uuid4s_and_apigw_ids_keep_aws_shape() -> None:
    ids = RequestIds()
    request_ids = [ids.request_id() for _ in range(1000)]
    assert len(set(request_ids)) == 1000
    assert {uuid.UUID(value).version for value in request_ids} == {4}
    apigw = ids.apigw_id()
    assert len(apigw) == 16 and apigw.endswith("=") and base64.b64decode(apigw[:-1] + "A")
    assert RequestIds().request_id() not in request_ids  # each stage seeds its own generator
