"""Server-side-apply ownership of the SpinnakerService, observed: the conflict on a foreign field manager, the
`patchForce` take-over, fields we never set left alone, a re-run that changes nothing, and destroy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import stack_config
from tests.e2e.spinnaker_objects import (
    DOCKERHUB,
    LOG_SHIPPER,
    OPS,
    accounts,
    create_ops_service_account,
    create_ops_spinnaker_service,
    managers,
    owned,
    sidecars,
    spinnaker_config,
    spinnaker_service_path,
)
from tests.support.pulumi_project import PulumiProject
from tools.kubernetes_api import KubernetesApi

SIDECAR_LIST = ("spec", "spinnakerConfig", "config", "deploymentEnvironment", "sidecars", "spin-clouddriver")
ACCOUNT_LIST = ("spec", "spinnakerConfig", "profiles", "clouddriver", "dockerRegistry", "accounts")


def taking_over(kubeconfig: Path, namespace: str) -> dict[str, Any]:
    """The stack config that takes the lists over from `ops`, keeping its entries."""
    spinnaker = {
        "namespace": namespace,
        "patchForce": True,
        "extraSidecars": [LOG_SHIPPER],
        "extraDockerAccounts": [DOCKERHUB],
    }
    return stack_config(kubeconfig, namespace, spinnaker=spinnaker)


def test_a_foreign_owner_conflicts_until_patch_force_takes_the_lists_over(
    project: PulumiProject, api: KubernetesApi, kubeconfig: Path, namespace: str
) -> None:
    create_ops_spinnaker_service(api, namespace)
    create_ops_service_account(api, namespace)
    project.write_config(stack_config(kubeconfig, namespace))

    refused = project.up(check=False)
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert 'conflicts with "ops"' in output, output
    assert ".spec.spinnakerConfig.config.deploymentEnvironment.sidecars.spin-clouddriver" in output
    assert ".spec.spinnakerConfig.profiles.clouddriver.dockerRegistry.accounts" in output
    untouched = api.get(spinnaker_service_path(namespace))
    assert sidecars(untouched) == [LOG_SHIPPER] and accounts(untouched) == [DOCKERHUB]

    project.write_config(taking_over(kubeconfig, namespace))
    project.up()
    live = api.get(spinnaker_service_path(namespace))
    assert [s["name"] for s in sidecars(live)] == ["token-refresh", "log-shipper"]
    assert sidecars(live)[1] == LOG_SHIPPER
    assert [a["name"] for a in accounts(live)] == ["ecr-main", "dockerhub"]
    assert accounts(live)[1] == DOCKERHUB
    assert accounts(live)[0]["address"] == "https://012345678901.dkr.ecr.us-east-1.amazonaws.com"
    # Fields this program never sets keep their value and their owner.
    assert spinnaker_config(live)["config"]["version"] == "1.35.0"
    assert spinnaker_config(live)["profiles"]["gate"] == {"server": {"port": 8084}}
    owners = managers(live)
    ours = owners[f"spinnaker-ecr-{project.stack}"]
    assert owned(ours, *SIDECAR_LIST) and owned(ours, *ACCOUNT_LIST)
    assert not owned(owners[OPS], *SIDECAR_LIST) and not owned(owners[OPS], *ACCOUNT_LIST)
    assert owned(owners[OPS], "spec", "spinnakerConfig", "config", "version")
    assert owned(owners[OPS], "spec", "spinnakerConfig", "profiles", "gate")

    # Re-running changes nothing, and a preview says so.
    again = project.up()
    assert "unchanged" in again.stdout and "updated" not in again.stdout, again.stdout
    project.preview("--expect-no-changes")


def test_destroy_relinquishes_our_fields_and_leaves_the_spinnaker_service(
    project: PulumiProject, api: KubernetesApi, kubeconfig: Path, namespace: str
) -> None:
    create_ops_spinnaker_service(api, namespace)
    service_account = create_ops_service_account(api, namespace)
    project.write_config(taking_over(kubeconfig, namespace))
    project.up()
    annotated = api.get(f"/api/v1/namespaces/{namespace}/serviceaccounts/spin-clouddriver")
    assert annotated["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].endswith(":role/platform/spinnaker-ecr")

    project.destroy()
    live = api.get(spinnaker_service_path(namespace))
    assert f"spinnaker-ecr-{project.stack}" not in {e["manager"] for e in live["metadata"]["managedFields"]}
    assert spinnaker_config(live)["config"]["version"] == "1.35.0"
    assert spinnaker_config(live)["profiles"]["gate"] == {"server": {"port": 8084}}
    # The lists were ours after the take-over: relinquished, they are gone with every entry in them, the ones we
    # kept for `ops` too (docs/operations.md says so).
    assert not (spinnaker_config(live)["config"].get("deploymentEnvironment") or {}).get("sidecars")
    assert not ((spinnaker_config(live)["profiles"].get("clouddriver") or {}).get("dockerRegistry") or {}).get(
        "accounts"
    )
    # The service account stays, with its own annotation; only ours is removed.
    after = api.get(f"/api/v1/namespaces/{namespace}/serviceaccounts/spin-clouddriver")
    assert after["metadata"]["uid"] == service_account["metadata"]["uid"]
    assert after["metadata"]["annotations"] == {"team": "platform"}
