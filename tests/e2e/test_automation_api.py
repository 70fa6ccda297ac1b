"""The pull-request path: pulumi/actions drives the CLI through the Automation API. Here the Python Automation API
runs a preview and an up of a local program in this project's layout (stack files in stacks/, Pulumi.yaml's
stackConfigDir), to show which file the stack's configuration comes from (pulumi/pulumi#10305)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi import automation

from tests.e2e.conftest import stack_config
from tests.e2e.spinnaker_objects import (
    accounts,
    create_ops_service_account,
    create_ops_spinnaker_service,
    spinnaker_service_path,
)
from tests.support.pulumi_project import BIN_DIR, PulumiProject
from tools.kubernetes_api import KubernetesApi


def test_automation_api_reads_the_stack_file_in_stacks(
    project: PulumiProject, api: KubernetesApi, kubeconfig: Path, namespace: str
) -> None:
    create_ops_spinnaker_service(api, namespace)
    create_ops_service_account(api, namespace)
    registries = [{"name": "ecr-from-stacks-dir", "accountId": "012345678901", "region": "us-east-1"}]
    spinnaker = {"namespace": namespace, "patchForce": True}
    project.write_config(stack_config(kubeconfig, namespace, spinnaker=spinnaker, registries=registries))

    workspace = automation.LocalWorkspace(
        work_dir=str(project.directory),
        env_vars=project.environment,
        pulumi_command=automation.PulumiCommand(root=str(BIN_DIR.parent), skip_version_check=True),
    )
    stack = automation.Stack.select(project.stack, workspace)
    config = stack.get_all_config()
    assert config["spinnaker-ecr:registries"].value.count("ecr-from-stacks-dir") == 1, "config read from stacks/"
    # What pulumi/pulumi#10305 reports: the workspace's own reader of stack settings ignores stackConfigDir.
    with pytest.raises(FileNotFoundError):
        workspace.stack_settings(project.stack)

    preview = stack.preview()
    assert preview.change_summary.get("create", 0) >= 4, preview.change_summary
    result = stack.up()
    assert result.summary.result == "succeeded"
    assert result.outputs["accountNames"].value == ["ecr-from-stacks-dir"]
    live = api.get(spinnaker_service_path(namespace))
    assert [a["name"] for a in accounts(live)] == ["ecr-from-stacks-dir"]
