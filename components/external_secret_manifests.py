"""The `external-secrets` method's documents: per region, an ECRAuthorizationToken generator and an ExternalSecret
whose Secret is mounted into clouddriver. Pure: no Pulumi imports."""

from collections.abc import Iterable, Mapping
from typing import Any

from components.model import DEFAULT_AUDIENCE, Registry

GENERATOR_KIND = "ECRAuthorizationToken"
SECRET_MOUNT_ROOT = "/etc/ecr"
# The generator's output keys are username, password, proxy_endpoint and expires_at.
PASSWORD_KEY = "password"


def regions(registries: Iterable[Registry]) -> list[str]:
    """Each region once, in first-seen order: one token serves every registry the role can read there."""
    return list(dict.fromkeys(r.region for r in registries))


def token_name(region: str) -> str:
    """Names the generator, the ExternalSecret, its Secret and the clouddriver volume alike."""
    return f"ecr-token-{region}"


def secret_mount_path(region: str) -> str:
    return f"{SECRET_MOUNT_ROOT}/{region}"


def password_file_in_secret(registry: Registry) -> str:
    return f"{secret_mount_path(registry.region)}/{PASSWORD_KEY}"


def generator_spec(region: str, auth: Mapping[str, Any] | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"region": region}
    if auth is not None:
        spec["auth"] = dict(auth)
    return spec


def irsa_generator_auth(service_account: str, audience: str) -> dict[str, Any]:
    """The generator exchanges a token of clouddriver's own service account for the IRSA role."""
    reference: dict[str, Any] = {"name": service_account}
    if audience != DEFAULT_AUDIENCE:
        reference["audiences"] = [audience]
    return {"jwt": {"serviceAccountRef": reference}}


def external_secret_spec(region: str, refresh_interval: str, generator_api_version: str) -> dict[str, Any]:
    return {
        "refreshInterval": refresh_interval,
        # Owner: the Secret goes when the ExternalSecret goes, so switching methods leaves nothing behind.
        "target": {"name": token_name(region), "creationPolicy": "Owner"},
        "dataFrom": [
            {
                "sourceRef": {
                    "generatorRef": {
                        "apiVersion": generator_api_version,
                        "kind": GENERATOR_KIND,
                        "name": token_name(region),
                    }
                }
            }
        ],
    }


def clouddriver_volume(region: str) -> dict[str, str]:
    return {"id": token_name(region), "type": "secret", "mountPath": secret_mount_path(region)}
