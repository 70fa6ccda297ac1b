"""Registries -> the documents both sides read: the token-refresh `config.yaml` and clouddriver's accounts.

In the sidecar method both take the password path from `password_file`, so the sidecar writes exactly where
clouddriver reads; other methods hand `docker_account` their own password source.
"""

from collections.abc import Iterable, Mapping
from typing import Any

import yaml
from ecr_token_refresh import contract

from components.model import Registry
from components.partitions import dns_suffix, partition_of


def password_file(registry: Registry) -> str:
    """Where the sidecar writes this registry's password and its clouddriver account reads it."""
    return contract.password_file(registry.name)


# The user name of every ECR registry password (GetAuthorizationToken's token is base64 'AWS:<password>').
ECR_USERNAME = "AWS"


def registry_host(account_id: str, region: str) -> str:
    return f"{account_id}.dkr.ecr.{region}.{dns_suffix(partition_of(region))}"


def registry_address(registry: Registry) -> str:
    return f"https://{registry_host(registry.account_id, registry.region)}"


def token_refresh_config(registries: Iterable[Registry], interval: str) -> dict[str, Any]:
    """The sidecar's config: the legacy image decodes registries strictly, so exactly these three keys."""
    return {
        "interval": interval,
        "registries": [
            {"registryId": r.account_id, "region": r.region, "passwordFile": password_file(r)} for r in registries
        ],
    }


class _ConfigDumper(yaml.SafeDumper):
    """Double-quotes digit-only strings: the legacy sidecar rejects an unquoted registryId, and YAML 1.2
    readers would turn `012345678901` into a number and drop the zero."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if value.isdigit() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ConfigDumper.add_representer(str, _represent_str)


def token_refresh_config_yaml(registries: Iterable[Registry], interval: str) -> str:
    return yaml.dump(
        token_refresh_config(registries, interval), Dumper=_ConfigDumper, sort_keys=False, default_flow_style=False
    )


def docker_account(registry: Registry, password_source: Mapping[str, Any]) -> dict[str, Any]:
    """One clouddriver dockerRegistry account; `password_source` is the refresh method's passwordFile/Command."""
    return {
        "name": registry.name,
        "address": registry_address(registry),
        "username": ECR_USERNAME,
        **password_source,
        **registry.clouddriver_options,
    }
