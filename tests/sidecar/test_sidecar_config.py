"""config.parse/load: the ConfigMap shape loads; every bad case names the key, the value and what is accepted."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from ecr_token_refresh import contract
from ecr_token_refresh.config import MAX_CONFIG_BYTES, ConfigError, Registry, load, parse
from hypothesis import given, settings
from hypothesis import strategies as st

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


ACCEPTED = "a Go duration from 1ms to 12h such as 30m, 1h30m, 90s or 1.5h"


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
        ("1.h", timedelta(hours=1)),
        ("+30m", timedelta(minutes=30)),
        ("1ms", timedelta(milliseconds=1)),
        ("1000\u00b5s", timedelta(milliseconds=1)),
        ("1000\u03bcs", timedelta(milliseconds=1)),
        ("1000001ns", timedelta(microseconds=1000)),
        ("12h", timedelta(hours=12)),
    ],
)
def test_interval_is_a_go_duration_from_1ms_to_12h(text: str, expected: timedelta) -> None:
    assert parse(GOOD.replace("30m", text, 1)).interval == expected


def test_the_interval_bounds_are_the_contracts() -> None:
    assert (contract.MIN_INTERVAL_TEXT, contract.MAX_INTERVAL_TEXT) == ("1ms", "12h")
    assert (contract.MIN_INTERVAL, contract.MAX_INTERVAL) == (1_000_000, 12 * 3_600_000_000_000)


@pytest.mark.parametrize(
    ("value", "shown", "reason"),
    [
        ("30", "30", None),
        ('"30"', "'30'", ": a number has no unit"),
        ("1d", "'1d'", ": 'd' is not a unit"),
        ("m", "'m'", ": 'm' is not a digit or '.'"),
        ("30 m", "'30 m'", ": ' m' is not a unit"),
        ("''", "''", ": it is empty"),
        ("1:30", "90", None),  # YAML 1.1 reads it as sexagesimal 90
        ("'1:30'", "'1:30'", ": ':' is not a unit"),
        ("true", "True", None),
        ("1.5", "1.5", None),
        ("[30m]", "['30m']", None),
        ("\u0663\u0660m", "'\u0663\u0660m'", ": '\u0663' is not a digit or '.'"),
        ("1.\u0665h", "'1.\u0665h'", ": '\u0665h' is not a unit"),
        ("99999999999h", "'99999999999h'", ": it overflows int64 nanoseconds"),
        ("-5m", "'-5m'", ": it is below 1ms"),
        ("0", "0", None),
        ("'0'", "'0'", ": it is below 1ms"),
        ("0s", "'0s'", ": it is below 1ms"),
        ("0ns", "'0ns'", ": it is below 1ms"),
        ("1ns", "'1ns'", ": it is below 1ms"),
        ("999us", "'999us'", ": it is below 1ms"),
        ("12h1ns", "'12h1ns'", ": it is above 12h"),
        ("2562047h", "'2562047h'", ": it is above 12h"),
    ],
)
def test_interval_outside_go_syntax_or_the_bounds_is_refused(value: str, shown: str, reason: str | None) -> None:
    (problem,) = problems(GOOD.replace("30m", value, 1))
    assert problem.startswith(f"interval: {shown} is not {ACCEPTED}{reason or ''}")
    if reason is None:
        assert problem == f"interval: {shown} is not {ACCEPTED}"


def test_missing_interval() -> None:
    assert problems(GOOD.replace("interval: 30m\n", "")) == (f"interval: missing (accepted: {ACCEPTED})",)


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


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("passwords/a.pass", "'passwords/a.pass'"),
        ("a.pass", "'a.pass'"),
        ("42", "42"),
        ("/", "'/'"),
        ("/etc/passwords/", "'/etc/passwords/'"),
        ("/etc/passwords/.", "'/etc/passwords/.'"),
        ("/etc/passwords/..", "'/etc/passwords/..'"),
        ("//", "'//'"),
        ('"/etc/passwords/a\\0.pass"', "'/etc/passwords/a\\x00.pass'"),
        ('"/etc/passwords/a.pass\\0"', "'/etc/passwords/a.pass\\x00'"),
    ],
)
def test_password_file_must_be_an_absolute_file_path(value: str, shown: str) -> None:
    assert problems(with_registry(passwordFile=value)) == (
        f"registries[0].passwordFile: {shown} is not an absolute file path such as /etc/passwords/<name>.pass",
    )


@pytest.mark.parametrize(
    ("value", "normal"),
    [
        ("/etc/passwords/a.pass", "/etc/passwords/a.pass"),
        ("//etc/passwords/a.pass", "/etc/passwords/a.pass"),
        ("///etc//passwords///a.pass", "/etc/passwords/a.pass"),
        ("/etc/passwords/./a.pass", "/etc/passwords/a.pass"),
        ("/etc/other/../passwords/a.pass", "/etc/passwords/a.pass"),
        ("/a.pass", "/a.pass"),
        ("/etc/passwords/..a", "/etc/passwords/..a"),
    ],
)
def test_password_file_is_kept_in_one_spelling(value: str, normal: str) -> None:
    (registry,) = parse(with_registry(passwordFile=value)).registries
    assert registry.password_file == normal


def test_missing_password_file() -> None:
    (problem,) = problems(with_registry(passwordFile="<absent>"))
    assert problem.startswith("registries[0].passwordFile: missing (accepted: an absolute file path")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("/etc/passwords/prod.pass", "/etc/passwords/./prod.pass"),
        ("/x", "//x"),
        ("//x", "/x"),
        ("/etc/passwords/prod.pass", "/etc/../etc/passwords//prod.pass"),
    ],
)
def test_duplicate_password_file_names_both_entries_as_typed(first: str, second: str) -> None:
    text = GOOD.replace("/etc/passwords/prod.pass", first).replace("/etc/passwords/china.pass", second)
    assert problems(text) == (
        f"registries[1].passwordFile: {second!r} is the file of registries[0] (accepted: one file per registry entry)",
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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOD.replace("interval: 30m", "interval: 30m\ninterval: 1h"),
            ("interval: given twice (line 2; accepted: each key once)",),
        ),
        (
            GOOD.replace("    region: us-east-1", "    region: us-east-1\n    region: eu-west-1"),
            ("registries[0].region: given twice (line 5; accepted: each key once)",),
        ),
        (
            "interval: 30m\nregistries: [{registryId: '123456789012', region: a, region: b, passwordFile: /x}]\n",
            ("registries[0].region: given twice (line 2; accepted: each key once)",),
        ),
    ],
)
def test_a_key_given_twice_is_refused_not_silently_overwritten(text: str, expected: tuple[str, ...]) -> None:
    assert problems(text) == expected


def test_keys_that_only_look_alike_are_not_duplicates() -> None:
    # `1` and `"1"` are different keys (int and str); both are unknown, neither is a duplicate.
    assert problems(GOOD + '1: a\n"1": b\n') == (
        "1: unknown key (accepted: interval, registries)",
        "1: unknown key (accepted: interval, registries)",
    )


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(GOOD.encode().replace(b"us-east-1", b"us-\xe9ast-1"))
    with pytest.raises(ConfigError) as raised:
        load(path)
    assert raised.value.problems == (
        f"config file {path}: byte 0xe9 at offset 72 is not UTF-8 (accepted: a UTF-8 text file)",
    )


def test_a_file_larger_than_a_config_map_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(GOOD.encode() + b"#" * MAX_CONFIG_BYTES)
    with pytest.raises(ConfigError, match=r"config file .*: larger than 1048576 bytes, the most a ConfigMap holds"):
        load(path)


def test_an_endless_file_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"config file /dev/zero: larger than 1048576 bytes"):
        load("/dev/zero")


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config file .*: Is a directory"):
        load(tmp_path)


def test_deep_nesting_is_refused_not_a_crash() -> None:
    assert problems("interval: " + "[" * 800 + "]" * 800 + "\n") == ("config is not valid YAML: nested too deeply",)


def test_a_value_built_from_aliases_is_shown_shortened() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [*a{n - 1}, *a{n - 1}, *a{n - 1}, *a{n - 1}, *a{n - 1}, *a{n - 1}]" for n in range(1, 12)]
    found = problems("\n".join(lines) + "\ninterval: *a11\nregistries: *a11\n")
    (interval,) = [problem for problem in found if problem.startswith("interval: ")]
    assert interval.startswith("interval: [[[[...], [...], [...], [...], [...], [...]], ")
    assert all(len(problem) < 2000 for problem in found)


def test_a_recursive_value_is_shown() -> None:
    found = problems("interval: &loop [*loop]\nregistries: [*loop]\n")
    assert found[0] == f"interval: [[[[...]]]] is not {ACCEPTED}"


yaml_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
yaml_values = st.recursive(
    yaml_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=120)
@given(
    interval=yaml_values | st.sampled_from(["30m", "0", "1ns", "12h", "99999999999h", ".h"]),
    registries=st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "registryId": yaml_values | st.just("123456789012"),
                "region": yaml_values | st.just("us-east-1"),
                "passwordFile": yaml_values | st.sampled_from(["/etc/passwords/a.pass", "//x", "/x/.", "/\0"]),
            },
        )
        | yaml_values,
        max_size=4,
    )
    | yaml_values,
)
def test_any_document_is_a_config_or_a_config_error(interval: object, registries: object) -> None:
    """Whatever the shapes and values, the answer is a Config or a ConfigError listing problems: never a crash."""
    import yaml

    text = yaml.safe_dump({"interval": interval, "registries": registries}, allow_unicode=True)
    try:
        config = parse(text)
    except ConfigError as error:
        assert error.problems
        assert all(isinstance(problem, str) and ":" in problem for problem in error.problems)
    else:
        assert contract.MIN_INTERVAL <= config.interval.total_seconds() * 1e9 <= contract.MAX_INTERVAL
        assert config.registries


@settings(max_examples=200)
@given(st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_any_text_is_a_config_or_a_config_error(text: str) -> None:
    try:
        parse(text)
    except ConfigError as error:
        assert error.problems


def test_a_file_of_exactly_a_config_maps_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(GOOD.encode() + b"#" * (MAX_CONFIG_BYTES - len(GOOD.encode())))
    assert load(path) == parse(GOOD)


def test_an_interval_is_kept_to_the_microsecond_rounding_down() -> None:
    assert parse(GOOD.replace("30m", "1000600ns", 1)).interval == timedelta(microseconds=1000)


def test_a_character_the_yaml_reader_refuses_is_a_config_error() -> None:
    (problem,) = problems("interval: 30m\x1f\n")
    assert problem.startswith("config is not valid YAML: unacceptable character #x001f")


def test_a_duplicate_key_is_found_after_an_alias_was_walked_twice() -> None:
    text = (
        "registries: [{registryId: '123456789012', region: a, region: b, passwordFile: /x}]\n"
        "anchor: &shared [1]\nalias: *shared\ninterval: 30m\n"
    )
    assert problems(text) == ("registries[0].region: given twice (line 1; accepted: each key once)",)


def test_duplicates_are_found_after_an_entry_without_a_valid_password_file() -> None:
    text = (
        "interval: 30m\nregistries:\n"
        "  - {registryId: '123456789012', region: us-east-1, passwordFile: relative}\n"
        "  - {registryId: '123456789012', region: us-east-1, passwordFile: /x}\n"
        "  - {registryId: '123456789012', region: us-east-1, passwordFile: //x}\n"
    )
    assert problems(text)[1:] == (
        "registries[2].passwordFile: '//x' is the file of registries[1] (accepted: one file per registry entry)",
    )
