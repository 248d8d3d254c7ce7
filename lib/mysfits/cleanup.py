"""Find everything the workshop made for a prefix, delete it in dependency order, prove it is gone.

Each resource family's module says what of it exists and how to delete it (its `CLEANUP`);
this module only puts the families in order.
"""

from __future__ import annotations

import pandas as pd
from tqdm.auto import tqdm

from . import (
    database,
    fargate,
    images,
    loadbalancer,
    network,
    pipeline,
    streaming,
    users,
    website,
)
from .checks import Check
from .inventory import TAG_KEY, Family, Leftover, Step
from .workshop import Workshop

__all__ = [
    "FAMILIES",
    "STEPS",
    "TAG_KEY",
    "Leftover",
    "as_table",
    "check_nothing_left",
    "delete_everything",
    "inventory",
]

# Delete order: what uses something goes before it. The pipeline first, so nothing redeploys
# while the rest goes; the ECS service before the load balancer whose target group it holds;
# the core stack last, its NAT gateways, addresses and VPC with it.
FAMILIES: tuple[Family, ...] = (
    pipeline.CLEANUP,
    streaming.CLEANUP,  # its stack before the buckets: Firehose stops writing to its bucket
    website.CLEANUP,
    fargate.CLEANUP,
    loadbalancer.CLEANUP,
    images.CLEANUP,
    database.CLEANUP,
    users.CLEANUP,
    network.CLEANUP,
)

STEPS: list[Step] = [step for family in FAMILIES for step in family.steps]


def inventory(ws: Workshop) -> list[Leftover]:
    """Everything of the workshop's prefix that exists now, found by name and by tag."""
    return [leftover for family in FAMILIES for leftover in family.leftovers(ws)]


def as_table(leftovers: list[Leftover]) -> pd.DataFrame:
    """A table of leftovers with their hourly cost (a TOTAL row at the end)."""
    rows = [
        {"kind": left.kind, "name": left.name, "USD per hour": left.hourly_usd}
        for left in leftovers
    ]
    table = pd.DataFrame(rows, columns=["kind", "name", "USD per hour"])
    if rows:
        table.loc[len(table)] = ["TOTAL", "", round(sum(left.hourly_usd for left in leftovers), 4)]
    return table


def delete_everything(ws: Workshop, steps: list[Step] | None = None) -> dict[str, object]:
    """Run every deletion step in order (each is fine with nothing to delete); what each did."""
    done: dict[str, object] = {}
    plan = steps or STEPS
    with tqdm(total=len(plan), desc="cleanup", unit="step", disable=None) as bar:
        for label, step in plan:
            bar.set_postfix_str(label)
            done[label] = step(ws)
            bar.update()
    return done


def check_nothing_left(ws: Workshop) -> Check:
    """Passes only when the inventory for the prefix is empty."""
    left = inventory(ws)
    shown = ", ".join(f"{item.kind} {item.name}" for item in left[:10]) + (
        " …" if len(left) > 10 else ""
    )
    return Check(
        f"nothing of prefix {ws.prefix!r} is left", not left, shown or "no resources found"
    )
