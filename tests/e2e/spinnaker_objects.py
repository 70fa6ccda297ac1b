"""What someone else already has in the cluster before the first `pulumi up`, and how to read the live objects."""

from __future__ import annotations

from typing import Any

from tools.kubernetes_api import KubernetesApi, resource_path

OPS = "ops"
LOG_SHIPPER = {"name": "log-shipper", "dockerImage": "registry.example/fluent-bit@sha256:" + "1" * 64}
DOCKERHUB = {"name": "dockerhub", "address": "https://index.docker.io", "repositories": ["library/nginx"]}


def spinnaker_service_path(namespace: str, api_version: str = "spinnaker.io/v1alpha2") -> str:
    return resource_path(api_version, "spinnakerservices", namespace, "spinnaker")


def create_ops_spinnaker_service(
    api: KubernetesApi,
    namespace: str,
    *,
    sidecar_key: str = "spin-clouddriver",
    api_version: str = "spinnaker.io/v1alpha2",
) -> dict[str, Any]:
    """A SpinnakerService applied by the field manager `ops`, with its own sidecar and docker account (the published
    procedure's lists), and fields this program never sets (`config.version`, `profiles.gate`)."""
    body = {
        "apiVersion": api_version,
        "kind": "SpinnakerService",
        "metadata": {"name": "spinnaker", "namespace": namespace},
        "spec": {
            "spinnakerConfig": {
                "config": {
                    "version": "1.35.0",
                    "deploymentEnvironment": {"sidecars": {sidecar_key: [LOG_SHIPPER]}},
                },
                "profiles": {
                    "gate": {"server": {"port": 8084}},
                    "clouddriver": {"dockerRegistry": {"enabled": True, "accounts": [DOCKERHUB]}},
                },
            }
        },
    }
    return api.apply(spinnaker_service_path(namespace, api_version), body, manager=OPS)


def create_ops_service_account(api: KubernetesApi, namespace: str, name: str = "spin-clouddriver") -> dict[str, Any]:
    body = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": name, "namespace": namespace, "annotations": {"team": "platform"}},
    }
    return api.apply(resource_path("v1", "serviceaccounts", namespace, name), body, manager=OPS)


def spinnaker_config(live: dict[str, Any]) -> dict[str, Any]:
    return live["spec"]["spinnakerConfig"]


def accounts(live: dict[str, Any], service: str = "clouddriver") -> list[dict[str, Any]]:
    return spinnaker_config(live)["profiles"][service]["dockerRegistry"]["accounts"]


def sidecars(live: dict[str, Any], key: str = "spin-clouddriver") -> list[dict[str, Any]]:
    return spinnaker_config(live)["config"]["deploymentEnvironment"]["sidecars"].get(key, [])


def managers(live: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Field manager -> the fieldsV1 it owns (one Apply entry per manager here)."""
    return {
        entry["manager"]: entry.get("fieldsV1", {})
        for entry in live["metadata"].get("managedFields", [])
        if entry.get("operation") == "Apply"
    }


def owned(fields: dict[str, Any], *path: str) -> bool:
    """Whether a fieldsV1 tree holds `path` (`spec`, `spinnakerConfig`, ... as plain names)."""
    node: Any = fields
    for part in path:
        key = f"f:{part}"
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True
