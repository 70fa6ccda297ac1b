"""AWS partitions and regions, from the partition data botocore ships: which partition a region is in, its DNS
suffix, and the regions that exist. Pure: no Pulumi imports. Upgrading botocore brings new regions."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from components.suggestions import did_you_mean

# The partitions whose ECR registries this program can wire (the isolated ones have other endpoints and IAM).
SUPPORTED_PARTITIONS = ("aws", "aws-cn", "aws-us-gov")


@dataclass(frozen=True)
class Partition:
    name: str
    dns_suffix: str
    regions: frozenset[str]


@cache
def partitions() -> dict[str, Partition]:
    """Every partition botocore knows, with its real regions (not the `aws-global`-style pseudo-regions)."""
    document = json.loads((files("botocore") / "data" / "partitions.json").read_text(encoding="utf-8"))
    found = {}
    for entry in document["partitions"]:
        pattern = re.compile(entry["regionRegex"])
        regions = frozenset(region for region in entry["regions"] if pattern.fullmatch(region))
        found[entry["id"]] = Partition(entry["id"], entry["outputs"]["dnsSuffix"], regions)
    return found


def partition_of(region: str) -> str:
    """The partition of a known region; raises KeyError for a region no partition lists."""
    for partition in partitions().values():
        if region in partition.regions:
            return partition.name
    raise KeyError(region)


def dns_suffix(partition: str) -> str:
    return partitions()[partition].dns_suffix


def supported_regions() -> list[str]:
    return sorted(region for name in SUPPORTED_PARTITIONS for region in partitions()[name].regions)


def region_problem(region: str) -> str | None:
    """None for a region of a supported partition; otherwise what is wrong, with the nearest region if any."""
    try:
        partition = partition_of(region)
    except KeyError:
        hint = did_you_mean(region, supported_regions())
        return f"is not an AWS region of the {', '.join(SUPPORTED_PARTITIONS)} partitions{hint}"
    if partition not in SUPPORTED_PARTITIONS:
        return f"is in partition {partition}, which is not supported (supported: {', '.join(SUPPORTED_PARTITIONS)})"
    return None
