"""The SpinnakerService patch body and the token-refresh sidecar block. Pure: values (even Pulumi outputs such as
the ConfigMap's generated name) are placed where they belong, never inspected."""

from collections.abc import Mapping, Sequence
from typing import Any

from ecr_token_refresh import contract

FIELD_MANAGER_ANNOTATION = "pulumi.com/patchFieldManager"
FORCE_ANNOTATION = "pulumi.com/patchForce"
IRSA_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
IRSA_AUDIENCE_ANNOTATION = "eks.amazonaws.com/audience"


def field_manager(project: str, stack: str) -> str:
    """Fixed per stack, so every `pulumi up` of the stack owns the same fields under server-side apply."""
    return f"{project}-{stack}"


def patch_annotations(manager: str, force: bool) -> dict[str, str]:
    annotations = {FIELD_MANAGER_ANNOTATION: manager}
    if force:
        annotations[FORCE_ANNOTATION] = "true"
    return annotations


def sidecar_key(clouddriver_ha: bool) -> str:
    """HA services (spin-clouddriver-caching, -rw, ...) only match the base name."""
    return "clouddriver" if clouddriver_ha else "spin-clouddriver"


def clouddriver_service_names(clouddriver_ha: bool) -> tuple[str, ...]:
    """Halyard reads service-settings per service: in HA mode each clouddriver-* service needs its own copy."""
    if clouddriver_ha:
        return ("clouddriver", "clouddriver-caching", "clouddriver-rw", "clouddriver-ro", "clouddriver-ro-deck")
    return ("clouddriver",)


def token_refresh_sidecar(image: str, config_map_name: Any) -> dict[str, Any]:
    # mountPath makes an emptyDir shared with clouddriver; the ConfigMap is mounted in the sidecar only.
    return {
        "name": contract.CONTAINER_NAME,
        "dockerImage": image,
        "mountPath": contract.PASSWORD_DIRECTORY,
        "configMapVolumeMounts": [{"configMapName": config_map_name, "mountPath": contract.CONFIG_DIRECTORY}],
    }


def spinnaker_service_spec(
    *,
    sidecar_key: str,
    service_names: Sequence[str] = ("clouddriver",),
    sidecars: Sequence[Mapping[str, Any]],
    accounts: Sequence[Mapping[str, Any]],
    service_account_name: Any = None,
    volumes: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Only the fields this program owns: lists are atomic under server-side apply, so each list is whole."""
    spinnaker_config: dict[str, Any] = {
        "profiles": {"clouddriver": {"dockerRegistry": {"enabled": True, "accounts": list(accounts)}}},
    }
    if sidecars:
        spinnaker_config["config"] = {"deploymentEnvironment": {"sidecars": {sidecar_key: list(sidecars)}}}
    kubernetes: dict[str, Any] = {}
    if service_account_name is not None:
        kubernetes["serviceAccountName"] = service_account_name
    if volumes:
        kubernetes["volumes"] = list(volumes)
    if kubernetes:
        spinnaker_config["service-settings"] = {name: {"kubernetes": kubernetes} for name in service_names}
    return {"spinnakerConfig": spinnaker_config}
