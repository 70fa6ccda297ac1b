"""parse_settings: defaults, and every bad input named with key, value and what is accepted."""

import copy
import json
from typing import Any

import pulumi.runtime
import pytest

from components.settings import SettingsError, load_settings, parse_settings
from tools.offline import OfflineMocks

GOOD: dict[str, Any] = {
    "access": {"mode": "irsa", "clusterName": "spin", "serviceAccount": {"name": "spin-clouddriver"}},
    "tokenRefresh": {"image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/ecr-token-refresh:1"},
    "registries": [{"name": "ecr-main", "accountId": "111122223333", "region": "us-east-1"}],
}


# Digits Python's \\d matches but AWS and Go do not.
ARABIC_INDIC_ID = "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661\u0662"
ARABIC_INDIC_30M = "\u0663\u0660m"


def with_changes(**sections: Any) -> dict[str, Any]:
    config = copy.deepcopy(GOOD)
    for key, value in sections.items():
        if value is None:
            config.pop(key, None)
        elif isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return config


def problems(config: dict[str, Any]) -> list[str]:
    with pytest.raises(SettingsError) as raised:
        parse_settings(config, project="spinnaker-ecr", stack="test")
    return list(raised.value.problems)


def registry(**fields: Any) -> dict[str, Any]:
    return {"name": "ecr-main", "accountId": "111122223333", "region": "us-east-1", **fields}


def test_defaults() -> None:
    settings = parse_settings(GOOD, project="spinnaker-ecr", stack="test")
    assert settings.spinnaker.name == "spinnaker"
    assert settings.spinnaker.namespace == "spinnaker"
    assert settings.spinnaker.api_version == "spinnaker.io/v1alpha2"
    assert settings.spinnaker.clouddriver_ha is False
    assert settings.spinnaker.patch_force is False
    assert settings.token_refresh.interval == "30m"
    assert settings.token_refresh.method == "sidecar"
    assert settings.access.audience == "sts.amazonaws.com"
    assert settings.access.service_account is not None
    assert settings.access.service_account.create is False
    assert settings.registries[0].account_id == "111122223333"


def test_settings_are_frozen() -> None:
    settings = parse_settings(GOOD, project="spinnaker-ecr", stack="test")
    with pytest.raises(AttributeError):
        settings.stack = "prod"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"registries": [registry(accountId="12345")]},
            "spinnaker-ecr:registries[0].accountId: '12345' is not a 12-digit AWS account id",
        ),
        (
            {"registries": [registry(accountId=111122223333)]},
            "spinnaker-ecr:registries[0].accountId: 111122223333 is a number: quote it",
        ),
        (
            {"registries": [registry(region="us-east")]},
            "spinnaker-ecr:registries[0].region: 'us-east' is not an AWS region",
        ),
        (
            {"registries": [registry(name="ECR_Main")]},
            "spinnaker-ecr:registries[0].name: 'ECR_Main' is not a clouddriver account name",
        ),
        (
            {"registries": [registry(), registry(region="us-west-2")]},
            "spinnaker-ecr:registries[1].name: 'ecr-main' is a duplicate",
        ),
        ({"registries": []}, "spinnaker-ecr:registries: [] is empty"),
        ({"registries": None}, "spinnaker-ecr:registries: is required"),
        (
            {"registries": [registry(repos=["a"])]},
            'spinnaker-ecr:registries[0].repos: ["a"] is not a known key',
        ),
        (
            {"registries": [registry(passwordFile="/tmp/x")]},
            "spinnaker-ecr:registries[0].passwordFile: '/tmp/x' is set by this program",
        ),
        (
            {"registries": [registry(cacheIntervalSeconds=0)]},
            "spinnaker-ecr:registries[0].cacheIntervalSeconds: 0 is not a positive integer",
        ),
        (
            {"registries": [registry(repositories=["a"], catalogFile="/c.json")]},
            "spinnaker-ecr:registries[0].catalogFile: '/c.json' cannot be combined with repositories",
        ),
        (
            {"registries": [{"name": "ecr-main", "region": "us-east-1"}]},
            "spinnaker-ecr:registries[0].accountId: is required",
        ),
        ({"tokenRefresh": {"interval": "30"}}, "spinnaker-ecr:tokenRefresh.interval: '30' is not a Go duration"),
        ({"tokenRefresh": {"interval": "30s"}}, "spinnaker-ecr:tokenRefresh.interval: '30s' is out of range"),
        ({"tokenRefresh": {"interval": "12h"}}, "spinnaker-ecr:tokenRefresh.interval: '12h' is out of range"),
        ({"tokenRefresh": {"intervall": "1h"}}, "spinnaker-ecr:tokenRefresh.intervall: '1h' is not a known key"),
        (
            {"tokenRefresh": {"method": "cron"}},
            "spinnaker-ecr:tokenRefresh.method: 'cron' is not one of: sidecar",
        ),
        (
            {"tokenRefresh": {"image": "quay.io/skuid/ecr-token-refresh:latest"}},
            "spinnaker-ecr:tokenRefresh.image: 'quay.io/skuid/ecr-token-refresh:latest' cannot be used with "
            "access.mode irsa: the legacy skuid image (aws-sdk-go 1.6, 2017) has no web-identity",
        ),
        (
            {"access": {"mode": "kiam"}},
            "spinnaker-ecr:access.mode: 'kiam' is not one of: irsa, pod-identity, node-role",
        ),
        ({"access": {"mode": None}}, "spinnaker-ecr:access.mode: is required"),
        (
            {"access": {"mode": "irsa", "clusterName": None, "serviceAccount": {"name": "sa"}}},
            "spinnaker-ecr:access.oidcProviderArn: is required (mode irsa needs clusterName or oidcProviderArn)",
        ),
        (
            {"access": {"oidcProviderArn": "arn:aws:iam::111122223333:role/x", "clusterName": None}},
            "spinnaker-ecr:access.oidcProviderArn: 'arn:aws:iam::111122223333:role/x' is not an IAM OIDC provider ARN",
        ),
        (
            {"access": {"mode": "node-role", "clusterName": None, "serviceAccount": None}},
            "spinnaker-ecr:access.nodeRoleName: is required",
        ),
        (
            {"access": {"mode": "pod-identity", "clusterName": None}},
            "spinnaker-ecr:access.clusterName: is required (mode pod-identity needs the EKS cluster",
        ),
        (
            {"access": {"serviceAccount": {}}},
            "spinnaker-ecr:access.serviceAccount.name: is required",
        ),
        (
            {"access": {"nodeRoleName": "nodes"}},
            "spinnaker-ecr:access.nodeRoleName: 'nodes' only applies to mode node-role, not irsa",
        ),
        ({"access": {"clustername": "x"}}, "spinnaker-ecr:access.clustername: 'x' is not a known key"),
        (
            {"spinnaker": {"apiVersion": "spinnaker.io/v1alpha1"}},
            "spinnaker-ecr:spinnaker.apiVersion: 'spinnaker.io/v1alpha1' is not one of: spinnaker.io/v1alpha2, "
            "spinnaker.armory.io/v1alpha2",
        ),
        ({"spinnaker": {"clouddriverHA": "yes"}}, "spinnaker-ecr:spinnaker.clouddriverHA: 'yes' is not true or false"),
        (
            {"spinnaker": {"extraSidecars": [{"name": "token-refresh"}]}},
            "spinnaker-ecr:spinnaker.extraSidecars[0].name: 'token-refresh' is the name of this program's own sidecar",
        ),
        (
            {"spinnaker": {"extraDockerAccounts": [{"name": "ecr-main", "address": "https://x"}]}},
            "spinnaker-ecr:spinnaker.extraDockerAccounts[0].name: 'ecr-main' is also a registry name",
        ),
        (
            {"registries": [registry(name="x" * 64)]},
            f"spinnaker-ecr:registries[0].name: '{'x' * 64}' is not a clouddriver account name",
        ),
        (
            {"registries": [registry(accountId=True)]},
            "spinnaker-ecr:registries[0].accountId: true is not a 12-digit AWS account id",
        ),
        (
            {"registries": [registry(region="us-iso-east-1")]},
            "spinnaker-ecr:registries[0].region: 'us-iso-east-1' is not an AWS region in the aws, aws-cn or aws-us-gov",
        ),
        (
            {"registries": [registry(), registry(name="ecr-cn", region="cn-north-1")]},
            "spinnaker-ecr:registries[1].region: 'cn-north-1' is in partition aws-cn, but registries[0] is in aws",
        ),
        (
            {"registries": [registry(name="Bad"), registry(name="x"), registry(name="x")]},
            "spinnaker-ecr:registries[2].name: 'x' is a duplicate",
        ),
        (
            {"spinnaker": {"namespace": "n" * 64}},
            f"spinnaker-ecr:spinnaker.namespace: '{'n' * 64}' is not a Kubernetes name",
        ),
        (
            {
                "access": {"mode": "pod-identity", "clusterName": "spin"},
                "tokenRefresh": {"image": "skuid/ecr-token-refresh"},
            },
            "spinnaker-ecr:tokenRefresh.image: 'skuid/ecr-token-refresh' cannot be used with access.mode pod-identity",
        ),
        (
            {"access": {"mode": "node-role", "nodeRoleName": "nodes", "clusterName": None}},
            'spinnaker-ecr:access.serviceAccount: {"name": "spin-clouddriver"} only applies to mode irsa or '
            "pod-identity, not node-role",
        ),
        (
            {"access": {"mode": "pod-identity", "oidcProviderArn": "arn:aws:iam::111122223333:oidc-provider/x"}},
            "spinnaker-ecr:access.oidcProviderArn: 'arn:aws:iam::111122223333:oidc-provider/x' "
            "only applies to mode irsa",
        ),
        (
            {"spinnaker": {"extraSidecars": [{"name": "logs"}, {"name": "logs"}]}},
            "spinnaker-ecr:spinnaker.extraSidecars[1].name: 'logs' is a duplicate",
        ),
        (
            {"spinnaker": {"extraDockerAccounts": [{"address": "https://x"}]}},
            "spinnaker-ecr:spinnaker.extraDockerAccounts[0].name: null is not a non-empty string",
        ),
        (
            {"spinnaker": {"extraVolumes": [{"id": "v", "type": "secret"}, {"id": "v", "type": "secret"}]}},
            "spinnaker-ecr:spinnaker.extraVolumes[1].id: 'v' is a duplicate",
        ),
        ({"tags": {"stack": "x"}}, "spinnaker-ecr:tags.stack: 'x' is a reserved tag"),
        ({"tags": {"aws:cost": "x"}}, "spinnaker-ecr:tags.aws:cost: 'x' is a reserved tag"),
        (
            {"tokenRefresh": {"method": "external-secrets"}, "externalSecrets": {"auth": {"jtw": {}}}},
            "spinnaker-ecr:externalSecrets.auth.jtw: {} is not a known key (known: jwt, secretRef)",
        ),
        (
            {"tokenRefresh": {"method": "external-secrets"}, "externalSecrets": {"auth": {"jwt": {}, "secretRef": {}}}},
            'spinnaker-ecr:externalSecrets.auth: {"jwt": {}, "secretRef": {}} is not a mapping with exactly one',
        ),
        (
            {"tokenRefresh": {"method": "external-secrets"}, "externalSecrets": {"generatorApiVersion": "v2"}},
            "spinnaker-ecr:externalSecrets.generatorApiVersion: 'v2' is not one of: "
            "generators.external-secrets.io/v1alpha1",
        ),
        (
            {"registries": [registry(accountId=ARABIC_INDIC_ID)]},
            f"spinnaker-ecr:registries[0].accountId: '{ARABIC_INDIC_ID}' is not a 12-digit AWS account id",
        ),
        (
            {"tokenRefresh": {"interval": ARABIC_INDIC_30M}},
            f"spinnaker-ecr:tokenRefresh.interval: '{ARABIC_INDIC_30M}' is not a Go duration",
        ),
        ({"registry": []}, "spinnaker-ecr:registry: [] is not a known key"),
        ({"tags": {"team": 7}}, 'spinnaker-ecr:tags: {"team": 7} is not a mapping of tag names to string values'),
    ],
)
def test_bad_input_is_named(changes: dict[str, Any], expected: str) -> None:
    found = problems(with_changes(**changes))
    assert any(problem.startswith(expected) for problem in found), found


def test_legacy_image_is_fine_with_node_role() -> None:
    config = with_changes(
        access={"mode": "node-role", "nodeRoleName": "nodes"},
        tokenRefresh={"image": "quay.io/skuid/ecr-token-refresh:latest"},
    )
    config["access"] = {"mode": "node-role", "nodeRoleName": "nodes"}
    assert parse_settings(config, project="p", stack="s").token_refresh.image.startswith("quay.io/skuid")


@pytest.mark.parametrize(
    "image",
    ["quay.io/skuid/ecr-token-refresh", "skuid/ecr-token-refresh:v1", "quay.io/skuid/ecr-token-refresh@sha256:ab"],
)
def test_legacy_image_is_recognised_in_any_form(image: str) -> None:
    found = problems(with_changes(tokenRefresh={"image": image}))
    assert any("legacy skuid image" in problem for problem in found), found


def test_every_problem_is_listed_at_once() -> None:
    found = problems(
        with_changes(
            access={"mode": "kiam"},
            tokenRefresh={"interval": "2d"},
            registries=[registry(accountId="1"), registry(region="mars")],
        )
    )
    keys = {problem.split(":", 2)[1].split(" ")[0] for problem in found}
    assert {"access.mode", "tokenRefresh.interval", "registries[0].accountId", "registries[1].region"} <= keys


def test_error_message_lists_each_problem_on_its_own_line() -> None:
    with pytest.raises(SettingsError) as raised:
        parse_settings(
            with_changes(registries=[registry(accountId="1"), registry(region="mars")]), project="p", stack="s"
        )
    message = str(raised.value)
    assert "2 problem(s)" in message
    assert "\n  - spinnaker-ecr:registries[0].accountId: '1'" in message


def test_load_settings_reads_the_config_the_engine_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python language host hands config over as PULUMI_CONFIG (JSON of strings), not through CONFIG."""
    pulumi.runtime.set_mocks(OfflineMocks("us-east-1"), project="spinnaker-ecr", stack="envtest")
    pulumi.runtime.set_all_config({})
    engine_config = {f"spinnaker-ecr:{key}": json.dumps(value) for key, value in GOOD.items()}
    engine_config["aws:region"] = "us-east-1"
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(engine_config))
    settings = load_settings()
    assert (settings.project, settings.stack) == ("spinnaker-ecr", "envtest")
    assert settings.registries[0].name == "ecr-main"
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({**engine_config, "spinnaker-ecr:registrys": "[]"}))
    with pytest.raises(SettingsError, match=r"spinnaker-ecr:registrys: \[\] is not a known key"):
        load_settings()
