"""The documents both sides read, from one list of registries."""

import yaml

from components.model import Registry
from components.registries import docker_account, password_file, registry_address, token_refresh_config_yaml

SHARED = Registry.model_validate({"name": "ecr-shared", "accountId": "012345678901", "region": "cn-north-1"})
MAIN = Registry.model_validate(
    {"name": "ecr-main", "accountId": "111122223333", "region": "us-east-1", "paginateSize": 50}
)


def test_password_file_is_named_after_the_account() -> None:
    assert password_file(MAIN) == "/etc/passwords/ecr-main.pass"


def test_china_regions_use_the_cn_domain() -> None:
    assert registry_address(SHARED) == "https://012345678901.dkr.ecr.cn-north-1.amazonaws.com.cn"
    assert registry_address(MAIN) == "https://111122223333.dkr.ecr.us-east-1.amazonaws.com"


def test_config_yaml_keeps_leading_zeros_and_quotes_every_id() -> None:
    text = token_refresh_config_yaml([SHARED, MAIN], "45m")
    assert 'registryId: "012345678901"' in text
    assert 'registryId: "111122223333"' in text
    document = yaml.safe_load(text)
    assert document == {
        "interval": "45m",
        "registries": [
            {"registryId": "012345678901", "region": "cn-north-1", "passwordFile": "/etc/passwords/ecr-shared.pass"},
            {"registryId": "111122223333", "region": "us-east-1", "passwordFile": "/etc/passwords/ecr-main.pass"},
        ],
    }


def test_docker_account_carries_the_password_source_and_options() -> None:
    account = docker_account(MAIN, {"passwordFile": password_file(MAIN)})
    assert account == {
        "name": "ecr-main",
        "address": "https://111122223333.dkr.ecr.us-east-1.amazonaws.com",
        "username": "AWS",
        "passwordFile": "/etc/passwords/ecr-main.pass",
        "paginateSize": 50,
    }
