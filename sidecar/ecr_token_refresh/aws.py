"""The one AWS API this sidecar uses: ECR GetAuthorizationToken."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlparse

# GetAuthorizationToken accepts at most 10 registryIds per call.
MAX_REGISTRY_IDS_PER_CALL = 10


class EcrApi(Protocol):
    def get_authorization_token(self, **kwargs: Any) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class AuthorizationData:
    registry_id: str
    password: str = field(repr=False)
    expires_at: datetime | None


def ecr_clients(regions: Iterable[str]) -> dict[str, EcrApi]:
    """One client per region from boto3's default credential chain (env, IRSA, Pod Identity, IMDSv2...)."""
    # Imported here, not at module level: the import takes a large share of a second, and main installs the stop
    # signals' handlers first so that a SIGTERM during it still exits cleanly.
    import boto3
    from botocore.config import Config as BotoConfig

    # Our own loop backs off between rounds; botocore only smooths over short blips.
    config = BotoConfig(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=10)
    session = boto3.session.Session()
    return {region: session.client("ecr", region_name=region, config=config) for region in regions}


def get_authorization_tokens(client: EcrApi, registry_ids: list[str]) -> list[AuthorizationData]:
    response = client.get_authorization_token(registryIds=registry_ids)
    return [_authorization_data(entry) for entry in response.get("authorizationData", [])]


def registry_id_of(proxy_endpoint: str) -> str:
    """https://<id>.dkr.ecr.<region>.amazonaws.com[.cn] -> <id>."""
    return (urlparse(proxy_endpoint).hostname or "").split(".")[0]


def _authorization_data(entry: Mapping[str, Any]) -> AuthorizationData:
    return AuthorizationData(
        registry_id=registry_id_of(entry.get("proxyEndpoint", "")),
        password=_password(entry.get("authorizationToken", "")),
        expires_at=entry.get("expiresAt"),
    )


def _password(token: str) -> str:
    """The token is base64("AWS:<password>"); the error never quotes it."""
    try:
        _user, separator, password = base64.b64decode(token, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError("authorizationToken is not base64 of 'user:password'") from None
    if not separator or not password:
        raise ValueError("authorizationToken does not decode to 'user:password'")
    return password
