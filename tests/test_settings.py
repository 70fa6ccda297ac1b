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
            "spinnaker-ecr:registries[0].region: 'us-iso-east-1' is in partition aws-iso, which is not supported",
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
            f"spinnaker-ecr:spinnaker.namespace: '{'n' * 64}' is not a DNS-1123 label",
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
            "pod-identity or existing-role, not node-role",
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
            "spinnaker-ecr:spinnaker.extraDockerAccounts[0].name: is required (every extra docker account needs a "
            "unique name)",
        ),
        (
            {"spinnaker": {"extraVolumes": [{"id": "v", "type": "secret"}, {"id": "v", "type": "secret"}]}},
            "spinnaker-ecr:spinnaker.extraVolumes[1].id: 'v' is a duplicate",
        ),
        ({"tags": {"stack": "x"}}, "spinnaker-ecr:tags.stack: 'stack' is a reserved tag"),
        ({"tags": {"aws:cost": "x"}}, "spinnaker-ecr:tags.aws:cost: 'aws:cost' is a reserved tag"),
        (
            {"tokenRefresh": {"method": "external-secrets", "auth": {"jtw": {}}}},
            "spinnaker-ecr:tokenRefresh.auth.jtw: {} is not a known key (known: jwt, secretRef); did you mean jwt?",
        ),
        (
            {"tokenRefresh": {"method": "external-secrets", "auth": {"jwt": {}, "secretRef": {}}}},
            'spinnaker-ecr:tokenRefresh.auth: {"jwt": {}, "secretRef": {}} is not a mapping with exactly one',
        ),
        (
            {"tokenRefresh": {"method": "external-secrets", "generatorApiVersion": "v2"}},
            "spinnaker-ecr:tokenRefresh.generatorApiVersion: 'v2' is not one of: "
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
        ({"tags": {"team": 7}}, "spinnaker-ecr:tags.team: 7 is not a tag value"),
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


EXISTING_ROLE = {
    "mode": "existing-role",
    "roleArn": "arn:aws:iam::111122223333:role/platform/spinnaker-ecr",
    "serviceAccount": {"name": "spin-clouddriver"},
}


def settings_problems(config: dict[str, Any], **context: Any) -> list[str]:
    with pytest.raises(SettingsError) as raised:
        parse_settings(config, project="spinnaker-ecr", stack="test", **context)
    return list(raised.value.problems)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"registries": [registry(region="eu-wset-1")]},
            "spinnaker-ecr:registries[0].region: 'eu-wset-1' is not an AWS region of the aws, aws-cn, aws-us-gov "
            "partitions; did you mean eu-west-1?",
        ),
        (
            {"registries": [registry(region="us-east-9")]},
            "spinnaker-ecr:registries[0].region: 'us-east-9' is not an AWS region of the aws, aws-cn, aws-us-gov "
            "partitions; did you mean us-east-1 or us-east-2?",
        ),
        (
            {"registries": [registry(accountId=12345678901.0)]},
            "spinnaker-ecr:registries[0].accountId: 12345678901.0 is a number",
        ),
        (
            {"access": {"mode": "irsa", "serviceAccount": {"create": True}}},
            "spinnaker-ecr:access.serviceAccount.name: is required (the service account clouddriver runs as)",
        ),
        (
            {"access": {"mode": "irsa", "serviceAccount": None}},
            "spinnaker-ecr:access.serviceAccount: is required (mode irsa needs the service account",
        ),
        (
            {"tokenRefresh": {"method": "sidcar"}},
            "spinnaker-ecr:tokenRefresh.method: 'sidcar' is not one of: sidecar, password-command, "
            "external-secrets; did you mean sidecar?",
        ),
        (
            {"registry": []},
            "spinnaker-ecr:registry: [] is not a known key (known: access, spinnaker, tokenRefresh, registries, "
            "tags, deploy); did you mean registries?",
        ),
        (
            {"tokenRefresh": {"intervall": "1h"}},
            "spinnaker-ecr:tokenRefresh.intervall: '1h' is not a known key (known: method, image, interval); "
            "did you mean interval?",
        ),
        (
            {"externalSecrets": {"auth": {}}},
            'spinnaker-ecr:externalSecrets: {"auth": {}} has moved under spinnaker-ecr:tokenRefresh',
        ),
        (
            {"access": EXISTING_ROLE | {"roleArn": None}},
            "spinnaker-ecr:access.roleArn: is required (mode existing-role needs the IRSA role another stack manages",
        ),
        (
            {"access": EXISTING_ROLE | {"roleArn": "arn:aws:iam::111122223333:user/x"}},
            "spinnaker-ecr:access.roleArn: 'arn:aws:iam::111122223333:user/x' is not an IAM role ARN",
        ),
        (
            {"access": EXISTING_ROLE | {"clusterName": "spin"}},
            "spinnaker-ecr:access.clusterName: 'spin' only applies to mode irsa or pod-identity, not existing-role",
        ),
        (
            {"access": {"mode": "node-role", "nodeRoleName": "n", "audience": "x"}},
            "spinnaker-ecr:access.audience: 'x' only applies to mode irsa or existing-role, not node-role",
        ),
        (
            {"access": EXISTING_ROLE, "tokenRefresh": {"image": "quay.io/skuid/ecr-token-refresh:latest"}},
            "spinnaker-ecr:tokenRefresh.image: 'quay.io/skuid/ecr-token-refresh:latest' cannot be used with "
            "access.mode existing-role",
        ),
        (
            {"spinnaker": {"extraSidecars": [{"name": "Log_Shipper"}]}},
            "spinnaker-ecr:spinnaker.extraSidecars[0].name: 'Log_Shipper' is not a DNS-1123 label",
        ),
        (
            {"spinnaker": {"name": "spin..naker"}},
            "spinnaker-ecr:spinnaker.name: 'spin..naker' is not a DNS-1123 subdomain",
        ),
        ({"tags": {"team": "a\u00e9\u0000"}}, "spinnaker-ecr:tags.team: 'a\u00e9\\x00' is not a tag value"),
        (
            {"tags": {"t" * 129: "x"}},
            f"spinnaker-ecr:tags.{'t' * 129}: '{'t' * 129}' is not a tag name (1 to 128 characters)",
        ),
    ],
)
def test_what_aws_and_kubernetes_would_refuse_is_named_here(changes: dict[str, Any], expected: str) -> None:
    found = problems(with_changes(**changes))
    assert any(problem.startswith(expected) for problem in found), found


def test_aws_region_is_checked_with_near_misses() -> None:
    found = settings_problems(GOOD, region="us-est-2")
    assert (
        "aws:region: 'us-est-2' is not an AWS region of the aws, aws-cn, aws-us-gov partitions; "
        "did you mean us-east-2 or us-west-2?" in found
    )


def test_registries_must_be_in_the_partition_of_aws_region() -> None:
    found = settings_problems(with_changes(registries=[registry(region="cn-north-1")]), region="us-east-1")
    assert any(
        p.startswith(
            "spinnaker-ecr:registries[0].region: 'cn-north-1' is in partition aws-cn, but aws:region us-east-1"
        )
        for p in found
    ), found


def test_existing_role_needs_no_aws_region_and_ignores_its_partition() -> None:
    config = copy.deepcopy(GOOD)
    config["access"] = EXISTING_ROLE
    settings = parse_settings(config, project="p", stack="s", region=None)
    assert settings.access.role_arn == EXISTING_ROLE["roleArn"]
    assert settings.access.rules.uses_aws is False


def test_a_mistyped_namespace_is_named_with_the_key_it_probably_meant() -> None:
    found = settings_problems(GOOD, other_keys=("spinaker-ecr:registries", "kubernetes:context", "aws:region"))
    assert found == [
        "spinaker-ecr:registries: is not a key of any namespace this stack uses; did you mean spinnaker-ecr:registries?"
    ]


def test_keys_of_other_namespaces_are_left_to_their_providers() -> None:
    parse_settings(
        GOOD, project="p", stack="s", other_keys=("kubernetes:context", "aws:profile", "pulumi:tags", "acme:x")
    )


def test_problems_of_every_section_are_listed_even_when_each_section_fails() -> None:
    found = settings_problems(
        {
            "access": {"mode": "irsa", "serviceAccount": {"create": True}, "nodeRoleName": "x"},
            "tokenRefresh": {"method": "password-command", "image": "x"},
            "registries": [
                registry(name="Bad"),
                registry(name="ok"),
                registry(name="ok", repositories=["a"], catalogFile="/c"),
            ],
        }
    )
    keys = {p.split(": ", 1)[0] for p in found}
    assert {
        "spinnaker-ecr:access.serviceAccount.name",
        "spinnaker-ecr:access.oidcProviderArn",
        "spinnaker-ecr:access.nodeRoleName",
        "spinnaker-ecr:tokenRefresh.image",
        "spinnaker-ecr:registries[0].name",
        "spinnaker-ecr:registries[2].name",
        "spinnaker-ecr:registries[2].catalogFile",
    } <= keys, found


ATTACKER = "https://registry.attacker.example"


@pytest.mark.parametrize(
    ("token_refresh", "password_file"),
    [
        ({"image": "r.example/t:1"}, "/etc/passwords/ecr-main.pass"),
        ({"image": "r.example/t:1"}, "//etc/passwords/ecr-main.pass"),
        ({"image": "r.example/t:1"}, "/etc/passwords/../passwords/./ecr-main.pass"),
        ({"method": "external-secrets"}, "/etc/ecr/us-east-1/password"),
    ],
)
def test_an_extra_account_may_not_send_a_refreshed_token_elsewhere(
    token_refresh: dict[str, Any], password_file: str
) -> None:
    config = with_changes(tokenRefresh=token_refresh)
    config["tokenRefresh"] = token_refresh
    config["spinnaker"] = {
        "extraDockerAccounts": [{"name": "evil", "address": ATTACKER, "passwordFile": password_file}]
    }
    found = problems(config)
    assert any(
        p.startswith(
            f"spinnaker-ecr:spinnaker.extraDockerAccounts[0].passwordFile: '{password_file}' holds the ECR token "
            "of registry ecr-main: an account reading it must have address "
            "https://111122223333.dkr.ecr.us-east-1.amazonaws.com and username AWS"
        )
        for p in found
    ), found


def test_an_extra_account_for_the_same_registry_or_its_own_file_is_fine() -> None:
    config = copy.deepcopy(GOOD)
    config["spinnaker"] = {
        "extraDockerAccounts": [
            {
                "name": "same",
                "address": "https://111122223333.dkr.ecr.us-east-1.amazonaws.com",
                "username": "AWS",
                "passwordFile": "/etc/passwords/ecr-main.pass",
            },
            {"name": "hub", "address": "https://index.docker.io", "passwordFile": "/etc/passwords/hub.pass"},
        ]
    }
    parse_settings(config, project="p", stack="s")


def test_password_command_writes_no_file_an_extra_account_could_reuse() -> None:
    config = copy.deepcopy(GOOD)
    config["tokenRefresh"] = {"method": "password-command"}
    config["spinnaker"] = {
        "extraDockerAccounts": [{"name": "x", "address": ATTACKER, "passwordFile": "/etc/passwords/ecr-main.pass"}]
    }
    parse_settings(config, project="p", stack="s")
