"""Switching tokenRefresh.method sidecar -> password-command -> external-secrets -> sidecar, observed: each step
leaves nothing of the method before it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.e2e.conftest import stack_config
from tests.e2e.spinnaker_objects import (
    OPS,
    accounts,
    create_ops_service_account,
    spinnaker_config,
    spinnaker_service_path,
)
from tests.support.pulumi_project import PulumiProject
from tools.kubernetes_api import KubernetesApi, resource_path

EXTERNAL_SECRETS = "external-secrets.io/v1"
GENERATORS = "generators.external-secrets.io/v1alpha1"
REGISTRIES = [
    {"name": "ecr-main", "accountId": "012345678901", "region": "us-east-1"},
    {"name": "ecr-eu", "accountId": "012345678901", "region": "eu-west-1"},
]


def bare_spinnaker_service(api: KubernetesApi, namespace: str) -> None:
    """Owned by `ops`, with none of the lists this program sets."""
    body = {
        "apiVersion": "spinnaker.io/v1alpha2",
        "kind": "SpinnakerService",
        "metadata": {"name": "spinnaker", "namespace": namespace},
        "spec": {"spinnakerConfig": {"config": {"version": "1.35.0"}}},
    }
    api.apply(spinnaker_service_path(namespace), body, manager=OPS)


def names(api: KubernetesApi, api_version: str, plural: str, namespace: str) -> list[str]:
    return sorted(item["metadata"]["name"] for item in api.get(resource_path(api_version, plural, namespace))["items"])


def live_state(api: KubernetesApi, namespace: str) -> dict[str, Any]:
    live = spinnaker_config(api.get(spinnaker_service_path(namespace)))
    return {
        "config maps": [n for n in names(api, "v1", "configmaps", namespace) if n.startswith("token-refresh")],
        "external secrets": names(api, EXTERNAL_SECRETS, "externalsecrets", namespace),
        "generators": names(api, GENERATORS, "ecrauthorizationtokens", namespace),
        "sidecars": (live["config"].get("deploymentEnvironment") or {}).get("sidecars"),
        "volumes": ((live.get("service-settings") or {}).get("clouddriver") or {}).get("kubernetes"),
        "password sources": sorted(
            key
            for account in accounts({"spec": {"spinnakerConfig": live}})
            for key in account
            if key.startswith("password")
        ),
    }


def up_as_external_secrets_controller(project: PulumiProject, api: KubernetesApi, namespace: str) -> None:
    """`pulumi up` waits for each ExternalSecret to be Ready: mark each Ready as ESO would once its Secret is synced."""
    process = project.popen("up", "--yes", "--skip-preview")
    marked: set[str] = set()
    deadline = time.monotonic() + 600
    while process.poll() is None and time.monotonic() < deadline:
        for name in set(names(api, EXTERNAL_SECRETS, "externalsecrets", namespace)) - marked:
            status = {"conditions": [{"type": "Ready", "status": "True", "reason": "SecretSynced", "message": "e2e"}]}
            api.replace_status(resource_path(EXTERNAL_SECRETS, "externalsecrets", namespace, name), status)
            marked.add(name)
        time.sleep(0.5)
    output = process.communicate(timeout=60)[0]
    assert process.returncode == 0, output
    assert marked == {"ecr-token-us-east-1", "ecr-token-eu-west-1"}, output


def test_switching_methods_leaves_nothing_of_the_previous_one(
    project: PulumiProject, api: KubernetesApi, kubeconfig: Path, namespace: str
) -> None:
    bare_spinnaker_service(api, namespace)
    create_ops_service_account(api, namespace)

    def configure(token_refresh: dict[str, Any]) -> None:
        project.write_config(stack_config(kubeconfig, namespace, tokenRefresh=token_refresh, registries=REGISTRIES))

    configure({"image": "registry.example/ecr-token-refresh@sha256:" + "0" * 64})
    project.up()
    sidecar = live_state(api, namespace)
    assert len(sidecar["config maps"]) == 1 and sidecar["external secrets"] == [] and sidecar["volumes"] is None
    assert [s["name"] for s in sidecar["sidecars"]["spin-clouddriver"]] == ["token-refresh"]
    assert sidecar["password sources"] == ["passwordFile", "passwordFile"]

    configure({"method": "password-command"})
    project.up()
    assert live_state(api, namespace) == {
        "config maps": [],
        "external secrets": [],
        "generators": [],
        "sidecars": None,
        "volumes": None,
        "password sources": ["passwordCommand", "passwordCommand"],
    }

    configure({"method": "external-secrets", "interval": "1h"})
    up_as_external_secrets_controller(project, api, namespace)
    eso = live_state(api, namespace)
    assert eso["config maps"] == [] and eso["sidecars"] is None
    assert eso["external secrets"] == eso["generators"] == ["ecr-token-eu-west-1", "ecr-token-us-east-1"]
    assert sorted(v["mountPath"] for v in eso["volumes"]["volumes"]) == ["/etc/ecr/eu-west-1", "/etc/ecr/us-east-1"]
    assert eso["password sources"] == ["passwordFile", "passwordFile"]

    configure({"image": "registry.example/ecr-token-refresh@sha256:" + "0" * 64})
    project.up()
    back = live_state(api, namespace)
    assert back["external secrets"] == [] and back["generators"] == [] and back["volumes"] is None
    assert len(back["config maps"]) == 1
    assert [s["name"] for s in back["sidecars"]["spin-clouddriver"]] == ["token-refresh"]
