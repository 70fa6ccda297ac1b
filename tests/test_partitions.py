"""partitions: the partition table botocore ships, read once and shared, so no caller may change it."""

import dataclasses

import pytest

from components.partitions import partitions


def test_the_shared_partition_table_cannot_be_changed_by_a_caller() -> None:
    aws = partitions()["aws"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        aws.dns_suffix = "example.com"  # type: ignore[misc]
    assert partitions()["aws"].dns_suffix == "amazonaws.com"
