"""Requests per second and latency of `GET /mysfits` through a local API Gateway stage, against
the NLB it reaches over a VPC link, measured in the same run.

Deploys notebook 02's service (two tasks behind the NLB), a VPC link to the NLB and a REST API
with `GET /mysfits` (HTTP_PROXY over the link) and `GET /secure/mysfits` (the same, behind a
COGNITO_USER_POOLS authorizer), deployed to `prod`. For each concurrency level, each client keeps
one connection and sends requests back to back (the asyncio client of api_throughput.py).

Prints: rps and p50/p99 for the NLB and the stage, the ratio stage/NLB (target >= 0.6x at 32
clients, p99 < 50 ms), and what a cached authorizer decision costs: in-process (the decision
cache's lookup) and end to end (p50 of the secured route minus the open one at one client);
target < 1 ms. Reported, not asserted.

Run: .venv/bin/python benchmarks/api_gateway.py [--duration 5] [--clients 1,8,32]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from typing import Any

# Run as a script, the benchmarks folder is on the path: the load generator and the deployment
# are api_throughput's.
from api_throughput import Result, _cli, deploy, python_client, start_cloud

PASSWORD = "Bench-mark-2024"


def _route(uri: str, link_id: str, secured: bool) -> dict[str, Any]:
    from mysfits import apidocument

    operation: dict[str, Any] = {
        "responses": {"200": {"description": "the service's answer"}},
        "x-amazon-apigateway-integration": {
            "type": "http_proxy",
            "httpMethod": "GET",
            "uri": uri,
            "connectionType": "VPC_LINK",
            "connectionId": link_id,
        },
    }
    if secured:
        operation["security"] = [{apidocument.AUTHORIZER: []}]
    return {"get": operation}


def deploy_api(ws: Any, balancer: Any, pool_arn: str) -> str:
    """The VPC link and the API, deployed to `prod`; the stage's local URL."""
    from mysfits import apidocument

    apigw = ws.client("apigateway")
    link = apigw.create_vpc_link(name="bench", targetArns=[balancer.arn])["id"]
    while apigw.get_vpc_link(vpcLinkId=link)["status"] != "AVAILABLE":
        time.sleep(0.2)
    document = {
        "openapi": "3.0.1",
        "info": {"title": "bench", "version": "1"},
        "components": {"securitySchemes": apidocument.security_schemes(pool_arn)},
        "paths": {
            "/mysfits": _route(f"{balancer.aws_url}/mysfits", link, secured=False),
            "/secure/mysfits": _route(f"{balancer.aws_url}/mysfits", link, secured=True),
        },
    }
    api = apigw.import_rest_api(body=json.dumps(document).encode())["id"]
    apigw.create_deployment(restApiId=api, stageName="prod")
    return str(ws.url(f"https://{api}.execute-api.{ws.region}.amazonaws.com/prod"))


def id_token(ws: Any) -> tuple[str, str]:
    """A pool, a user and their ID token: (pool ARN, token)."""
    idp = ws.client("cognito-idp")
    pool = idp.create_user_pool(PoolName="bench", UsernameAttributes=["email"])["UserPool"]
    client = idp.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="bench", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    email = f"bench-{uuid.uuid4().hex[:6]}@example.com"
    idp.admin_create_user(UserPoolId=pool["Id"], Username=email, MessageAction="SUPPRESS")
    idp.admin_set_user_password(
        UserPoolId=pool["Id"], Username=email, Password=PASSWORD, Permanent=True
    )
    tokens = idp.initiate_auth(
        ClientId=client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    return pool["Arn"], tokens["IdToken"]


def cached_decision_us(repeats: int = 20000) -> float:
    """Microseconds per authorization the decision cache answers (the token passed once)."""
    from mysfits.local.apigateway.authorizers import DecisionCache
    from mysfits.local.apigateway.deployments import Authorizer
    from mysfits.local.cognito.keys import PoolKeys

    keys, pool = PoolKeys(), "us-east-1_bench"
    issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{pool}"
    now = int(time.time())
    token = keys.sign({"sub": "u", "iss": issuer, "token_use": "id", "exp": now + 3600, "iat": now})
    arn = f"arn:aws:cognito-idp:us-east-1:123456789012:userpool/{pool}"
    authorizer = Authorizer("a", "COGNITO_USER_POOLS", (arn,), "x", 300, None)
    cache = DecisionCache()
    cache.authorize(token, authorizer, (), lambda _: keys.jwks())
    started = time.perf_counter()
    for _ in range(repeats):
        cache.authorize(token, authorizer, (), lambda _: keys.jwks())
    return (time.perf_counter() - started) / repeats * 1e6


def _row(clients: int, name: str, result: Result) -> str:
    return (
        f"{clients:>7}  {name:<6}  {result.requests:>8}  {result.rps:>8.0f}  "
        f"{result.p50_ms:>7.2f}  {result.p99_ms:>7.2f}  {result.errors:>6}"
    )


def measure(targets: dict[str, str], levels: list[int], duration: float) -> dict[Any, Result]:
    results: dict[tuple[int, str], Result] = {}
    print(
        f"{'clients':>7}  {'target':<6}  {'requests':>8}  {'rps':>8}  {'p50 ms':>7}  "
        f"{'p99 ms':>7}  {'errors':>6}"
    )
    for clients in levels:
        for name, url in targets.items():
            results[(clients, name)] = python_client(url, clients, duration)
            print(_row(clients, name, results[(clients, name)]), flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per cell")
    parser.add_argument("--clients", default="1,8,32", help="concurrency levels")
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]

    import mysfits
    from mysfits import cleanup

    env, status = start_cloud()
    ws = None
    try:
        ws = mysfits.connect("local", prefix="bench-apigw", endpoint_url=status["endpoint_url"])
        balancer = deploy(ws, table=False)
        pool_arn, token = id_token(ws)
        stage = deploy_api(ws, balancer, pool_arn)
        targets = {"nlb": balancer.url, "stage": stage}
        for url in targets.values():
            python_client(url, 8, 1.0)  # warm both paths (connections, caches, imports)
        print(f"GET /mysfits, {args.duration:g} s per cell; {os.cpu_count()} CPUs")
        print(f"  NLB   {balancer.url}\n  stage {stage}  (HTTP_PROXY over a VPC link)")
        results = measure(targets, levels, args.duration)
        ratios = {c: results[(c, "stage")].rps / max(results[(c, "nlb")].rps, 1e-9) for c in levels}
        print(
            "ratio stage/NLB rps: "
            + ", ".join(f"{c} clients {r:.2f}x" for c, r in ratios.items())
            + f"   (target >= 0.60x at {max(levels)} clients)"
        )
        top = max(levels)
        print(
            f"p99 at {top} clients: stage {results[(top, 'stage')].p99_ms:.1f} ms, "
            f"NLB {results[(top, 'nlb')].p99_ms:.1f} ms   (target < 50 ms)"
        )
        open_one = python_client(stage, 1, args.duration)
        secured = python_client(
            stage.rstrip("/") + "/secure", 1, args.duration, {"Authorization": token}
        )
        print(
            f"cached authorizer decision: {cached_decision_us():.1f} us in-process; "
            f"end to end p50 {secured.p50_ms:.2f} ms secured vs {open_one.p50_ms:.2f} ms open "
            f"= {secured.p50_ms - open_one.p50_ms:+.2f} ms   (target < 1 ms)"
            + (f"; {secured.errors} errors" if secured.errors else "")
        )
    finally:
        if ws is not None:
            for api in ws.client("apigateway").get_rest_apis()["items"]:
                ws.client("apigateway").delete_rest_api(restApiId=api["id"])
            cleanup.delete_everything(ws)
        _cli(env, "local", "stop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
