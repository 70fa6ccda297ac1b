"""No false positive: our stacks and the legitimate variants of them, through pulumi_policy's analyzer, with and
without the production policy config."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from test_policy_support import (
    DIGEST,
    UNKNOWN,
    Planned,
    accounts,
    mandatory,
    planned,
    preview,
    production_config,
    rules,
    sidecar_lists,
)

from tools.offline import ProgramRun, run_program
from tools.stack_files import stack_config, stack_names

PINNED_IMAGE = "444455556666.dkr.ecr.eu-west-1.amazonaws.com/ecr-token-refresh@" + DIGEST
LOG_SHIPPER = "public.ecr.aws/aws-observability/aws-for-fluent-bit@" + DIGEST


def with_config(stack: str, **sections: dict[str, Any]) -> dict[str, Any]:
    """The stack file's config with whole `spinnaker-ecr:<section>` values merged in (None removes a key)."""
    config = copy.deepcopy(stack_config(stack))
    for section, changes in sections.items():
        key = f"spinnaker-ecr:{section}"
        merged = {**config.get(key, {}), **changes}
        config[key] = {k: v for k, v in merged.items() if v is not None}
    return config


def prod_with_pinned_extras() -> dict[str, Any]:
    config = copy.deepcopy(stack_config("prod"))
    config["spinnaker-ecr:spinnaker"]["extraSidecars"][0]["dockerImage"] = LOG_SHIPPER
    return config


def staging_pinned(**sections: dict[str, Any]) -> dict[str, Any]:
    return with_config("staging", tokenRefresh={"image": PINNED_IMAGE}, **sections)


AWS_CN = {
    "aws:region": "cn-north-1",
    "spinnaker-ecr:access": {
        "mode": "irsa",
        "oidcProviderArn": "arn:aws-cn:iam::111122223333:oidc-provider/oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC",
        "serviceAccount": {"name": "spin-clouddriver"},
    },
    "spinnaker-ecr:tokenRefresh": {"image": PINNED_IMAGE, "interval": "30m"},
    "spinnaker-ecr:registries": [
        {"name": "ecr-cn", "accountId": "111122223333", "region": "cn-north-1"},
        {"name": "ecr-cn-nw", "accountId": "111122223333", "region": "cn-northwest-1"},
    ],
}
OWN_PASSWORD_ACCOUNT = {
    "name": "dockerhub",
    "address": "https://index.docker.io",
    "username": "spinnaker-bot",
    "passwordFile": "/etc/dockerhub/password",
}
OWN_PASSWORD_VOLUME = {"id": "dockerhub-password", "type": "secret", "mountPath": "/etc/dockerhub"}

# Each legitimate variant, as a whole stack config and the stack name it runs under.
VARIANTS: dict[str, tuple[dict[str, Any], str]] = {
    "prod-pinned-extra-sidecar": (prod_with_pinned_extras(), "prod"),
    "aws-cn": (AWS_CN, "cn"),
    "ha-irsa": (staging_pinned(), "staging"),
    "ha-pod-identity-armory": (
        staging_pinned(
            access={
                "mode": "pod-identity",
                "oidcProviderArn": None,
                "clusterName": "spin",
                "serviceAccount": {"name": "cd", "create": True},
            },
            spinnaker={"apiVersion": "spinnaker.armory.io/v1alpha2"},
        ),
        "staging",
    ),
    "password-command": (
        with_config("staging", tokenRefresh={"method": "password-command", "image": None, "interval": None}),
        "staging",
    ),
    "password-command-node-role": (
        with_config(
            "dev",
            tokenRefresh={"method": "password-command", "image": None, "interval": None},
        ),
        "dev",
    ),
    "external-secrets": (with_config("staging", tokenRefresh={"method": "external-secrets", "image": None}), "staging"),
    "external-secrets-v1beta1": (
        with_config(
            "staging",
            tokenRefresh={"method": "external-secrets", "image": None, "apiVersion": "external-secrets.io/v1beta1"},
        ),
        "staging",
    ),
    "own-password-account": (
        with_config(
            "prod",
            spinnaker={
                "extraSidecars": [{"name": "log-shipper", "dockerImage": LOG_SHIPPER}],
                "extraDockerAccounts": [OWN_PASSWORD_ACCOUNT],
                "extraVolumes": [OWN_PASSWORD_VOLUME],
            },
        ),
        "prod",
    ),
}


@pytest.fixture(scope="module")
def variant_runs() -> dict[str, ProgramRun]:
    return {name: run_program(config, stack) for name, (config, stack) in VARIANTS.items()}


@pytest.mark.parametrize("stack", stack_names())
def test_our_stacks_have_no_mandatory_finding(stack: str, stack_runs: dict[str, ProgramRun]) -> None:
    found = preview(planned(stack_runs[stack]))
    assert mandatory(found) == [], "\n".join(map(str, found))


def test_prod_passes_the_production_config_and_an_unpinned_log_shipper_would_not(
    stack_runs: dict[str, ProgramRun],
) -> None:
    """stacks/Pulumi.prod.yaml pins its `log-shipper` by digest; by tag it is a mandatory finding in production."""
    assert preview(planned(stack_runs["prod"]), production_config()) == []
    config = with_config("prod")
    config["spinnaker-ecr:spinnaker"]["extraSidecars"][0]["dockerImage"] = "registry.example/fluent-bit:2.32.2"
    found = preview(planned(run_program(config, "prod")), production_config())
    assert [(d.policy, d.level) for d in found] == [("sidecars-unprivileged-and-pinned", "mandatory")], found
    assert "sidecars.spin-clouddriver[1] 'log-shipper'" in found[0].message


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_legitimate_variant_passes_even_under_the_production_config(
    variant: str, variant_runs: dict[str, ProgramRun]
) -> None:
    for config in (None, production_config()):
        found = preview(planned(variant_runs[variant]), config)
        assert found == [], "\n".join(map(str, found))


def test_the_variants_cover_what_they_claim(variant_runs: dict[str, ProgramRun]) -> None:
    """Guards the test above against passing vacuously."""
    types = {name: {r.type for r in run.resources} for name, run in variant_runs.items()}
    assert "kubernetes:external-secrets.io/v1beta1:ExternalSecret" in types["external-secrets-v1beta1"]
    assert "kubernetes:spinnaker.armory.io/v1alpha2:SpinnakerServicePatch" in types["ha-pod-identity-armory"]
    assert rules.POD_IDENTITY_ASSOCIATION in types["ha-pod-identity-armory"]
    patches = {
        name: next(r for r in run.resources if rules.is_spinnaker_service(r.type)) for name, run in variant_runs.items()
    }
    cn = accounts(patches["aws-cn"].inputs)
    assert {a["address"] for a in cn} == {
        "https://111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn",
        "https://111122223333.dkr.ecr.cn-northwest-1.amazonaws.com.cn",
    }
    assert "clouddriver" in sidecar_lists(patches["ha-irsa"].inputs), "HA: the sidecar key matches every service"
    assert all("passwordCommand" in a for a in accounts(patches["password-command"].inputs))
    assert OWN_PASSWORD_ACCOUNT in accounts(patches["own-password-account"].inputs)


def first_preview(run: ProgramRun) -> list[Planned]:
    """A stack's resources as the engine sends them on its first preview: the role does not exist, so its ARN, the
    role ARN a service account or association carries, and the auto-named ConfigMap's name are unknown."""
    resources = planned(run)
    for resource in resources:
        for props in (resource.inputs, resource.outputs):
            if resource.type == rules.ROLE:
                props.pop("arn", None)
                if props is resource.outputs:
                    props["arn"] = UNKNOWN
            if resource.type == rules.POD_IDENTITY_ASSOCIATION:
                props["roleArn"] = UNKNOWN
            annotations = props.get("metadata", {}).get("annotations", {})
            if resource.type in rules.SERVICE_ACCOUNT_TYPES and rules.IRSA_ROLE_ANNOTATION in annotations:
                annotations[rules.IRSA_ROLE_ANNOTATION] = UNKNOWN
            if rules.is_spinnaker_service(resource.type):
                for sidecars in sidecar_lists(props).values():
                    for sidecar in sidecars:
                        for mount in sidecar.get("configMapVolumeMounts", []):
                            mount["configMapName"] = UNKNOWN
    return resources


@pytest.mark.parametrize("variant", ["prod-pinned-extra-sidecar", "ha-irsa", "ha-pod-identity-armory"])
def test_a_first_preview_passes_under_the_production_config(variant: str, variant_runs: dict[str, ProgramRun]) -> None:
    """The bindings are unknown but computed from the stack's own role alone: no check is blinded."""
    found = preview(first_preview(variant_runs[variant]), production_config())
    assert found == [], "\n".join(map(str, found))
