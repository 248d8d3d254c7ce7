"""How long the local pipeline takes to release a push, against deploying the same change by hand.

Baseline, measured in the same run on the same deployed service: the notebook's manual path for
a change (publish the image, register a task definition revision, update the service, wait for
the rollout). The pipeline path: push a changed source, wait for its release (S3 poll, CodeBuild
running the service's buildspec, ECS deploy action with the same rollout). Prints each run, the
medians and their ratio, so the cost of building remotely and orchestrating is visible.
Run: .venv/bin/python benchmarks/pipeline_release.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import mysfits
from mysfits import fargate, images, pipeline, releases, releasewatch, servicestack
from mysfits.local import control


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    os.environ["MYSFITS_HOME"] = tempfile.mkdtemp(prefix="bench-pipeline-")
    os.environ.pop("MYSFITS_ENDPOINT_URL", None)
    info, _ = control.start_detached(port=0)
    try:
        ws = mysfits.connect("local", prefix="bench", endpoint_url=info.endpoint_url)
        stack = servicestack.ensure_service_stack(ws, timeout=120)
        core, repository, balancer = stack.core, stack.repository, stack.balancer

        manual = []
        for run in range(runs):
            started = time.perf_counter()
            image = images.publish_image(ws, repository)
            revision = fargate.ensure_task_definition(
                ws, core, image, environment={"RELEASE": str(run)}
            )
            fargate.wait_for_steady_state(
                ws, fargate.ensure_service(ws, core, balancer, revision), timeout=120
            )
            manual.append(time.perf_counter() - started)

        pipeline.ensure_buckets(ws)
        roles = pipeline.ensure_roles(ws, repository, core)
        pipeline.ensure_build_project(ws, repository, roles)
        first = releases.push_source(ws)
        pipeline.ensure_pipeline(ws, roles)
        # the release a new pipeline makes at creation
        releasewatch.wait_for_release(ws, first, timeout=300)
        released = []
        for run in range(runs):
            started = time.perf_counter()
            push = releases.push_release(ws, MYSFITS_RELEASE=f"run {run}")
            release = releasewatch.wait_for_release(ws, push, timeout=300)
            released.append(time.perf_counter() - started)
            assert release.status == "Succeeded", release
    finally:
        control.stop()

    m, p = statistics.median(manual), statistics.median(released)
    print(
        f"manual deploy (publish, register, update, rollout): median {m:.1f} s  "
        f"(runs: {', '.join(f'{x:.1f}' for x in manual)})"
    )
    print(
        f"pipeline release (push to rollout complete):        median {p:.1f} s  "
        f"(runs: {', '.join(f'{x:.1f}' for x in released)})"
    )
    print(f"ratio pipeline / manual: {p / m:.2f}x")


if __name__ == "__main__":
    main()
