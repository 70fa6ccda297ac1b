"""What a stack configures, as typed, frozen values. Pure: no Pulumi imports; settings.py builds these."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

API_VERSIONS = ("spinnaker.io/v1alpha2", "spinnaker.armory.io/v1alpha2")
DEFAULT_INTERVAL = "30m"
DEFAULT_AUDIENCE = "sts.amazonaws.com"
TOKEN_REFRESH_SIDECAR_NAME = "token-refresh"


@dataclass(frozen=True)
class Registry:
    """One ECR registry, which becomes one clouddriver docker account."""

    name: str
    account_id: str
    region: str
    clouddriver_options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceAccount:
    name: str
    create: bool


@dataclass(frozen=True)
class Access:
    mode: str
    cluster_name: str | None = None
    oidc_provider_arn: str | None = None
    audience: str = DEFAULT_AUDIENCE
    node_role_name: str | None = None
    service_account: ServiceAccount | None = None


@dataclass(frozen=True)
class Spinnaker:
    name: str = "spinnaker"
    namespace: str = "spinnaker"
    api_version: str = API_VERSIONS[0]
    clouddriver_ha: bool = False
    patch_force: bool = False
    extra_sidecars: tuple[Mapping[str, Any], ...] = ()
    extra_docker_accounts: tuple[Mapping[str, Any], ...] = ()
    extra_volumes: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class TokenRefresh:
    image: str
    interval: str = DEFAULT_INTERVAL
    method: str = "sidecar"


@dataclass(frozen=True)
class ExternalSecrets:
    api_version: str = "external-secrets.io/v1"
    generator_api_version: str = "generators.external-secrets.io/v1alpha1"
    auth: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Settings:
    project: str
    stack: str
    access: Access
    spinnaker: Spinnaker
    token_refresh: TokenRefresh
    registries: tuple[Registry, ...]
    tags: Mapping[str, str] = field(default_factory=dict)
    external_secrets: ExternalSecrets | None = None
