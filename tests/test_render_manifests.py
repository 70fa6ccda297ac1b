"""Registered resources -> files, for any type: Kubernetes kinds the program does not make today (External
Secrets' ECRAuthorizationToken and ExternalSecret), clashing names, numbers, policy documents. No program run."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from tools.manifests import (
    DUMPER,
    PURE_DUMPER,
    api_version_and_kind,
    rendered_resources,
    resource_files,
    whole_numbers,
    yaml_text,
)
from tools.offline import ProgramRun, Registered
from tools.summary import summary

STACK_URN = "urn:pulumi:dev::spinnaker-ecr::pulumi:pulumi:Stack::spinnaker-ecr-dev"


def registered(
    type_token: str,
    name: str,
    inputs: dict[str, Any],
    *,
    outputs: dict[str, Any] | None = None,
    custom: bool = True,
    parent: str = STACK_URN,
) -> Registered:
    urn = f"urn:pulumi:dev::spinnaker-ecr::{type_token}::{name}"
    return Registered(type_token, name, urn, parent, custom, inputs, outputs or dict(inputs), [], False)


def files_of(*resources: Registered) -> dict[str, str]:
    return resource_files(rendered_resources(ProgramRun(resources=list(resources))))


@pytest.mark.parametrize(
    ("type_token", "api_version", "kind"),
    [
        ("kubernetes:core/v1:ConfigMap", "v1", "ConfigMap"),
        ("kubernetes:apps/v1:Deployment", "apps/v1", "Deployment"),
        ("kubernetes:core/v1:ServiceAccountPatch", "v1", "ServiceAccount"),
        ("kubernetes:spinnaker.io/v1alpha2:SpinnakerServicePatch", "spinnaker.io/v1alpha2", "SpinnakerService"),
        ("kubernetes:external-secrets.io/v1:ExternalSecret", "external-secrets.io/v1", "ExternalSecret"),
    ],
)
def test_api_version_and_kind_from_the_type_token(type_token: str, api_version: str, kind: str) -> None:
    assert api_version_and_kind(type_token) == (api_version, kind)


def test_external_secrets_objects_render_like_any_other_kind() -> None:
    generator = registered(
        "kubernetes:generators.external-secrets.io/v1alpha1:ECRAuthorizationToken",
        "ecr-dev-token",
        {"metadata": {"namespace": "spinnaker"}, "spec": {"region": "us-east-1"}},
        outputs={"metadata": {"namespace": "spinnaker", "name": "ecr-dev-token-<generated>"}},
    )
    external_secret = registered(
        "kubernetes:external-secrets.io/v1:ExternalSecret",
        "ecr-dev",
        {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ExternalSecret",
            "metadata": {"name": "ecr-dev", "namespace": "spinnaker"},
            "spec": {"refreshInterval": "30m", "dataFrom": [{"sourceRef": {"generatorRef": {"name": "x"}}}]},
        },
    )
    files = files_of(generator, external_secret)
    assert sorted(files) == [
        "kubernetes/ecrauthorizationtoken-ecr-dev-token.yaml",
        "kubernetes/externalsecret-ecr-dev.yaml",
    ]
    token = yaml.safe_load(files["kubernetes/ecrauthorizationtoken-ecr-dev-token.yaml"])
    assert token == {
        "apiVersion": "generators.external-secrets.io/v1alpha1",
        "kind": "ECRAuthorizationToken",
        "metadata": {"name": "ecr-dev-token-<generated>", "namespace": "spinnaker"},
        "spec": {"region": "us-east-1"},
    }
    assert yaml.safe_load(files["kubernetes/externalsecret-ecr-dev.yaml"]) == external_secret.inputs


def test_a_patch_keeps_its_body_and_gets_no_generated_name() -> None:
    patch = registered(
        "kubernetes:core/v1:ServiceAccountPatch",
        "sa-patch",
        {"metadata": {"name": "spin-clouddriver", "annotations": {"a": "b"}}},
        outputs={"metadata": {"name": "other"}},
    )
    (text,) = files_of(patch).values()
    assert yaml.safe_load(text) == {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"annotations": {"a": "b"}, "name": "spin-clouddriver"},
    }


def test_same_kind_and_name_in_two_namespaces_get_namespaced_file_names() -> None:
    first = registered("kubernetes:core/v1:ConfigMap", "a", {"metadata": {"name": "cm", "namespace": "one"}})
    second = registered("kubernetes:core/v1:ConfigMap", "b", {"metadata": {"name": "cm", "namespace": "two"}})
    assert sorted(files_of(first, second)) == ["kubernetes/configmap-one-cm.yaml", "kubernetes/configmap-two-cm.yaml"]


def test_cloud_resources_by_package_with_policies_parsed_and_whole_numbers() -> None:
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:*"}]})
    role_policy = registered("aws:iam/rolePolicy:RolePolicy", "pull", {"policy": policy, "role": "r"})
    same_name = registered("aws:iam/role:Role", "pull", {"maxSessionDuration": 3600.0, "description": '{"no": 1}'})
    other = registered("random:index/randomId:RandomId", "suffix", {"byteLength": 4.0})
    files = files_of(role_policy, same_name, other)
    assert sorted(files) == ["aws/pull-role.json", "aws/pull-rolepolicy.json", "random/suffix.json"]
    assert json.loads(files["aws/pull-rolepolicy.json"])["inputs"]["policy"]["Statement"][0]["Action"] == "ecr:*"
    role_inputs = json.loads(files["aws/pull-role.json"])["inputs"]
    assert role_inputs == {"description": '{"no": 1}', "maxSessionDuration": 3600}
    assert json.loads(files["random/suffix.json"])["inputs"] == {"byteLength": 4}


def test_policy_strings_inside_kubernetes_data_stay_strings() -> None:
    policy = json.dumps({"Statement": []})
    config_map = registered("kubernetes:core/v1:ConfigMap", "cm", {"metadata": {"name": "cm"}, "data": {"p": policy}})
    (text,) = files_of(config_map).values()
    assert yaml.safe_load(text)["data"] == {"p": policy}


def test_components_and_providers_have_no_file_but_are_summarised() -> None:
    component = registered("spinnaker-ecr:index:SpinnakerEcr", "top", {}, custom=False)
    provider = registered("pulumi:providers:kubernetes", "k8s", {"namespace": "x"}, parent=component.urn)
    run = ProgramRun(resources=[provider, component])
    rendered = rendered_resources(run)
    assert resource_files(rendered) == {}
    document = summary("dev", rendered, {})
    assert [(r["name"], r["depth"], r["file"]) for r in document["resources"]] == [("top", 0, None), ("k8s", 1, None)]


def test_whole_numbers_leaves_fractions_and_booleans() -> None:
    assert whole_numbers({"a": [60.0, 0.5, True, "60.0"]}) == {"a": [60, 0.5, True, "60.0"]}
    assert isinstance(whole_numbers(60.0), int)


@pytest.mark.skipif(DUMPER is PURE_DUMPER, reason="PyYAML without libyaml: only the pure emitter is used")
def test_libyaml_and_pure_python_emit_the_same_bytes() -> None:
    """Renders on machines with and without libyaml must stay byte-identical."""
    document = {
        "config.yaml": 'interval: 30m\nregistries:\n- registryId: "012345678901"\n',
        "no-final-newline": "a\nb",
        "trailing-space": "a \nb\n",
        "blank-lines": "a\n\n\nb\n",
        "words": ["yes", "012345678901", "<generated>", "a: b", "- x", "#c", "", "  lead", "ünïcode ✓"],
        "long": "sha256:" + "f" * 300,
        "nested": [{"none": None, "fraction": 1.5, "flag": True, "empty": {}, "list": []}],
    }
    assert yaml_text(document, DUMPER) == yaml_text(document, PURE_DUMPER)
