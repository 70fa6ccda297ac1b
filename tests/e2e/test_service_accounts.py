"""The service account side, observed: a created one in HA mode, named by every clouddriver service."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import ROLE_ARN, stack_config
from tests.e2e.spinnaker_objects import create_ops_spinnaker_service, sidecars, spinnaker_config, spinnaker_service_path
from tests.support.pulumi_project import PulumiProject
from tools.kubernetes_api import KubernetesApi, resource_path

HA_SERVICES = ("clouddriver", "clouddriver-caching", "clouddriver-rw", "clouddriver-ro", "clouddriver-ro-deck")


def test_a_created_service_account_is_named_by_every_ha_clouddriver_service(
    project: PulumiProject, api: KubernetesApi, kubeconfig: Path, namespace: str
) -> None:
    create_ops_spinnaker_service(api, namespace, sidecar_key="clouddriver")
    access = {
        "mode": "existing-role",
        "roleArn": ROLE_ARN,
        "audience": "sigstore",
        "serviceAccount": {"name": "clouddriver-ecr", "create": True},
    }
    spinnaker = {"namespace": namespace, "clouddriverHA": True, "patchForce": True}
    project.write_config(stack_config(kubeconfig, namespace, access=access, spinnaker=spinnaker))
    project.up()

    account = api.get(resource_path("v1", "serviceaccounts", namespace, "clouddriver-ecr"))
    assert account["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": ROLE_ARN,
        "eks.amazonaws.com/audience": "sigstore",
    }
    assert account["metadata"]["labels"]["pulumi.com/stack"] == project.stack
    live = api.get(spinnaker_service_path(namespace))
    settings = spinnaker_config(live)["service-settings"]
    assert {name: s["kubernetes"]["serviceAccountName"] for name, s in settings.items()} == {
        name: "clouddriver-ecr" for name in HA_SERVICES
    }
    assert [s["name"] for s in sidecars(live, "clouddriver")] == ["token-refresh"]
    assert project.outputs()["serviceAccount"] == "clouddriver-ecr"

    project.destroy()
    assert not api.exists(resource_path("v1", "serviceaccounts", namespace, "clouddriver-ecr"))
    assert "service-settings" not in spinnaker_config(api.get(spinnaker_service_path(namespace)))
