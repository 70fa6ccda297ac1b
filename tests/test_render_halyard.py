"""`--halyard`: the Halyard files carry the Operator patch field for field, and the ConfigMap they mount."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tools.halyard import HalyardError, halyard_files, without_pulumi_metadata
from tools.manifests import RenderedResource
from tools.offline import Registered
from tools.render import Render, render
from tools.stack_files import stack_config, stack_names

STACKS = stack_names()


@pytest.fixture(scope="module")
def renders() -> dict[str, Render]:
    return {stack: render(stack, stack_config(stack), halyard=True) for stack in STACKS}


def operator_spinnaker_config(result: Render) -> dict[str, Any]:
    (patch,) = [
        yaml.safe_load(text) for path, text in result.files.items() if path.startswith("kubernetes/spinnakerservice-")
    ]
    return patch["spec"]["spinnakerConfig"]


def halyard_as_spinnaker_config(files: dict[str, str]) -> dict[str, Any]:
    """Read the Halyard files back into the Operator's shape: config, profiles.<svc>, service-settings.<svc>."""
    rebuilt: dict[str, Any] = {}
    for path, text in files.items():
        document = yaml.safe_load(text)
        if path == "halyard/config-sidecars.yml":
            rebuilt["config"] = document
        elif path.startswith("halyard/profiles/"):
            service = path.removeprefix("halyard/profiles/").removesuffix("-local.yml")
            rebuilt.setdefault("profiles", {})[service] = document
        elif path.startswith("halyard/service-settings/"):
            service = path.removeprefix("halyard/service-settings/").removesuffix(".yml")
            rebuilt.setdefault("service-settings", {})[service] = document
    return rebuilt


@pytest.mark.parametrize("stack", STACKS)
def test_halyard_files_carry_the_operator_patch_field_for_field(stack: str, renders: dict[str, Render]) -> None:
    result = renders[stack]
    halyard = {path: text for path, text in result.files.items() if path.startswith("halyard/")}
    assert halyard_as_spinnaker_config(halyard) == operator_spinnaker_config(result)
    assert "halyard/profiles/clouddriver-local.yml" in halyard and "halyard/config-sidecars.yml" in halyard


@pytest.mark.parametrize("stack", STACKS)
def test_halyard_config_map_is_the_one_the_sidecar_mounts(stack: str, renders: dict[str, Render]) -> None:
    files = renders[stack].files
    (manifest,) = [path for path in files if path.startswith("halyard/configmap-")]
    sidecars = yaml.safe_load(files["halyard/config-sidecars.yml"])["deploymentEnvironment"]["sidecars"]
    mounted = {
        mount["configMapName"]
        for entries in sidecars.values()
        for s in entries
        for mount in s.get("configMapVolumeMounts", [])
    }
    config_map = yaml.safe_load(files[manifest])
    assert config_map["data"] == yaml.safe_load(files[manifest.replace("halyard/", "kubernetes/")])["data"]
    assert mounted == {config_map["metadata"]["name"]}
    profile = yaml.safe_load(files["halyard/profiles/clouddriver-local.yml"])
    password_files = {a.get("passwordFile") for a in profile["dockerRegistry"]["accounts"]}
    assert {
        r["passwordFile"] for r in yaml.safe_load(config_map["data"]["config.yaml"])["registries"]
    } <= password_files


@pytest.mark.parametrize("method", ["password-command", "external-secrets"])
def test_every_refresh_method_keeps_halyard_and_operator_alike(method: str) -> None:
    config = stack_config("staging")
    config["spinnaker-ecr:tokenRefresh"] = {"method": method}
    result = render("staging", config, halyard=True)
    halyard = {path: text for path, text in result.files.items() if path.startswith("halyard/")}
    assert halyard_as_spinnaker_config(halyard) == operator_spinnaker_config(result)
    assert not any(path.startswith("halyard/configmap-") for path in halyard), "no sidecar, no ConfigMap to mount"


def test_service_settings_only_where_the_patch_has_them(renders: dict[str, Render]) -> None:
    prod = yaml.safe_load(renders["prod"].files["halyard/service-settings/clouddriver.yml"])
    assert prod == {"kubernetes": {"serviceAccountName": "clouddriver-ecr"}}
    assert not any(path.startswith("halyard/service-settings/") for path in renders["dev"].files)


def spinnaker_service(spinnaker_config: dict[str, Any]) -> RenderedResource:
    document = {
        "apiVersion": "spinnaker.io/v1alpha2",
        "kind": "SpinnakerService",
        "spec": {"spinnakerConfig": spinnaker_config},
    }
    resource = Registered(
        "kubernetes:spinnaker.io/v1alpha2:SpinnakerServicePatch", "s", "urn:s", "", True, {}, {}, [], False
    )
    return RenderedResource(resource, "kubernetes/spinnakerservice-spinnaker-patch.yaml", document)


@pytest.mark.parametrize(
    "spinnaker_config",
    [
        {"files": {"profiles__clouddriver.yml": "x"}},
        {"config": {"providers": {"dockerRegistry": {"enabled": True}}}},
        {"config": {"deploymentEnvironment": {"sidecars": {}, "size": "SMALL"}}},
    ],
)
def test_halyard_refuses_what_its_files_cannot_carry(spinnaker_config: dict[str, Any]) -> None:
    with pytest.raises(HalyardError, match="has no Halyard file here"):
        halyard_files([spinnaker_service(spinnaker_config)])


def test_halyard_needs_exactly_one_spinnaker_service() -> None:
    with pytest.raises(HalyardError, match="exactly one SpinnakerService"):
        halyard_files([])


@pytest.mark.parametrize("stack", STACKS)
def test_halyard_carries_every_kubernetes_object_but_the_spinnaker_service(
    stack: str, renders: dict[str, Render]
) -> None:
    files = renders[stack].files
    kubernetes = {p.removeprefix("kubernetes/") for p in files if p.startswith("kubernetes/")}
    expected = {name for name in kubernetes if not name.startswith("spinnakerservice-")}
    copied = {p.removeprefix("halyard/") for p in files if p.startswith("halyard/") and p.count("/") == 1}
    assert copied - {"config-sidecars.yml"} == expected
    for name in expected:
        halyard, pulumi = yaml.safe_load(files[f"halyard/{name}"]), yaml.safe_load(files[f"kubernetes/{name}"])
        assert without_pulumi_metadata(pulumi) == halyard
        assert {k: v for k, v in halyard.items() if k != "metadata"} == {
            k: v for k, v in pulumi.items() if k != "metadata"
        }


def test_halyard_carries_the_external_secrets_objects() -> None:
    config = stack_config("staging")
    config["spinnaker-ecr:tokenRefresh"] = {"method": "external-secrets"}
    files = render("staging", config, halyard=True).files
    assert "halyard/externalsecret-ecr-token-eu-west-1.yaml" in files
    assert "halyard/ecrauthorizationtoken-ecr-token-eu-west-1.yaml" in files
    assert any(path.startswith("halyard/serviceaccount-") for path in files)


@pytest.mark.parametrize("stack", stack_names())
def test_halyard_companions_carry_no_pulumi_labels_or_annotations(stack: str) -> None:
    result = render(stack, stack_config(stack), halyard=True)
    companions = [text for path, text in result.files.items() if path.startswith("halyard/") and path.endswith(".yaml")]
    assert companions
    for text in companions:
        metadata = yaml.safe_load(text)["metadata"]
        keys = [*(metadata.get("labels") or {}), *(metadata.get("annotations") or {})]
        assert not [k for k in keys if k.startswith("pulumi.com/")], text
        assert (metadata.get("labels") or {}).get("app.kubernetes.io/managed-by") != "pulumi", text
