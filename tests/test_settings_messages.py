"""parse_settings: the exact message for each kind of problem the cross-key checks and the error translation find."""

import copy
import dataclasses
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
REGISTRY_KEYS = (
    "name, accountId, region, environment, accountType, email, cacheThreads, cacheIntervalSeconds, "
    "clientTimeoutMillis, paginateSize, trackDigests, inspectDigests, sortTagsByDate, repositories, catalogFile, "
    "repositoriesRegex, permissions, address, username, password, passwordFile, passwordCommand, dockerconfigFile"
)
ADDRESS = "https://111122223333.dkr.ecr.us-east-1.amazonaws.com"


def config_with(**sections: Any) -> dict[str, Any]:
    return {**copy.deepcopy(GOOD), **sections}


def problems(config: dict[str, Any], **context: Any) -> list[str]:
    with pytest.raises(SettingsError) as raised:
        parse_settings(config, project="spinnaker-ecr", stack="test", **context)
    return list(raised.value.problems)


def registry(name: str, region: str) -> dict[str, str]:
    return {"name": name, "accountId": "111122223333", "region": region}


@pytest.mark.parametrize(
    ("token_refresh", "expected"),
    [
        (
            {"method": "password-command", "interval": "30m"},
            ["spinnaker-ecr:tokenRefresh.interval: '30m' only applies to method sidecar or external-secrets, not "
             "password-command"],
        ),
        (
            {"method": "external-secrets", "intervall": "1h", "image": "x"},
            [
                "spinnaker-ecr:tokenRefresh.intervall: '1h' is not a known key (known: method, interval, apiVersion, "
                "generatorApiVersion, auth); did you mean interval?",
                "spinnaker-ecr:tokenRefresh.image: 'x' only applies to method sidecar, not external-secrets",
            ],
        ),
        (
            {"interval": "30m"},
            ["spinnaker-ecr:tokenRefresh.image: is required (the token-refresh sidecar image, pinned by digest in "
             "production)"],
        ),
    ],
)  # fmt: skip
def test_keys_of_one_refresh_method_are_named_against_that_method(
    token_refresh: dict[str, Any], expected: list[str]
) -> None:
    assert problems(config_with(tokenRefresh=token_refresh)) == expected


def test_an_unknown_or_missing_key_inside_a_list_entry_lists_that_entry_s_keys() -> None:
    entry = {**registry("ecr-main", "us-east-1"), "repos": ["a"]}
    assert problems(config_with(registries=[entry])) == [
        f'spinnaker-ecr:registries[0].repos: ["a"] is not a known key (known: {REGISTRY_KEYS})'
    ]
    entry = {"name": "ecr-main", "accountId": "111122223333"}
    assert problems(config_with(registries=[entry])) == [
        f"spinnaker-ecr:registries[0].region: is required (needed here; known keys: {REGISTRY_KEYS})"
    ]


def test_a_nested_key_named_like_a_moved_section_is_just_unknown() -> None:
    assert problems(config_with(spinnaker={"externalSecrets": {}})) == [
        "spinnaker-ecr:spinnaker.externalSecrets: {} is not a known key (known: name, namespace, apiVersion, "
        "clouddriverHA, patchForce, extraSidecars, extraDockerAccounts, extraVolumes)"
    ]


def test_irsa_takes_a_cluster_name_or_an_oidc_provider_not_both() -> None:
    access = {**GOOD["access"], "oidcProviderArn": "arn:aws:iam::111122223333:oidc-provider/x"}
    assert problems(config_with(access=access)) == [
        "spinnaker-ecr:access.clusterName: 'spin' cannot be combined with oidcProviderArn: give one"
    ]


SECRET_REF = {"secretRef": {"accessKeyIDSecretRef": {"name": "s", "key": "k"}}}


def test_the_external_secrets_generator_needs_credentials_only_where_the_role_is_not_annotated() -> None:
    node_role = {"mode": "node-role", "nodeRoleName": "nodes"}
    assert problems(config_with(access=node_role, tokenRefresh={"method": "external-secrets"})) == [
        "spinnaker-ecr:tokenRefresh.auth: is required (with access.mode node-role the ECRAuthorizationToken generator "
        "runs in the External Secrets controller, not in clouddriver's pod, so it cannot use that role: give it "
        "credentials of its own (jwt.serviceAccountRef of an IRSA service account, or secretRef), or use access.mode "
        "irsa)"
    ]
    parse_settings(
        config_with(access=node_role, tokenRefresh={"method": "external-secrets", "auth": SECRET_REF}),
        project="p",
        stack="s",
    )
    parse_settings(config_with(tokenRefresh={"method": "external-secrets"}), project="p", stack="s")


def test_a_partition_mismatch_is_found_whichever_partition_comes_first() -> None:
    registries = [registry("a", "cn-north-1"), registry("b", "us-east-1")]
    assert problems(config_with(registries=registries)) == [
        "spinnaker-ecr:registries[1].region: 'us-east-1' is in partition aws, but registries[0] is in aws-cn: one "
        "stack's registries must share a partition"
    ]
    assert problems(GOOD, region="cn-north-1") == [
        "spinnaker-ecr:registries[0].region: 'us-east-1' is in partition aws, but aws:region cn-north-1 is in aws-cn: "
        "the role is created in aws:region's partition and can only read registries there"
    ]


@pytest.mark.parametrize(("region", "shown"), [("", "''"), (5, "5"), (["us-east-1"], '["us-east-1"]')])
def test_an_aws_region_that_is_not_a_region_name_is_named_not_a_crash(region: Any, shown: str) -> None:
    # A stack file's `aws:region: 5` reaches parse_settings JSON-decoded, as a number (tools/environments.py).
    assert problems(GOOD, region=region) == [f"aws:region: {shown} is not an AWS region"]


def test_a_legacy_image_beside_an_invalid_access_section_is_no_crash() -> None:
    config = config_with(access={"mode": "kiam"}, tokenRefresh={"image": "quay.io/skuid/ecr-token-refresh:1"})
    assert problems(config) == [
        "spinnaker-ecr:access.mode: 'kiam' is not one of: irsa, pod-identity, node-role, existing-role"
    ]


def test_every_mistyped_namespace_is_named_whatever_its_place_in_the_order() -> None:
    found = problems(GOOD, other_keys=("aws:region", "spinaker-ecr:registries", "spinnaker-ecs:tags"))
    assert found == [
        "spinaker-ecr:registries: is not a key of any namespace this stack uses; did you mean "
        "spinnaker-ecr:registries?",
        "spinnaker-ecs:tags: is not a key of any namespace this stack uses; did you mean spinnaker-ecr:tags?",
    ]


@pytest.mark.parametrize(
    "account",
    [
        {"address": ADDRESS, "username": "admin"},
        {"address": ADDRESS, "username": "ABC"},
        {"address": ADDRESS},
        {"address": "https://evil.example", "username": "AWS"},
        {"address": "https://0.example", "username": "AWS"},
    ],
)
def test_an_extra_account_reading_a_token_file_needs_both_the_registry_address_and_username_aws(
    account: dict[str, str],
) -> None:
    extra = [
        {"name": "hub", "address": "https://index.docker.io"},
        {"name": "other", "passwordFile": "/etc/passwords/ecr-main.pass", **account},
    ]
    assert problems(config_with(spinnaker={"extraDockerAccounts": extra})) == [
        "spinnaker-ecr:spinnaker.extraDockerAccounts[1].passwordFile: '/etc/passwords/ecr-main.pass' holds the ECR "
        f"token of registry ecr-main: an account reading it must have address {ADDRESS} and username AWS "
        "(clouddriver sends the password to the address)"
    ]


def test_an_extra_account_with_the_registry_address_and_username_aws_may_read_its_token_file() -> None:
    # Built at run time, as values read from a stack file are: equal strings, not the same objects.
    account = {
        "name": "same",
        "address": "".join(["https://", ADDRESS.removeprefix("https://")]),
        "username": "".join(["AW", "S"]),
        "passwordFile": "/etc/passwords/ecr-main.pass",
    }
    parse_settings(config_with(spinnaker={"extraDockerAccounts": [account]}), project="p", stack="s")


def test_problems_cannot_be_changed_once_found() -> None:
    with pytest.raises(SettingsError) as raised:
        parse_settings(config_with(registries=[]), project="p", stack="s")
    with pytest.raises(dataclasses.FrozenInstanceError):
        raised.value.found[0].value = "other"  # type: ignore[misc]


def test_parse_settings_takes_its_context_by_keyword_only() -> None:
    with pytest.raises(TypeError):
        parse_settings(GOOD, "spinnaker-ecr", "test")  # type: ignore[misc]


def test_load_settings_checks_aws_region_and_other_namespaces_from_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    pulumi.runtime.set_mocks(OfflineMocks("us-east-1"), project="spinnaker-ecr", stack="envtest")
    pulumi.runtime.set_all_config({})
    engine_config = {f"spinnaker-ecr:{key}": json.dumps(value) for key, value in GOOD.items()}
    engine_config |= {
        "aws:region": "us-est-1",
        "spinaker-ecr:registries": "[]",
        "spinnaker-ecs:tags": json.dumps({"team": 7}),
        "kubernetes:context": "kind",
    }
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(engine_config))
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert list(raised.value.problems) == [
        "spinaker-ecr:registries: is not a key of any namespace this stack uses; did you mean "
        "spinnaker-ecr:registries?",
        "spinnaker-ecs:tags: is not a key of any namespace this stack uses; did you mean spinnaker-ecr:tags?",
        "aws:region: 'us-est-1' is not an AWS region of the aws, aws-cn, aws-us-gov partitions; did you mean "
        "us-east-1 or us-west-1?",
    ]


@pytest.mark.parametrize(("value", "shown"), [("x", "'x'"), (["x"], '["x"]')])
def test_a_token_refresh_that_is_not_a_mapping_is_named(value: Any, shown: str) -> None:
    assert problems(config_with(tokenRefresh=value)) == [
        f"spinnaker-ecr:tokenRefresh: {shown} is not valid: Unable to extract tag using discriminator _method_of()"
    ]


def test_a_key_elsewhere_named_like_a_refresh_method_is_not_taken_for_one() -> None:
    assert problems(config_with(tags={"sidecar": 7})) == [
        "spinnaker-ecr:tags.sidecar: 7 is not a tag value (a string of at most 256 letters, digits, spaces and "
        "_ . : / = + - @)"
    ]
