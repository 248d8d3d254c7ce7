"""docs/learner-policy.json stays in step with the calls the series really makes.

The real CLI runs notebooks 01-04 twice and 99 on a fresh local cloud of its own, records every
AWS API call, builds the policy and compares it with the committed file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mysfits.cli import REGENERATE

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "learner-policy.json"


def test_committed_learner_policy_matches_a_fresh_run(tmp_path: Path) -> None:
    generated = tmp_path / "learner-policy.json"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "mysfits.cli",
            "learner-policy",
            "--write",
            str(generated),
            "--output-dir",
            str(tmp_path / "runs"),
        ],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "warning" not in run.stderr, run.stderr
    fresh, committed = json.loads(generated.read_text()), json.loads(COMMITTED.read_text())
    granted = {(s["Sid"], a) for s in committed["Statement"] for a in s["Action"]}
    needed = {(s["Sid"], a) for s in fresh["Statement"] for a in s["Action"]}
    assert fresh == committed, (
        f"docs/learner-policy.json is out of step with the calls a run makes "
        f"(missing {sorted(needed - granted)}, no longer needed {sorted(granted - needed)}): "
        f"regenerate it with `{REGENERATE}` and commit it"
    )
    calls = [
        c
        for f in sorted((tmp_path / "runs").rglob("api-calls.json"))
        for n in json.loads(f.read_text())
        for c in n["calls"]
    ]
    assert {c["operation"] for c in calls} >= {
        "PutBucketPolicy",
        "CreateStack",
        "RegisterTaskDefinition",
        "CreateService",
        "CreateTable",
        "CreatePipeline",
    }
