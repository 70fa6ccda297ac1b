"""model: each constrained value at the edge of what it accepts, through parse_settings as a stack file reaches it.

A refused value is named with its key, the value and what is accepted; the value just inside the limit parses.
"""

import copy
import dataclasses
from typing import Any

import pydantic
import pytest

from components.model import ACCESS_MODES, AccessMode, is_legacy_image
from components.settings import SettingsError, parse_settings, show

GOOD: dict[str, Any] = {
    "access": {"mode": "irsa", "clusterName": "spin", "serviceAccount": {"name": "spin-clouddriver"}},
    "tokenRefresh": {"image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/ecr-token-refresh:1"},
    "registries": [{"name": "ecr-main", "accountId": "111122223333", "region": "us-east-1"}],
}


def with_registry(**fields: Any) -> dict[str, Any]:
    config = copy.deepcopy(GOOD)
    config["registries"][0].update(fields)
    return config


def with_section(key: str, value: Any) -> dict[str, Any]:
    return {**copy.deepcopy(GOOD), key: value}


def parse(config: dict[str, Any]) -> Any:
    return parse_settings(config, project="spinnaker-ecr", stack="test")


def problems(config: dict[str, Any]) -> list[str]:
    with pytest.raises(SettingsError) as raised:
        parse(config)
    return list(raised.value.problems)


@pytest.mark.parametrize(
    ("text", "flag"),
    [("".join(["tr", "ue"]), True), ("".join(["fal", "se"]), False), (True, True), (False, False)],
)
def test_a_flag_given_as_text_is_read_as_that_boolean(text: Any, flag: bool) -> None:
    # Built at run time: a value read from a stack file is an equal string, not the same object as a literal.
    settings = parse(with_section("spinnaker", {"clouddriverHA": text, "patchForce": text}))
    assert settings.spinnaker.clouddriver_ha is flag
    assert settings.spinnaker.patch_force is flag


def test_positive_integers_start_at_one() -> None:
    assert parse(with_registry(cacheThreads=1)).registries[0].cache_threads == 1
    assert problems(with_registry(cacheThreads=-1)) == [
        "spinnaker-ecr:registries[0].cacheThreads: -1 is not a positive integer"
    ]


@pytest.mark.parametrize("repositories", [[], [""], ["app", 7], "app"])
def test_repositories_is_a_non_empty_list_of_names(repositories: Any) -> None:
    assert problems(with_registry(repositories=repositories)) == [
        f"spinnaker-ecr:registries[0].repositories: {show(repositories)} is not a non-empty list of repository names"
    ]


@pytest.mark.parametrize(
    "permissions", [{"READ": ["readers"]}, {"WRITE": ["writers"]}, {"READ": ["a"], "WRITE": ["b", "c"]}, {}]
)
def test_permissions_may_name_read_and_or_write(permissions: dict[str, list[str]]) -> None:
    assert parse(with_registry(permissions=permissions)).registries[0].permissions == permissions


@pytest.mark.parametrize(
    ("permissions", "shown"),
    [
        ({"ADMIN": ["admins"]}, '{"ADMIN": ["admins"]}'),
        ({"READ": ["a"], "EXECUTE": ["b"]}, '{"READ": ["a"], "EXECUTE": ["b"]}'),
        ({"READ": "readers"}, '{"READ": "readers"}'),
        ({"WRITE": [7]}, '{"WRITE": [7]}'),
    ],
)
def test_permissions_other_than_lists_of_role_names_for_read_and_write_are_refused(
    permissions: dict[str, Any], shown: str
) -> None:
    assert problems(with_registry(permissions=permissions)) == [
        f"spinnaker-ecr:registries[0].permissions: {shown} is not a mapping of READ and/or WRITE to lists of role names"
    ]


def test_a_parsed_registry_cannot_be_changed() -> None:
    registry = parse(GOOD).registries[0]
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        registry.name = "other"


@pytest.mark.parametrize("name", ["t", "t" * 128])
def test_tag_names_of_1_to_128_characters_are_accepted(name: str) -> None:
    assert parse(with_section("tags", {name: "x"})).tags == {name: "x"}


def test_an_empty_tag_name_is_refused() -> None:
    assert problems(with_section("tags", {"": "x"})) == [
        "spinnaker-ecr:tags.: '' is not a tag name (1 to 128 characters)"
    ]


def test_tag_values_of_up_to_256_characters_are_accepted() -> None:
    assert parse(with_section("tags", {"team": "v" * 256, "empty": ""})).tags == {"team": "v" * 256, "empty": ""}
    assert problems(with_section("tags", {"team": "v" * 257})) == [
        f"spinnaker-ecr:tags.team: '{'v' * 257}' is not a tag value (a string of at most 256 letters, digits, spaces "
        "and _ . : / = + - @)"
    ]


@pytest.mark.parametrize(
    ("image", "legacy"),
    [
        ("ecr-token-refresh:1", False),
        ("busybox", False),
        ("registry.example:5000/skuid/ecr-token-refresh:v1.0", True),
        ("registry.example:5000/skuid/ecr-token-refresh", True),
        ("registry.example:5000/acme/ecr-token-refresh:v1.0", False),
        ("skuid/ecr-token-refresh-fork:1", False),
    ],
)
def test_the_legacy_image_is_recognised_by_repository_whatever_the_registry_port_or_tag(
    image: str, legacy: bool
) -> None:
    assert is_legacy_image(image) is legacy


@pytest.mark.parametrize("interval", ["1m", "60s", "11h59m59s", "11h59m59.999999999s"])
def test_intervals_from_one_minute_up_to_the_token_lifetime_are_accepted(interval: str) -> None:
    assert parse(
        with_section("tokenRefresh", {**GOOD["tokenRefresh"], "interval": interval})
    ).token_refresh.interval == (interval)


def test_generator_auth_with_neither_form_is_refused() -> None:
    config = with_section("tokenRefresh", {"method": "external-secrets", "auth": {}})
    assert problems(config) == [
        "spinnaker-ecr:tokenRefresh.auth: {} is not a mapping with exactly one of jwt (an IRSA serviceAccountRef) or "
        "secretRef"
    ]


@pytest.mark.parametrize("interval", ["59.999999999s", "12h", "13h", "24h"])
def test_intervals_outside_the_range_are_refused(interval: str) -> None:
    assert problems(with_section("tokenRefresh", {**GOOD["tokenRefresh"], "interval": interval})) == [
        f"spinnaker-ecr:tokenRefresh.interval: '{interval}' is out of range: use a Go duration from 1m up to (not "
        "including) 12h, the ECR token lifetime, e.g. 30m or 1h30m"
    ]


@pytest.mark.parametrize(("region", "shown"), [(5, "5"), ("", "''"), (["us-east-1"], '["us-east-1"]')])
def test_a_region_that_is_not_text_is_refused_with_examples(region: Any, shown: str) -> None:
    assert problems(with_registry(region=region)) == [
        f"spinnaker-ecr:registries[0].region: {shown} is not an AWS region, e.g. us-east-1, cn-north-1, us-gov-west-1"
    ]


def test_keys_are_only_the_stack_file_names_not_the_python_field_names() -> None:
    config = copy.deepcopy(GOOD)
    config["access"] = {"mode": "irsa", "cluster_name": "spin", "serviceAccount": {"name": "spin-clouddriver"}}
    config["spinnaker"] = {"clouddriver_ha": True}
    found = problems(config)
    assert any(
        p.startswith("spinnaker-ecr:access.cluster_name: 'spin' is not a known key (known: mode, clusterName,")
        and p.endswith("; did you mean clusterName?")
        for p in found
    ), found
    assert any(
        p.startswith("spinnaker-ecr:spinnaker.clouddriver_ha: true is not a known key")
        and p.endswith("; did you mean clouddriverHA?")
        for p in found
    ), found


def test_extra_entries_passed_through_cannot_be_changed() -> None:
    settings = parse(with_section("spinnaker", {"extraSidecars": [{"name": "logs", "image": "x"}]}))
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        settings.spinnaker.extra_sidecars[0].name = "other"


def test_the_shared_access_mode_table_cannot_be_changed() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        ACCESS_MODES[AccessMode.IRSA].uses_aws = False  # type: ignore[misc]
