"""Deterministic resource names, so every notebook finds what earlier ones made."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import WorkshopError

_PREFIX = re.compile(r"^[a-z][a-z0-9-]{1,18}[a-z0-9]$")


class InvalidPrefix(WorkshopError, ValueError):
    """The prefix cannot form valid names for every resource the workshop makes."""


def validate_prefix(prefix: str) -> str:
    """Return `prefix` if it is 3-20 lowercase letters, digits or hyphens starting with a letter."""
    if not _PREFIX.match(prefix) or "--" in prefix:
        raise InvalidPrefix(
            f"prefix {prefix!r} is not usable: use 3 to 20 lowercase letters, digits or single "
            "hyphens, starting with a letter and ending with a letter or digit (e.g. 'mysfits')"
        )
    return prefix


@dataclass(frozen=True)
class ResourceNames:
    """Every name the workshop gives a resource, derived from prefix, account and region."""

    prefix: str
    account_id: str
    region: str

    @property
    def site_bucket(self) -> str:
        return f"{self.prefix}-site-{self.account_id}-{self.region}"

    @property
    def probe_bucket_prefix(self) -> str:
        """Scratch buckets that show a new bucket's defaults: this, then 8 random hex digits."""
        return f"{self.prefix}-probe-{self.account_id}-"

    @property
    def core_stack(self) -> str:
        return f"{self.prefix}-core"

    @property
    def ecr_repository(self) -> str:
        return f"{self.prefix}/service"

    @property
    def cluster(self) -> str:
        return f"{self.prefix}-cluster"

    @property
    def log_group(self) -> str:
        return f"/{self.prefix}/service"

    @property
    def task_family(self) -> str:
        return f"{self.prefix}-service"

    @property
    def service(self) -> str:
        return f"{self.prefix}-service"

    @property
    def load_balancer(self) -> str:
        return f"{self.prefix}-nlb"

    @property
    def target_group(self) -> str:
        return f"{self.prefix}-tg"

    @property
    def table(self) -> str:
        return f"{self.prefix}-mysfits"

    @property
    def source_bucket(self) -> str:
        return f"{self.prefix}-source-{self.account_id}-{self.region}"

    @property
    def artifact_bucket(self) -> str:
        return f"{self.prefix}-artifacts-{self.account_id}-{self.region}"

    @property
    def build_project(self) -> str:
        return f"{self.prefix}-service-build"

    @property
    def pipeline(self) -> str:
        return f"{self.prefix}-service-pipeline"

    @property
    def build_role(self) -> str:
        return f"{self.prefix}-codebuild"

    @property
    def pipeline_role(self) -> str:
        return f"{self.prefix}-codepipeline"

    @property
    def user_pool(self) -> str:
        return f"{self.prefix}-users"

    @property
    def app_client(self) -> str:
        return f"{self.prefix}-site"

    @property
    def streaming_stack(self) -> str:
        return f"{self.prefix}-streaming"

    @property
    def code_bucket(self) -> str:
        """Where deployment packages (the click processor's zip) are uploaded."""
        return f"{self.prefix}-code-{self.account_id}-{self.region}"

    @property
    def clicks_bucket(self) -> str:
        """streaming/template.yml names the clicks bucket so, from its Prefix parameter."""
        return f"{self.prefix}-clicks-{self.account_id}-{self.region}"

    @property
    def click_stream(self) -> str:
        return f"{self.prefix}-clicks"

    @property
    def click_processor(self) -> str:
        return f"{self.prefix}-click-processor"
