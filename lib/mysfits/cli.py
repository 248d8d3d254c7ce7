"""The `mysfits` command: the local cloud, the headless runner and cleanup."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests

from .errors import WorkshopError
from .local import client, control


def _print_json(document: object) -> None:
    print(json.dumps(document, indent=2))


def _report_leftovers() -> None:
    ended = control.clear_leftovers()
    if ended:
        print(ended)


def _local_start(args: argparse.Namespace) -> int:
    _report_leftovers()
    if not args.detach:
        running = client.find_running()
        if running is not None:
            print(f"a local cloud is already running at {running.endpoint_url} (pid {running.pid})")
            return 0
        # The server's own bind decides whether the port is free (exit code 3 if not).
        from .local import server

        return server.main(["--port", str(args.port)])
    info, already = control.start_detached(args.port)
    verb = "is already running" if already else "started"
    print(
        f"local cloud {verb} at {info.endpoint_url} (pid {info.pid}); "
        "stop it with `mysfits local stop`"
    )
    return 0


def _local_stop(args: argparse.Namespace) -> int:
    stopped = control.stop()
    _report_leftovers()
    print(
        f"stopped the local cloud (pid {stopped.pid})" if stopped else "no local cloud was running"
    )
    return 0


def _local_status(args: argparse.Namespace) -> int:
    info = client.find_running()
    if info is None:
        _print_json({"running": False, "endpoint_url": None, "pid": None})
        return 1
    _print_json({"running": True, **info.as_json(), **(client.answers(info.endpoint_url) or {})})
    return 0


def _require_running() -> client.LocalCloudInfo:
    info = client.find_running()
    if info is None:
        raise WorkshopError(
            "no local cloud is running: start one with `mysfits local start --detach`"
        )
    return info


def _local_endpoints(args: argparse.Namespace) -> int:
    _print_json(client.endpoints(_require_running().endpoint_url))
    return 0


def _local_reset(args: argparse.Namespace) -> int:
    info = _require_running()
    requests.post(
        f"{info.endpoint_url}{client.CONTROL_PREFIX}/reset", timeout=30
    ).raise_for_status()
    print(f"the local cloud at {info.endpoint_url} now holds no resources")
    return 0


def _local_mail(args: argparse.Namespace) -> int:
    messages = client.mail(_require_running().endpoint_url, to=args.to)
    if not messages:
        whom = f" to {args.to}" if args.to else ""
        print(f"no messages{whom}: a user pool sends one when someone signs up")
        return 0
    for message in messages:
        print(
            f"{message['sent_at']}  {message['medium']:<5} to {message['to']}  "
            f"{message['kind']:<9} code {message['code']}  ({message['subject'] or 'SMS'})"
        )
    return 0


def _run(args: argparse.Namespace) -> int:
    from . import runner

    return runner.main(args)


def _cleanup(args: argparse.Namespace) -> int:
    from . import cleanup
    from .workshop import connect

    ws = connect(target=args.target, region=args.region, prefix=args.prefix)
    found = cleanup.inventory(ws)
    print(
        cleanup.as_table(found).to_string(index=False)
        if found
        else f"nothing of prefix {args.prefix!r} found"
    )
    if args.dry_run or not found:
        return 0
    cleanup.delete_everything(ws)
    check = cleanup.check_nothing_left(ws)
    print(check)
    return 0 if check.ok else 1


REGENERATE = "mysfits learner-policy --write docs/learner-policy.json"


def _learner_policy(args: argparse.Namespace) -> int:
    from . import learnerpolicy, runner

    sources = [Path(p) for p in args.calls] or runner.policy_run(Path(args.output_dir))
    calls = [c for source in sources for c in runner.read_api_calls(source)]
    grants = learnerpolicy.grants_for(calls)
    policy = learnerpolicy.policy_document(grants)
    for kind in sorted(grants.unknown_types):
        print(
            f"warning: no permissions known for {kind} (no schema, or roles passed in a way "
            "stackpermissions.PASSES_ROLE lacks): add them by hand",
            file=sys.stderr,
        )
    text = learnerpolicy.render(policy)
    if args.check:
        return _compare(Path(args.check), text)
    if args.write:
        _write_policy(Path(args.write), policy)
        return 0
    print(text, end="")
    return 0


def _write_policy(path: Path, policy: dict[str, Any]) -> None:
    """The whole policy, and beside it the managed-policy-sized parts to attach."""
    from . import learnerpolicy

    path.write_text(learnerpolicy.render(policy))
    parts = learnerpolicy.managed_parts(policy)
    for stale in path.parent.glob(f"{path.stem}-part-*{path.suffix}"):
        stale.unlink()
    for part, part_path in zip(parts, learnerpolicy.part_paths(path, len(parts)), strict=True):
        part_path.write_text(learnerpolicy.render(part))
    actions = sum(len(s["Action"]) for s in policy["Statement"])
    size, limit = learnerpolicy.policy_size(policy), learnerpolicy.MANAGED_POLICY_LIMIT
    print(
        f"wrote {path}: {actions} actions, {size} characters; IAM allows {limit} per managed "
        f"policy, so attach its {len(parts)} part(s): {path.stem}-part-N{path.suffix}"
    )


def _compare(path: Path, text: str) -> int:
    import difflib

    current = path.read_text() if path.exists() else ""
    if current == text:
        print(f"{path} is in step with the run")
        return 0
    diff = difflib.unified_diff(
        current.splitlines(), text.splitlines(), str(path), "this run", lineterm=""
    )
    print("\n".join(diff))
    print(
        f"{path} is out of step with the calls a run makes: regenerate it with `{REGENERATE}`",
        file=sys.stderr,
    )
    return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mysfits", description="Mythical Mysfits workshop tools.")
    commands = parser.add_subparsers(dest="command", required=True)

    local = commands.add_parser("local", help="the embedded local cloud").add_subparsers(
        dest="action", required=True
    )
    start = local.add_parser("start", help="start the local cloud (foreground unless --detach)")
    start.add_argument(
        "--port", type=int, default=client.DEFAULT_PORT, help="loopback port (default %(default)s)"
    )
    start.add_argument("--detach", action="store_true", help="run in the background and return")
    start.set_defaults(func=_local_start)
    local.add_parser("stop", help="stop the local cloud and everything it runs").set_defaults(
        func=_local_stop
    )
    local.add_parser("status", help="JSON status; exit 1 when none runs").set_defaults(
        func=_local_status
    )
    local.add_parser("endpoints", help="JSON list of data-plane endpoints").set_defaults(
        func=_local_endpoints
    )
    local.add_parser("reset", help="delete every resource in the local cloud").set_defaults(
        func=_local_reset
    )
    mail = local.add_parser("mail", help="the messages user pools sent (confirmation codes)")
    mail.add_argument("--to", help="only messages to this address")
    mail.set_defaults(func=_local_mail)

    run = commands.add_parser("run", help="run the notebooks headless with papermill")
    run.add_argument("--target", choices=["local", "aws"], default="local")
    run.add_argument("--only", default="", help="comma-separated notebook numbers, e.g. 01,02")
    run.add_argument(
        "-p",
        "--parameter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="notebook parameter (repeatable); values are parsed as JSON when they can be",
    )
    run.add_argument(
        "--keep", action="store_true", help="leave a local cloud started for the run running"
    )
    run.add_argument(
        "--output-dir", default="runs", help="where executed notebooks go (default %(default)s)"
    )
    run.set_defaults(func=_run)

    clean = commands.add_parser("cleanup", help="delete everything the workshop made for a prefix")
    clean.add_argument("--target", choices=["local", "aws"], default="local")
    clean.add_argument("--region", default="us-east-1")
    clean.add_argument("--prefix", default="mysfits")
    clean.add_argument(
        "--dry-run", action="store_true", help="list what would be deleted, delete nothing"
    )
    clean.set_defaults(func=_cleanup)

    learner = commands.add_parser(
        "learner-policy",
        help="the IAM policy a learner needs on AWS, from a local run's calls",
        description="Run notebooks 01-06 twice and 99 on a fresh local cloud, recording every "
        "AWS API call, and turn the calls into a least-privilege IAM policy.",
    )
    learner.add_argument("--write", metavar="PATH", help="write the policy to PATH")
    learner.add_argument(
        "--check", metavar="PATH", help="exit 1 (with a diff) when PATH differs from the policy"
    )
    learner.add_argument(
        "--calls",
        action="append",
        default=[],
        metavar="API_CALLS_JSON",
        help="use a run's api-calls.json (repeatable) instead of running",
    )
    learner.add_argument(
        "--output-dir", default="runs", help="where the run goes (default %(default)s)"
    )
    learner.set_defaults(func=_learner_policy)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except WorkshopError as error:
        print(f"error: {error}", file=sys.stderr)
        return int(getattr(error, "exit_code", 2))


if __name__ == "__main__":
    sys.exit(main())
