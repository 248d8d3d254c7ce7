"""API Gateway on the local cloud: an imported REST API served for real on its stage's URL.

The Mysfits service runs behind an NLB with a security group (`guarded_service`); the API is
imported from an OpenAPI 3.0 document as module 4 writes it: every route HTTP_PROXY over a VPC
link, like and adopt behind a COGNITO_USER_POOLS authorizer, CORS preflights answered by MOCK
integrations, DEFAULT_4XX/5XX gateway responses carrying CORS headers. Routing details (path
parameters, greedy paths, query strings, forwarded headers) are checked against a plain loopback
HTTP server that echoes what it received.
"""

from __future__ import annotations

import base64
import http.server
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
import requests
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.asymmetric import rsa

from mysfits import apidocument
from mysfits.workshop import Workshop

from .conftest import GuardedService
from .helpers import poll

pytestmark = pytest.mark.integration

GRETTA = "a90780e4-7dd7-515e-baba-52b2038f1870"
PASSWORD = "Mysfits-2024"
CORS = {
    "gatewayresponse.header.Access-Control-Allow-Origin": "'*'",
    "gatewayresponse.header.Access-Control-Allow-Headers": "'Content-Type,Authorization'",
}


def _proxy(uri: str, method: str, link_id: str | None, params: tuple[str, ...] = ()) -> Any:
    integration: dict[str, Any] = {
        "type": "http_proxy",
        "httpMethod": method,
        "uri": uri,
        "passthroughBehavior": "when_no_match",
        "requestParameters": {
            f"integration.request.path.{p}": f"method.request.path.{p}" for p in params
        },
    }
    if link_id:
        integration.update(connectionType="VPC_LINK", connectionId=link_id)
    return {
        "parameters": [{"name": p, "in": "path", "required": True} for p in params],
        "responses": {"200": {"description": "the service's answer"}},
        "x-amazon-apigateway-integration": integration,
    }


def _preflight(methods: str) -> dict[str, Any]:
    headers = {
        "method.response.header.Access-Control-Allow-Origin": "'*'",
        "method.response.header.Access-Control-Allow-Methods": f"'{methods}'",
        "method.response.header.Access-Control-Allow-Headers": "'Content-Type,Authorization'",
    }
    return {
        "responses": {"200": {"description": "CORS", "headers": {h: {} for h in headers}}},
        "x-amazon-apigateway-integration": {
            "type": "mock",
            "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "passthroughBehavior": "never",
            "responses": {"default": {"statusCode": "200", "responseParameters": headers}},
        },
    }


def mysfits_document(base: str, link_id: str | None, pool_arn: str) -> dict[str, Any]:
    """The service's routes as module 4 imports them (`base`: the backend's AWS URL)."""
    secured = {"security": [{apidocument.AUTHORIZER: []}]}
    one = ("mysfitId",)
    return {
        "openapi": "3.0.1",
        "info": {"title": f"mysfits-{uuid.uuid4().hex[:6]}", "version": "4"},
        "x-amazon-apigateway-gateway-responses": {
            "DEFAULT_4XX": {"responseParameters": CORS},
            "DEFAULT_5XX": {"responseParameters": CORS},
        },
        "components": {"securitySchemes": apidocument.security_schemes(pool_arn)},
        "paths": {
            "/": {"get": _proxy(f"{base}/", "GET", link_id)},
            "/mysfits": {
                "get": _proxy(f"{base}/mysfits", "GET", link_id),
                "options": _preflight("GET,OPTIONS"),
            },
            "/mysfits/{mysfitId}": {
                "get": _proxy(f"{base}/mysfits/{{mysfitId}}", "GET", link_id, one)
            },
            "/mysfits/{mysfitId}/like": {
                "post": {
                    **_proxy(f"{base}/mysfits/{{mysfitId}}/like", "POST", link_id, one),
                    **secured,
                },
                "options": _preflight("POST,OPTIONS"),
            },
            "/mysfits/{mysfitId}/adopt": {
                "post": {
                    **_proxy(f"{base}/mysfits/{{mysfitId}}/adopt", "POST", link_id, one),
                    **secured,
                },
                "options": _preflight("POST,OPTIONS"),
            },
        },
    }


@dataclass(frozen=True)
class Users:
    pool_arn: str
    id_token: str
    access_token: str
    other_pool_token: str
    expiring_token: str  # valid for two seconds


def _pool_with_user(ws: Workshop, name: str, id_seconds: int | None = None) -> tuple[str, dict]:
    idp = ws.client("cognito-idp")
    pool = idp.create_user_pool(PoolName=f"{ws.prefix}-{name}", UsernameAttributes=["email"])
    pool_id = pool["UserPool"]["Id"]
    lifetime: dict[str, Any] = {}
    if id_seconds:
        lifetime = {"IdTokenValidity": id_seconds, "TokenValidityUnits": {"IdToken": "seconds"}}
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="site",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        **lifetime,
    )["UserPoolClient"]["ClientId"]
    email = f"learner-{uuid.uuid4().hex[:6]}@example.com"
    idp.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS")
    idp.admin_set_user_password(
        UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True
    )
    tokens = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    return pool["UserPool"]["Arn"], tokens


@contextmanager
def private_api(ws: Workshop, balancer_arn: str, pool_arn: str | None = None) -> Iterator[str]:
    """The Mysfits API over a VPC link to the NLB `balancer_arn`, deployed to `prod`: its local
    URL."""
    apigw = ws.client("apigateway")
    if pool_arn is None:
        pool_arn, _ = _pool_with_user(ws, f"p{uuid.uuid4().hex[:4]}")
    link = apigw.create_vpc_link(name=f"{ws.prefix}-link", targetArns=[balancer_arn])
    api_id = None
    try:
        poll(
            lambda: apigw.get_vpc_link(vpcLinkId=link["id"])["status"] == "AVAILABLE",
            30,
            "the VPC link",
        )
        dns = ws.client("elbv2").describe_load_balancers(LoadBalancerArns=[balancer_arn])[
            "LoadBalancers"
        ][0]["DNSName"]
        document = mysfits_document(f"http://{dns}", link["id"], pool_arn)
        api_id = apigw.import_rest_api(body=json.dumps(document).encode())["id"]
        apigw.create_deployment(restApiId=api_id, stageName="prod")
        yield ws.url(f"https://{api_id}.execute-api.{ws.region}.amazonaws.com/prod")
    finally:
        if api_id:
            apigw.delete_rest_api(restApiId=api_id)
        apigw.delete_vpc_link(vpcLinkId=link["id"])


@pytest.fixture(scope="module")
def users(guarded_service: GuardedService) -> Users:
    ws = guarded_service.ws
    pool_arn, tokens = _pool_with_user(ws, "users")
    _, other = _pool_with_user(ws, "others")
    _, short = _pool_with_user(ws, "short", id_seconds=2)
    return Users(
        pool_arn, tokens["IdToken"], tokens["AccessToken"], other["IdToken"], short["IdToken"]
    )


@pytest.fixture(scope="module")
def stage(guarded_service: GuardedService, users: Users) -> Iterator[str]:
    with private_api(guarded_service.ws, guarded_service.balancer_arn, users.pool_arn) as url:
        yield url


def _likes(stage: str) -> int:
    answer = requests.get(f"{stage}/mysfits/{GRETTA}", timeout=10)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["likes"])


def test_get_mysfits_through_the_stage(stage: str) -> None:
    answer = requests.get(f"{stage}/mysfits", timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["mysfits"]
    assert answer.headers["x-amzn-RequestId"]
    filtered = requests.get(f"{stage}/mysfits?filter=GoodEvil&value=Evil", timeout=10).json()
    assert {m["goodEvil"] for m in filtered["mysfits"]} == {"Evil"}


def test_like_without_a_token_is_unauthorized_with_cors_headers(stage: str) -> None:
    answer = requests.post(f"{stage}/mysfits/{GRETTA}/like", timeout=10)
    assert (answer.status_code, answer.text) == (401, '{"message":"Unauthorized"}')
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert answer.headers["x-amzn-RequestId"]


def _resigned(token: str) -> str:
    """The same header and claims, signed with a key that is not the pool's."""
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": header["kid"]})


def _alg_none(token: str) -> str:
    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode(claims, key=None, algorithm="none")


def _tampered(token: str) -> str:
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = str(uuid.uuid4())
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{forged}.{signature}"


def _expired(users: Users) -> str:
    token = users.expiring_token
    expiry = jwt.decode(token, options={"verify_signature": False})["exp"]
    while time.time() <= expiry:
        time.sleep(0.2)
    return token


BAD_TOKENS = {
    "another key": lambda u: _resigned(u.id_token),
    "another pool": lambda u: u.other_pool_token,
    "expired": _expired,
    "alg none": lambda u: _alg_none(u.id_token),
    "tampered payload": lambda u: _tampered(u.id_token),
    "access token without scopes": lambda u: u.access_token,
    "Bearer prefix": lambda u: f"Bearer {u.id_token}",
}


@pytest.mark.parametrize("kind", list(BAD_TOKENS))
def test_bad_tokens_are_unauthorized(stage: str, users: Users, kind: str) -> None:
    before = _likes(stage)
    token = BAD_TOKENS[kind](users)
    answer = requests.post(
        f"{stage}/mysfits/{GRETTA}/like", headers={"Authorization": token}, timeout=10
    )
    assert (answer.status_code, answer.json()) == (401, {"message": "Unauthorized"})
    assert _likes(stage) == before


def test_a_valid_token_likes_once(stage: str, users: Users) -> None:
    before = _likes(stage)
    answer = requests.post(
        f"{stage}/mysfits/{GRETTA}/like", headers={"Authorization": users.id_token}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    assert _likes(stage) == before + 1


def test_an_unknown_route_is_missing_authentication_token(stage: str) -> None:
    for method, path in (("GET", "/nothing"), ("DELETE", "/mysfits"), ("GET", "/mysfits/a/b/c")):
        answer = requests.request(method, f"{stage}{path}", timeout=10)
        assert (answer.status_code, answer.text) == (
            403,
            '{"message":"Missing Authentication Token"}',
        )
        assert answer.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_a_preflight_is_answered_by_the_mock(stage: str) -> None:
    answer = requests.options(
        f"{stage}/mysfits/{GRETTA}/like",
        headers={"Origin": "http://site.example", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert answer.headers["Access-Control-Allow-Methods"] == "POST,OPTIONS"
    assert "Authorization" in answer.headers["Access-Control-Allow-Headers"]


def test_the_control_plane_keeps_what_the_document_said(
    guarded_service: GuardedService, stage: str
) -> None:
    apigw = guarded_service.ws.client("apigateway")
    api_id = guarded_service.ws.aws_url(stage).split("//", 1)[1].split(".", 1)[0]
    resources = apigw.get_resources(restApiId=api_id, embed=["methods"])["items"]
    like = next(r for r in resources if r["path"] == "/mysfits/{mysfitId}/like")
    post = like["resourceMethods"]["POST"]
    assert post["authorizationType"] == "COGNITO_USER_POOLS"
    integration = post["methodIntegration"]
    assert (integration["type"], integration["connectionType"]) == ("HTTP_PROXY", "VPC_LINK")
    assert integration["connectionId"]
    assert apigw.get_vpc_link(vpcLinkId=integration["connectionId"])["status"] == "AVAILABLE"
    authorizer = apigw.get_authorizer(restApiId=api_id, authorizerId=post["authorizerId"])
    assert authorizer["type"] == "COGNITO_USER_POOLS"
    assert authorizer["identitySource"] == "method.request.header.Authorization"
    types = {r["responseType"] for r in apigw.get_gateway_responses(restApiId=api_id)["items"]}
    assert {"DEFAULT_4XX", "DEFAULT_5XX"} <= types


def test_a_new_vpc_link_is_pending_first(guarded_service: GuardedService) -> None:
    apigw = guarded_service.ws.client("apigateway")
    link = apigw.create_vpc_link(name="pending", targetArns=[guarded_service.balancer_arn])
    try:
        assert link["status"] == "PENDING"
        poll(
            lambda: apigw.get_vpc_link(vpcLinkId=link["id"])["status"] == "AVAILABLE",
            30,
            "the VPC link",
        )
    finally:
        apigw.delete_vpc_link(vpcLinkId=link["id"])


def test_a_refused_import_leaves_no_api(ws: Workshop) -> None:
    apigw = ws.client("apigateway")
    before = {a["id"] for a in apigw.get_rest_apis()["items"]}
    document = mysfits_document("http://backend.example", None, "arn:aws:cognito-idp:x")
    for refused in ({**document, "openapi": "3.1.0"}, {**document, "paths": {"/{a+}/b": {}}}):
        with pytest.raises(ClientError) as raised:
            apigw.import_rest_api(body=json.dumps(refused).encode())
        assert raised.value.response["Error"]["Code"] == "BadRequestException"
    assert {a["id"] for a in apigw.get_rest_apis()["items"]} == before


# -- routing, redeploys, stages and throttling against a loopback echo server -------------------


class _Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _echo(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.dumps(
            {
                "method": self.command,
                "path": self.path,
                "host": self.headers.get("Host"),
                "forwarded_for": self.headers.get("X-Forwarded-For"),
                "body": self.rfile.read(length).decode(),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _echo

    def log_message(self, *args: Any) -> None:
        return


@dataclass
class EchoApi:
    ws: Workshop
    api_id: str
    url: str  # the prod stage's local URL
    backend: str


@pytest.fixture(scope="module")
def echo_api(local_cloud: dict[str, object]) -> Iterator[EchoApi]:
    import mysfits

    ws = mysfits.connect(
        "local", prefix=f"e{uuid.uuid4().hex[:8]}", endpoint_url=str(local_cloud["endpoint_url"])
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    backend = f"http://127.0.0.1:{server.server_address[1]}"
    document = {
        "openapi": "3.0.1",
        "info": {"title": f"{ws.prefix}-echo", "version": "1"},
        "paths": {
            "/items/{itemId}": {
                "get": _proxy(f"{backend}/things/{{itemId}}", "GET", None, ("itemId",))
            },
            "/files/{proxy+}": {
                "x-amazon-apigateway-any-method": _proxy(
                    f"{backend}/f/{{proxy}}", "ANY", None, ("proxy",)
                )
            },
        },
    }
    apigw = ws.client("apigateway")
    api_id = apigw.import_rest_api(body=json.dumps(document).encode())["id"]
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    url = ws.url(f"https://{api_id}.execute-api.{ws.region}.amazonaws.com/prod")
    try:
        yield EchoApi(ws, api_id, url, backend)
    finally:
        apigw.delete_rest_api(restApiId=api_id)
        server.shutdown()


def test_path_parameters_greedy_paths_and_query_strings_reach_the_backend(
    echo_api: EchoApi,
) -> None:
    one = requests.get(f"{echo_api.url}/items/a%20b?x=1&y=2", timeout=10).json()
    assert one["path"] == "/things/a%20b?x=1&y=2"
    assert one["host"] == echo_api.backend.removeprefix("http://")
    many = requests.put(f"{echo_api.url}/files/deep/er/file.txt", data="hello", timeout=10).json()
    assert (many["method"], many["path"], many["body"]) == ("PUT", "/f/deep/er/file.txt", "hello")


def test_the_client_address_is_appended_to_x_forwarded_for(echo_api: EchoApi) -> None:
    alone = requests.get(f"{echo_api.url}/items/1", timeout=10).json()
    assert alone["forwarded_for"] == "127.0.0.1"
    chained = requests.get(
        f"{echo_api.url}/items/1", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10
    ).json()
    assert chained["forwarded_for"] == "203.0.113.9, 127.0.0.1"


def test_a_change_is_served_only_after_a_redeploy(echo_api: EchoApi) -> None:
    apigw = echo_api.ws.client("apigateway")
    addition = {
        "openapi": "3.0.1",
        "info": {"title": "addition", "version": "1"},
        "paths": {"/hello": {"get": _preflight("GET")}},
    }
    apigw.put_rest_api(restApiId=echo_api.api_id, mode="merge", body=json.dumps(addition).encode())
    assert requests.get(f"{echo_api.url}/hello", timeout=10).status_code == 403
    apigw.create_deployment(restApiId=echo_api.api_id, stageName="prod")
    answer = requests.get(f"{echo_api.url}/hello", timeout=10)
    assert answer.status_code == 200 and answer.headers["Access-Control-Allow-Methods"] == "GET"
    assert requests.get(f"{echo_api.url}/items/1", timeout=10).status_code == 200  # merged


def test_each_stage_has_its_own_port_and_deleting_one_closes_it(echo_api: EchoApi) -> None:
    apigw, ws = echo_api.ws.client("apigateway"), echo_api.ws
    deployment = apigw.create_deployment(restApiId=echo_api.api_id)["id"]
    apigw.create_stage(restApiId=echo_api.api_id, stageName="beta", deploymentId=deployment)
    aws_beta = f"https://{echo_api.api_id}.execute-api.{ws.region}.amazonaws.com/beta"
    beta = ws.url(aws_beta)
    assert beta.split("/beta")[0] != echo_api.url.split("/prod")[0]
    assert ws.aws_url(f"{beta}/items/1") == f"{aws_beta}/items/1"
    assert requests.get(f"{beta}/items/1", timeout=10).status_code == 200
    apigw.delete_stage(restApiId=echo_api.api_id, stageName="beta")
    ws.endpoints()  # the local cloud brings its endpoints in line when asked
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{beta}/items/1", timeout=10)
    assert requests.get(f"{echo_api.url}/items/1", timeout=10).status_code == 200


def test_stage_throttling_answers_429(echo_api: EchoApi) -> None:
    apigw = echo_api.ws.client("apigateway")
    limits = [("rateLimit", "0.001"), ("burstLimit", "1")]  # one request, then none for 1000 s
    apigw.update_stage(
        restApiId=echo_api.api_id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": f"/*/*/throttling/{k}", "value": v} for k, v in limits
        ],
    )
    try:
        assert requests.get(f"{echo_api.url}/items/1", timeout=10).status_code == 200
        answer = requests.get(f"{echo_api.url}/items/1", timeout=10)
        assert (answer.status_code, answer.text) == (429, '{"message":"Too Many Requests"}')
    finally:
        apigw.update_stage(
            restApiId=echo_api.api_id,
            stageName="prod",
            patchOperations=[
                {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "10000"},
                {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "5000"},
            ],
        )
    assert requests.get(f"{echo_api.url}/items/1", timeout=10).status_code == 200


# -- AWS-service integrations with mapping templates, models and validators ----------------------

CLICK_TEMPLATE = (
    '#set($click = "{""mysfitId"": $input.json(\'$.mysfitId\'), '
    '""clickId"": ""$context.requestId"", ""requestTime"": $context.requestTimeEpoch}")\n'
    '{"DeliveryStreamName": "$stageVariables.stream", '
    '"Record": {"Data": "$util.base64Encode($click)"}}'
).replace('""', '\\"')
ITEM_TEMPLATE = (
    '{"TableName": "$stageVariables.table", "Item": {'
    '"clickId": {"S": "$context.requestId"}, '
    '"mysfitId": {"S": $input.json(\'$.mysfitId\')}, '
    '"requestTime": {"N": "$context.requestTimeEpoch"}}}'
)


def _aws_route(ws: Workshop, uri_service: str, action: str, template: str, role: str) -> Any:
    return {
        "post": {
            "x-amazon-apigateway-request-validator": "body",
            "requestBody": {
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Click"}}}
            },
            "responses": {"200": {"description": "recorded"}},
            "x-amazon-apigateway-integration": {
                "type": "aws",
                "httpMethod": "POST",
                "uri": f"arn:aws:apigateway:{ws.region}:{uri_service}:action/{action}",
                "credentials": role,
                "passthroughBehavior": "never",
                "requestTemplates": {"application/json": template},
                "responses": {
                    "default": {
                        "statusCode": "200",
                        "responseTemplates": {
                            "application/json": '{"clickId": "$context.requestId"}'
                        },
                    },
                    "4\\d{2}": {"statusCode": "400"},
                    "5\\d{2}": {"statusCode": "500"},
                },
            },
        }
    }


@dataclass
class ClickApi:
    ws: Workshop
    url: str
    table: str


@pytest.fixture(scope="module")
def click_api(local_cloud: dict[str, object]) -> Iterator[ClickApi]:
    import mysfits

    ws = mysfits.connect(
        "local", prefix=f"c{uuid.uuid4().hex[:8]}", endpoint_url=str(local_cloud["endpoint_url"])
    )
    role = ws.client("iam").create_role(
        RoleName=f"{ws.prefix}-apigw", AssumeRolePolicyDocument=json.dumps({"Statement": []})
    )["Role"]["Arn"]
    table = f"{ws.prefix}-clicks"
    ws.client("dynamodb").create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "clickId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "clickId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    document = {
        "openapi": "3.0.1",
        "info": {"title": f"{ws.prefix}-clicks", "version": "5"},
        "x-amazon-apigateway-request-validators": {
            "body": {"validateRequestBody": True, "validateRequestParameters": False}
        },
        "components": {
            "schemas": {
                "Click": {
                    "type": "object",
                    "required": ["mysfitId"],
                    "properties": {"mysfitId": {"type": "string"}, "userId": {"type": "string"}},
                }
            }
        },
        "paths": {
            "/clicks": _aws_route(ws, "firehose", "PutRecord", CLICK_TEMPLATE, role),
            "/stored-clicks": _aws_route(ws, "dynamodb", "PutItem", ITEM_TEMPLATE, role),
        },
    }
    apigw = ws.client("apigateway")
    api_id = apigw.import_rest_api(body=json.dumps(document).encode())["id"]
    apigw.create_deployment(
        restApiId=api_id,
        stageName="prod",
        variables={"stream": f"{ws.prefix}-missing", "table": table},
    )
    url = ws.url(f"https://{api_id}.execute-api.{ws.region}.amazonaws.com/prod")
    try:
        yield ClickApi(ws, url, table)
    finally:
        apigw.delete_rest_api(restApiId=api_id)
        ws.client("dynamodb").delete_table(TableName=table)
        ws.client("iam").delete_role(RoleName=f"{ws.prefix}-apigw")


def test_an_aws_integration_writes_what_the_template_renders(click_api: ClickApi) -> None:
    answer = requests.post(f"{click_api.url}/stored-clicks", json={"mysfitId": GRETTA}, timeout=10)
    assert answer.status_code == 200, answer.text
    click_id = answer.json()["clickId"]
    assert click_id == answer.headers["x-amzn-RequestId"]
    item = click_api.ws.client("dynamodb").get_item(
        TableName=click_api.table, Key={"clickId": {"S": click_id}}
    )["Item"]
    assert item["mysfitId"] == {"S": GRETTA}
    assert abs(int(item["requestTime"]["N"]) - time.time() * 1000) < 600_000  # epoch ms


def test_a_service_error_passes_through_its_integration_response(click_api: ClickApi) -> None:
    answer = requests.post(f"{click_api.url}/clicks", json={"mysfitId": GRETTA}, timeout=10)
    assert answer.status_code == 400  # the stage variable names a stream that does not exist
    assert answer.json()["__type"] == "ResourceNotFoundException"


@pytest.mark.parametrize("body", [{"nope": 1}, {"mysfitId": 7}, "not json"])
def test_a_body_the_model_refuses_is_invalid(click_api: ClickApi, body: Any) -> None:
    data = body if isinstance(body, str) else json.dumps(body)
    answer = requests.post(
        f"{click_api.url}/stored-clicks",
        data=data,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert (answer.status_code, answer.json()) == (400, {"message": "Invalid request body"})
