"""config.parse/load: the ConfigMap shape loads; every bad case names the key, the value and what is accepted."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from ecr_token_refresh.config import ConfigError, Registry, load, parse, parse_go_duration

GOOD = """\
interval: 30m
registries:
  - registryId: "123456789012"
    region: us-east-1
    passwordFile: /etc/passwords/prod.pass
  - registryId: "012345678901"
    region: cn-north-1
    passwordFile: /etc/passwords/china.pass
"""

# Twelve digits, but not ASCII ones: \d would match them; AWS accepts only [0-9].
ARABIC_INDIC_ID = "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661\u0662"


def problems(text: str) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as raised:
        parse(text)
    return raised.value.problems


def with_registry(**fields: str) -> str:
    entry = {"registryId": '"123456789012"', "region": "us-east-1", "passwordFile": "/etc/passwords/a.pass"}
    entry.update(fields)
    body = "\n".join(f"    {key}: {value}" for key, value in entry.items() if value != "<absent>")
    return f"interval: 30m\nregistries:\n  -\n{body}\n"


def test_the_configmap_shape_parses() -> None:
    config = parse(GOOD)
    assert config.interval == timedelta(minutes=30)
    assert config.registries == (
        Registry(registry_id="123456789012", region="us-east-1", password_file="/etc/passwords/prod.pass"),
        Registry(registry_id="012345678901", region="cn-north-1", password_file="/etc/passwords/china.pass"),
    )


def test_load_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(GOOD)
    assert load(path) == parse(GOOD)


def test_load_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config file .*/absent\.yaml: not found"):
        load(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("1h30m", timedelta(minutes=90)),
        ("90s", timedelta(seconds=90)),
        ("1.5h", timedelta(minutes=90)),
        ("500ms", timedelta(milliseconds=500)),
        ("1h0m0s", timedelta(hours=1)),
        (".5m", timedelta(seconds=30)),
        ("2us", timedelta(microseconds=2)),
        ("1ns", timedelta(microseconds=1)),
        ("0.4us", timedelta(microseconds=1)),
        ("1h1ns", timedelta(hours=1)),
    ],
)
def test_go_durations(text: str, expected: timedelta) -> None:
    assert parse_go_duration(text) == expected
    assert parse(GOOD.replace("30m", text, 1)).interval == expected


@pytest.mark.parametrize(
    "value",
    ["30", '"30"', "-5m", "0s", "0", "1d", "m", "30 m", "''", "1:30", "true", "0ns", "\u0663\u0660m", "1.\u0665h"],
)
def test_interval_must_be_a_positive_go_duration(value: str) -> None:
    (problem,) = problems(GOOD.replace("30m", value, 1))
    assert problem.startswith("interval: ")
    assert "is not a positive Go duration such as 30m, 1h30m, 90s or 1.5h" in problem


def test_interval_problem_shows_the_value() -> None:
    assert problems(GOOD.replace("30m", "1d", 1)) == (
        "interval: '1d' is not a positive Go duration such as 30m, 1h30m, 90s or 1.5h",
    )


def test_missing_interval() -> None:
    assert problems(GOOD.replace("interval: 30m\n", "")) == (
        "interval: missing (accepted: a positive Go duration such as 30m, 1h30m, 90s or 1.5h)",
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("123456789012", "123456789012"),
        ("12345", "12345"),
        ('"12345"', "'12345'"),
        ('"12345678901a"', "'12345678901a'"),
        ('"1234567890123"', "'1234567890123'"),
        (f'"{ARABIC_INDIC_ID}"', f"'{ARABIC_INDIC_ID}'"),
    ],
)
def test_registry_id_must_be_a_quoted_12_digit_string(value: str, shown: str) -> None:
    assert problems(with_registry(registryId=value)) == (
        f'registries[0].registryId: {shown} is not a quoted 12-digit string such as "123456789012"',
    )


def test_missing_registry_id() -> None:
    assert problems(with_registry(registryId="<absent>")) == (
        'registries[0].registryId: missing (accepted: a quoted 12-digit string such as "123456789012")',
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("<absent>", "missing"),
        ("US-East", "'US-East' is not"),
        ("1", "1 is not"),
        ("us-east-\u0661", "'us-east-\u0661' is not"),
    ],
)
def test_region_must_be_an_aws_region(value: str, shown: str) -> None:
    (problem,) = problems(with_registry(region=value))
    assert problem.startswith(f"registries[0].region: {shown}")
    assert "an AWS region name such as us-east-1" in problem


@pytest.mark.parametrize("value", ["passwords/a.pass", "a.pass", "/etc/passwords/", "42"])
def test_password_file_must_be_an_absolute_file_path(value: str) -> None:
    (problem,) = problems(with_registry(passwordFile=value))
    assert problem.startswith("registries[0].passwordFile: ")
    assert value in problem
    assert "is not an absolute file path such as /etc/passwords/<name>.pass" in problem


def test_missing_password_file() -> None:
    (problem,) = problems(with_registry(passwordFile="<absent>"))
    assert problem.startswith("registries[0].passwordFile: missing (accepted: an absolute file path")


def test_duplicate_password_file_names_both_entries() -> None:
    text = GOOD.replace("/etc/passwords/china.pass", "/etc/passwords/./prod.pass")
    assert problems(text) == (
        "registries[1].passwordFile: '/etc/passwords/./prod.pass' is already used by registries[0] "
        "(accepted: one file per registry entry)",
    )


@pytest.mark.parametrize("registries", ["[]", "", "{registryId: x}", "just-a-string"])
def test_registries_must_be_a_non_empty_list(registries: str) -> None:
    (problem,) = problems(f"interval: 30m\nregistries: {registries}\n")
    assert problem.startswith("registries: ")
    assert "non-empty list of {registryId, region, passwordFile}" in problem


def test_a_registry_entry_must_be_a_mapping() -> None:
    assert problems("interval: 30m\nregistries: [prod]\n") == (
        "registries[0]: 'prod' is not a mapping with keys registryId, region, passwordFile",
    )


def test_unknown_keys_are_rejected_at_both_levels() -> None:
    text = GOOD.replace("interval: 30m", "interval: 30m\nintervall: 1h").replace(
        "    region: us-east-1", "    region: us-east-1\n    password: hunter2"
    )
    assert problems(text) == (
        "intervall: unknown key (accepted: interval, registries)",
        "registries[0].password: unknown key (accepted: registryId, region, passwordFile)",
    )


def test_every_problem_is_listed() -> None:
    text = "interval: 0s\nregistries:\n  - {registryId: 42, region: us-east-1, passwordFile: rel.pass}\n"
    found = problems(text)
    assert [problem.split(":")[0] for problem in found] == [
        "interval",
        "registries[0].registryId",
        "registries[0].passwordFile",
    ]
    with pytest.raises(ConfigError) as raised:
        parse(text)
    assert str(raised.value) == "; ".join(found)


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("", "config: None is not a mapping"),
        ("- interval: 30m\n", "config: [{'interval': '30m'}] is not a mapping"),
        ("interval: [30m\n", "config is not valid YAML"),
    ],
)
def test_the_document_must_be_a_yaml_mapping(text: str, start: str) -> None:
    (problem,) = problems(text)
    assert problem.startswith(start)
