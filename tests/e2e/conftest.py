"""The end-to-end suite: the real Pulumi CLI, the real Kubernetes provider and a real kube-apiserver (`make e2e`).

One local cluster per session; each test gets its own namespace, project directory, file backend and stack. A missing
binary fails the suite with the command that builds it: it never skips.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.pulumi_project import BIN_DIR, PulumiProject, missing_tools
from tools import cluster
from tools.kubernetes_api import KubernetesApi, credentials_from_kubeconfig, resource_path

# A cluster someone already started (`python -m tools.cluster up --dir DIR`): reused instead of a new one.
REUSE_KUBECONFIG = "SPINNAKER_ECR_E2E_KUBECONFIG"
ROLE_ARN = "arn:aws:iam::111122223333:role/platform/spinnaker-ecr"
IMAGE = "registry.example/ecr-token-refresh@sha256:" + "0" * 64
_numbers = itertools.count(1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in item.nodeid:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session", autouse=True)
def toolchain() -> None:
    missing = missing_tools()
    if missing:
        pytest.fail(f"{BIN_DIR} lacks {', '.join(missing)}: build them with `make e2e-tools` (docs/e2e.md)", False)


@pytest.fixture(scope="session")
def kubeconfig(tmp_path_factory: pytest.TempPathFactory, toolchain: None) -> Iterator[Path]:
    reused = os.environ.get(REUSE_KUBECONFIG)
    if reused:
        yield Path(reused)
        return
    directory = tmp_path_factory.mktemp("cluster") / "cluster"
    try:
        yield cluster.up(directory)
    finally:
        cluster.down(directory)


@pytest.fixture(scope="session")
def api(kubeconfig: Path) -> KubernetesApi:
    return KubernetesApi(credentials_from_kubeconfig(kubeconfig))


@pytest.fixture
def namespace(api: KubernetesApi) -> str:
    """A fresh namespace per test, left in place: the cluster goes with the session, and a failed test's objects stay
    there to be looked at when the cluster is reused (SPINNAKER_ECR_E2E_KUBECONFIG)."""
    name = f"e2e-{os.getpid()}-{next(_numbers)}"
    api.apply(
        resource_path("v1", "namespaces", name=name),
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
        manager="e2e",
    )
    return name


@pytest.fixture
def project(tmp_path: Path, kubeconfig: Path, namespace: str) -> PulumiProject:
    return PulumiProject.create(tmp_path, f"e2e-{namespace}", kubeconfig)


def stack_config(kubeconfig: Path, namespace: str, **sections: Any) -> dict[str, Any]:
    """An existing-role stack (no AWS provider needed) in `namespace`; `sections` replace whole keys."""
    config: dict[str, Any] = {
        "kubernetes:kubeconfig": str(kubeconfig),
        "spinnaker-ecr:access": {
            "mode": "existing-role",
            "roleArn": ROLE_ARN,
            "serviceAccount": {"name": "spin-clouddriver"},
        },
        "spinnaker-ecr:spinnaker": {"namespace": namespace},
        "spinnaker-ecr:tokenRefresh": {"image": IMAGE, "interval": "30m"},
        "spinnaker-ecr:registries": [{"name": "ecr-main", "accountId": "012345678901", "region": "us-east-1"}],
    }
    for key, value in sections.items():
        config[f"spinnaker-ecr:{key}"] = value
    return config
