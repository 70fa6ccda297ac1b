"""A change of registries or interval, observed: a new content-named ConfigMap is created before the patch moves
clouddriver to it and the old one is deleted after; the live config.yaml is what the sidecar reads, and it feeds
exactly the live accounts."""

from __future__ import annotations

from pathlib import Path

from ecr_token_refresh.config import parse

from tests.e2e.conftest import stack_config
from tests.e2e.spinnaker_objects import (
    accounts,
    create_ops_service_account,
    create_ops_spinnaker_service,
    sidecars,
    spinnaker_service_path,
)
from tests.support.pulumi_project import PulumiProject, engine_events, steps
from tools.kubernetes_api import KubernetesApi, resource_path

CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
PATCH = "kubernetes:spinnaker.io/v1alpha2:SpinnakerServicePatch"


def live_config_maps(api: KubernetesApi, namespace: str) -> dict[str, dict]:
    items = api.get(resource_path("v1", "configmaps", namespace))["items"]
    return {item["metadata"]["name"]: item for item in items if item["metadata"]["name"].startswith("token-refresh")}


def test_a_new_registry_rolls_to_a_new_config_map_created_first_and_deleted_last(
    project: PulumiProject, api: KubernetesApi, kubeconfig: Path, namespace: str, tmp_path: Path
) -> None:
    create_ops_spinnaker_service(api, namespace)
    create_ops_service_account(api, namespace)
    spinnaker = {"namespace": namespace, "patchForce": True}
    project.write_config(stack_config(kubeconfig, namespace, spinnaker=spinnaker))
    project.up()
    (first,) = live_config_maps(api, namespace)

    registries = [
        {"name": "ecr-main", "accountId": "012345678901", "region": "us-east-1"},
        {"name": "ecr-eu", "accountId": "210987654321", "region": "eu-west-1", "sortTagsByDate": True},
    ]
    project.write_config(stack_config(kubeconfig, namespace, spinnaker=spinnaker, registries=registries))
    log = tmp_path / "events.jsonl"
    project.up(events=log)

    done = steps(engine_events(log))
    # The engine also logs the logical `replace` of the ConfigMap; the physical steps are what the cluster sees.
    order = [(op, kind) for op, kind, _ in done if kind in (CONFIG_MAP, PATCH) and op != "replace"]
    assert order == [("create-replacement", CONFIG_MAP), ("update", PATCH), ("delete-replaced", CONFIG_MAP)], done

    (second,) = live_config_maps(api, namespace)
    assert second != first
    live = api.get(spinnaker_service_path(namespace))
    (sidecar,) = [s for s in sidecars(live) if s["name"] == "token-refresh"]
    assert sidecar["configMapVolumeMounts"][0]["configMapName"] == second

    # What the sidecar will read, read by the sidecar's own parser, feeds exactly the accounts clouddriver has.
    text = live_config_maps(api, namespace)[second]["data"]["config.yaml"]
    config = parse(text)
    fed = {r.password_file: (r.registry_id, r.region) for r in config.registries}
    live_accounts = {a["passwordFile"]: a for a in accounts(live)}
    assert set(fed) == set(live_accounts)
    for password_file, (registry_id, region) in fed.items():
        assert live_accounts[password_file]["address"] == f"https://{registry_id}.dkr.ecr.{region}.amazonaws.com"
    assert live_accounts["/etc/passwords/ecr-eu.pass"]["sortTagsByDate"] is True
    assert live_config_maps(api, namespace)[second]["immutable"] is True
