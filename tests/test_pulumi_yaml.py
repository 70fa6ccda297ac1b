"""tools.pulumi_yaml reads stack files as the Pulumi CLI does. The cases in tests/support/pulumi_yaml_cases.json were
answered by the Pulumi SDK's own loader (tests/support/pulumi_config_oracle); no Go is needed here."""

import dataclasses
import datetime
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.pulumi_yaml_oracle import CASES as GENERATOR_CASES
from tools.pulumi_yaml import StackFileError, load_stack_file, parse_stack_text, project_name

ROOT = Path(__file__).resolve().parents[1]
CASES_FILE = Path(__file__).resolve().parent / "support" / "pulumi_yaml_cases.json"
CASES: list[dict[str, Any]] = json.loads(CASES_FILE.read_text(encoding="utf-8"))["cases"]
ACCEPTED = [case for case in CASES if "refuse" not in case]
REFUSED = [case for case in CASES if "refuse" in case]
SOURCE = "Pulumi.case.yaml"

REGISTRIES = """\
# registries
config:
  aws:region: us-east-1
  spinnaker-ecr:registries:
    - name: leading-zero
      accountId: 012345678901
    - name: octal
      accountId: &id 012345670123
      tags: {team: "0777", cost: !!str 0777}
    - name: quoted
      accountId: "012345678901"
      note: one
        two
  spinnaker-ecr:copy: *id
"""


def read(text: str) -> Any:
    return parse_stack_text(text, SOURCE)


def refusal(text: str) -> str:
    with pytest.raises(StackFileError) as caught:
        read(text)
    return str(caught.value)


@pytest.mark.parametrize("case", ACCEPTED, ids=[case["name"] for case in ACCEPTED])
def test_the_program_gets_what_the_cli_gives_it(case: dict[str, Any]) -> None:
    stack = read(case["text"])
    assert stack.program_config() == case["cli"].get("config", {})
    assert sorted(stack.secure_keys) == case["cli"].get("secure", [])
    warned = [key for key in stack.config if any(f": {key}: has no value;" in w for w in stack.warnings)]
    assert (sorted(warned), len(stack.warnings)) == (case["cli"].get("null_keys", []), len(warned))


@pytest.mark.parametrize("case", REFUSED, ids=[case["name"] for case in REFUSED])
def test_what_the_cli_refuses_is_refused_with_the_line(case: dict[str, Any]) -> None:
    message = refusal(case["text"])
    assert case["refuse"] in message
    # Every refusal names the line (and column where the CLI has one), but a file with no config: at all.
    assert re.match(rf"{re.escape(SOURCE)}:\d+(:\d+)?: ", message) or message.startswith(f"{SOURCE}: has no 'config:'")


def test_the_table_refuses_only_what_the_cli_refuses_or_says_why() -> None:
    for case in CASES:
        refused_by_cli = "error" in case["cli"]
        assert refused_by_cli == ("refuse" in case and "deliberate" not in case), case["name"]


def test_the_table_covers_the_cases_the_issue_names() -> None:
    names = {case["name"] for case in CASES}
    for name in ["account id 012345678901", "account id 012345670123", "octal 0777", "octal 0o17", "bool yes"]:
        assert name in names
    assert {"timestamp 2001-12-14", "big 18446744073709551616", "underscores 1_000", "duplicate key"} <= names
    assert {"secure nested", "merge", "alias", "key three colons", "float 1e21"} <= names


def test_the_table_holds_the_cases_the_generator_lists() -> None:
    """Catches a case added to tests/support/pulumi_yaml_oracle.py without rerunning it."""
    listed = [(c.name, c.text, c.refuse, c.deliberate) for c in GENERATOR_CASES if not c.name.startswith("stack ")]
    table = [(c["name"], c["text"], c.get("refuse"), c.get("deliberate")) for c in CASES]
    assert listed == [row for row in table if not row[0].startswith("stack ")]


@pytest.mark.parametrize(
    ("typed", "cli", "pyyaml"),
    [
        ("012345678901", "12345678901", "012345678901"),
        ("012345670123", "1402433619", 1402433619),
        ("yes", "yes", True),
        ("on", "on", True),
        ("2001-12-14", "2001-12-14 00:00:00 +0000 UTC", datetime.date(2001, 12, 14)),
        ("1e3", "1000", "1e3"),
        ("0o17", "15", "0o17"),
        ("1_000", "1000", 1000),
        ("0b_1", "1", 1),
        ("~", "", None),
    ],
)
def test_where_pyyaml_and_the_cli_part_ways(typed: str, cli: str, pyyaml: Any) -> None:
    text = f"config:\n  spinnaker-ecr:v: {typed}\n"
    assert read(text).program_config()["spinnaker-ecr:v"] == cli
    loaded = yaml.safe_load(text)["config"]["spinnaker-ecr:v"]
    assert (loaded, type(loaded)) == (pyyaml, type(pyyaml))


# --- config: the values as the CLI holds them -------------------------------------------------------------------


def test_config_holds_go_values_after_the_cli_round_trip() -> None:
    text = (
        "config:\n  a:int: 0777\n  a:float: 012345678901\n  a:whole: 8.0\n  a:zero: -0.0\n  a:bool: True\n"
        "  a:null:\n  a:time: 2001-12-14\n  a:secure: {secure: v1:abc}\n  a:list: [1, 1.5, ~, yes]\n"
    )
    config = read(text).config
    assert config == {
        "a:int": 511,
        "a:float": 12345678901.0,
        "a:whole": 8,
        "a:zero": 0,
        "a:bool": True,
        "a:null": "",
        "a:time": "2001-12-14 00:00:00 +0000 UTC",
        "a:secure": {"secure": "v1:abc"},
        "a:list": [1, 1.5, None, "yes"],
    }
    assert type(config["a:float"]) is float and type(config["a:whole"]) is int
    assert read(text).program_config()["a:secure"] == "v1:abc"


def test_keys_without_a_namespace_get_the_project_name() -> None:
    assert project_name() == "spinnaker-ecr"
    assert list(read("config:\n  registries: x\n").config) == ["spinnaker-ecr:registries"]
    other = parse_stack_text("config:\n  registries: x\n", SOURCE, project="other")
    assert other.program_config() == {"other:registries": "x"}


def test_a_null_value_is_an_empty_string_with_a_warning_naming_the_key_and_line() -> None:
    stack = read("config:\n  aws:region: us-east-1\n  spinnaker-ecr:tags:\n")
    assert stack.program_config()["spinnaker-ecr:tags"] == ""
    assert stack.warnings == (
        f"{SOURCE}:3: spinnaker-ecr:tags: has no value; the Pulumi CLI passes an empty string (and warns that it "
        'will pass null one day): write "" if that is meant',
    )
    assert read("config:\n  a:b: {c: ~}\n").warnings == ()


def test_secure_keys_are_the_keys_holding_a_secure_value_anywhere() -> None:
    stack = read("config:\n  a:s: {secure: x}\n  a:n: [{p: {secure: y}}]\n  a:p: {secure: 1}\n  a:q: x\n")
    assert stack.secure_keys == {"a:s", "a:n"}


# --- source_text and line_of: the value as typed, for error messages ---------------------------------------------


def test_source_text_is_the_scalar_as_typed() -> None:
    stack = read(REGISTRIES)
    key = "spinnaker-ecr:registries"
    assert stack.source_text(key, (0, "accountId")) == "012345678901"
    assert stack.source_text(key, (1, "accountId")) == "012345670123"
    assert stack.source_text(key, (2, "accountId")) == '"012345678901"'
    assert stack.source_text(key, (1, "tags", "team")) == '"0777"'
    assert stack.source_text(key, (1, "tags", "cost")) == "0777"
    assert stack.source_text(key, (2, "note")) == "one\n        two"
    assert stack.source_text("aws:region") == "us-east-1"
    assert stack.source_text("spinnaker-ecr:copy") == "012345670123"


def test_source_text_is_none_for_collections_and_missing_paths() -> None:
    stack = read(REGISTRIES)
    key = "spinnaker-ecr:registries"
    assert stack.source_text(key) is None
    assert stack.source_text(key, (0,)) is None
    assert stack.source_text(key, (1, "tags")) is None
    assert stack.source_text(key, (3, "accountId")) is None
    assert stack.source_text(key, (0, "region")) is None
    assert stack.source_text("spinnaker-ecr:nope") is None


def test_line_of_is_the_line_of_the_key_or_the_list_item() -> None:
    stack = read(REGISTRIES)
    key = "spinnaker-ecr:registries"
    assert stack.line_of("aws:region") == 3
    assert stack.line_of(key) == 4
    assert stack.line_of(key, (0,)) == 5
    assert stack.line_of(key, (0, "accountId")) == 6
    assert stack.line_of(key, (1, "tags", "cost")) == 9
    assert stack.line_of(key, (2, "note")) == 12
    assert stack.line_of("spinnaker-ecr:copy") == 14
    assert stack.line_of(key, (9,)) is None


def test_merged_values_are_found_where_the_anchor_writes_them() -> None:
    text = "base: &base\n  region: us-east-1\n  id: 0777\nconfig:\n  a:v:\n    <<: *base\n    name: x\n"
    stack = read(text)
    assert stack.config["a:v"] == {"region": "us-east-1", "id": 511, "name": "x"}
    assert (stack.line_of("a:v", ("id",)), stack.source_text("a:v", ("id",))) == (3, "0777")
    assert stack.line_of("a:v", ("name",)) == 7


def test_source_text_drops_anchors_and_tags_and_keeps_crlf_files_straight() -> None:
    stack = read("config:\r\n  a:b: &x !!str  0777\r\n  a:c: é\r\n  a:d: 012\r\n")
    assert stack.source_text("a:b") == "0777"
    assert stack.source_text("a:d") == "012"
    assert stack.line_of("a:d") == 4
    with_bom = read("\ufeffconfig:\n  a:d: 012\n")
    assert (with_bom.source_text("a:d"), with_bom.line_of("a:d")) == ("012", 2)


# --- errors: file, line, key, value, what is accepted -----------------------------------------------------------


def test_a_number_json_cannot_carry_is_named_with_its_path_and_text() -> None:
    message = refusal("config:\n  spinnaker-ecr:registries:\n    - weight: .NaN\n")
    assert message == (
        f"{SOURCE}:3: spinnaker-ecr:registries[0].weight: .NaN is not a number JSON can carry; the Pulumi CLI refuses "
        "the file (json: unsupported value: NaN); quote it if it is text"
    )
    assert "(json: unsupported value: -Inf)" in refusal("config:\n  a:b: -.inf\n")
    assert "(json: unsupported value: +Inf)" in refusal("config:\n  a:b: [.inf]\n")


def test_duplicate_keys_are_named_with_both_lines() -> None:
    message = refusal("config:\n  a:b: 1\n  a:c: 2\n  a:b: 3\n  a:c: 4\n")
    assert message == (
        f"{SOURCE}:4: keys written twice: 'a:b' (lines 2 and 4), 'a:c' (lines 3 and 5); keep one of each; "
        "the Pulumi CLI refuses the file"
    )


def test_a_bad_key_is_named_with_the_accepted_forms() -> None:
    assert refusal("config:\n  a:b: 1\n  a:b:c: 2\n") == (
        f"{SOURCE}:3: config key 'a:b:c' is not of the form <namespace>:<name> (or the old "
        "<namespace>:config:<name>); the Pulumi CLI refuses it"
    )


def test_not_yaml_is_named_with_line_and_column() -> None:
    assert refusal("config:\n  a:b: [1\n") == (
        f"{SOURCE}:3:1: is not YAML (while parsing a flow sequence did not find expected ',' or ']'); "
        "the Pulumi CLI cannot read it either"
    )


@pytest.mark.parametrize("text", ["", "config:\n", "config: x\n", "- config\n", "other: {a:b: 1}\n"])
def test_a_file_without_a_config_mapping_is_refused(text: str) -> None:
    assert refusal(text) == (
        f"{SOURCE}: has no 'config:' mapping (a Pulumi stack file holds its settings under config:)"
    )


def test_two_spellings_of_one_key_are_refused_with_both_lines() -> None:
    assert refusal("config:\n  registries: a\n  x:y: 1\n  spinnaker-ecr:registries: b\n") == (
        f"{SOURCE}:4: config keys 'spinnaker-ecr:registries' (line 2) and 'spinnaker-ecr:registries' both set "
        "spinnaker-ecr:registries; the Pulumi CLI would keep only one of them: keep one"
    )


def test_keys_that_go_writes_alike_are_refused() -> None:
    assert refusal("config:\n  a:b:\n    x: {'1': a, 0x1: b}\n") == (
        f"{SOURCE}:3: a:b.x: the keys '1' and 1 both become '1'; the Pulumi CLI would refuse or keep only one: keep one"
    )


def test_load_stack_file_reads_utf8_files_and_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.x.yaml"
    path.write_bytes("\ufeffconfig:\n  a:b: é\n".encode())
    assert load_stack_file(path).program_config() == {"a:b": "é"}
    assert load_stack_file(path).source == str(path)
    path.write_bytes(b"config:\n  a:b: \xff\n")
    with pytest.raises(StackFileError, match=r"Pulumi.x.yaml: byte 15 is not UTF-8"):
        load_stack_file(path)
    with pytest.raises(StackFileError, match=r"Pulumi.y.yaml: cannot be read: No such file or directory"):
        load_stack_file(tmp_path / "Pulumi.y.yaml")


def test_the_repositorys_stack_files_load() -> None:
    for path in sorted((CASES_FILE.parents[2] / "stacks").glob("Pulumi.*.yaml")):
        stack = load_stack_file(path)
        assert "aws:region" in stack.config
        assert all(key.startswith(("aws:", "kubernetes:", "spinnaker-ecr:")) for key in stack.config)


# --- writing: what the CLI reads back as written ------------------------------------------------------------------

TRICKY_TEXTS = [
    "012345678901",
    "012345670123",
    "0777",
    "0o17",
    "1e3",
    "1_000",
    "true",
    "True",
    "yes",
    "on",
    "~",
    "",
    "null",
    "2001-12-14",
    ".inf",
    "-.5",
    "0x1F",
    "+1",
    "plain",
    "us-east-1",
    "30m",
    "a: b",
    "#x",
    "- x",
]


@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_dumped_text_reads_back_as_the_same_text(text: str) -> None:
    from tools.pulumi_yaml import dump_yaml

    document = {"config": {"spinnaker-ecr:registries": [{"accountId": text}], "aws:region": text or "x"}}
    loaded = parse_stack_text(dump_yaml(document), "dumped")
    assert loaded.config["spinnaker-ecr:registries"] == [{"accountId": text}]


@pytest.mark.parametrize(
    ("text", "stays"),
    [
        ("012345678901", False),
        ("true", False),
        ("2001-12-14", False),
        ("~", False),
        ("us-east-1", True),
        ("yes", True),
        ("30m", True),
    ],
)
def test_plain_text_stays_text(text: str, stays: bool) -> None:
    from tools.pulumi_yaml import plain_text_stays_text

    assert plain_text_stays_text(text) is stays


def test_a_stack_files_repr_shows_what_the_cli_holds_not_the_readers_internals() -> None:
    assert repr(read("config:\n  a:b: 0777\n")) == (
        f"StackFile(source={SOURCE!r}, config={{'a:b': 511}}, secure_keys=frozenset(), warnings=())"
    )


def test_without_libyaml_the_import_says_what_is_missing() -> None:
    """PyYAML's pure-Python scanner reads some texts otherwise than libyaml and yaml.v3 (a tab after a value)."""
    code = "import yaml\ndel yaml.CSafeLoader\nimport tools.pulumi_yaml\n"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT)
    assert run.returncode == 1
    assert run.stderr.strip().endswith(
        "ImportError: tools.pulumi_yaml needs PyYAML built with libyaml (yaml.CSafeLoader)"
    ), run.stderr


def test_text_and_source_may_be_named_and_project_must_be(tmp_path: Path) -> None:
    stack = parse_stack_text(text="config:\n  registries: x\n", source=SOURCE, project="other")
    assert stack.program_config() == {"other:registries": "x"}
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text("config:\n  registries: x\n", encoding="utf-8")
    assert load_stack_file(path=path, project="other").program_config() == {"other:registries": "x"}
    with pytest.raises(TypeError):
        parse_stack_text("config:\n  a:b: 1\n", SOURCE, "other")  # type: ignore[misc]


def test_an_alias_is_found_at_its_own_line_or_its_keys() -> None:
    stack = read("config:\n  a:b: &x 1\n  a:v:\n    - 2\n    - *x\n  a:w:\n    *x\n")
    assert stack.config == {"a:b": 1, "a:v": [2, 1], "a:w": 1}
    assert (stack.line_of("a:v", (1,)), stack.line_of("a:w")) == (5, 6)


def test_dumped_yaml_writes_a_shared_value_out_each_time_without_anchors() -> None:
    from tools.pulumi_yaml import dump_yaml

    shared = ["x", "0777"]
    assert dump_yaml({"config": {"a:b": shared, "a:c": {"k": shared}}}) == (
        'config:\n  a:b:\n    - x\n    - "0777"\n  a:c:\n    k:\n      - x\n      - "0777"\n'
    )


def test_a_stack_file_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        read("config:\n  a:b: 1\n").config = {}  # type: ignore[misc]


def test_dumped_yaml_keeps_the_key_order_and_writes_text_that_is_not_ascii_as_is() -> None:
    from tools.pulumi_yaml import dump_yaml

    assert dump_yaml({"config": {"b:x": "café", "a:y": 2}}) == "config:\n  b:x: café\n  a:y: 2\n"
