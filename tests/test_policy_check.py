"""tools/policy_check.py on its own: the --policy-config document it accepts (as the Pulumi CLI accepts a
--policy-pack-config), and the lines the render prints for the findings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tools import policy_check
from tools.policy_check import LEVELS, PolicyConfigError, mandatory, read_policy_config, report, rules

PINNED = "token-refresh-image-pinned-by-digest"
IDENTITY = "workload-identity-names-the-stack-role"


def write(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def finding(policy: str, level: str, message: str) -> Any:
    # A level made at run time, as json.loads makes it: compared by value, never by identity.
    return rules().Finding(policy, "".join(list(level)), message)


def test_the_pack_is_loaded_once() -> None:
    assert rules() is rules()
    assert isinstance(finding("p", "advisory", "m"), policy_check.rules().Finding)


def test_report_lists_mandatory_first_then_by_policy_and_message_on_one_line() -> None:
    found = [
        finding("a-policy", "advisory", "an advisory one"),
        finding("z-policy", "mandatory", "spread\n   over  lines"),
        finding("b-policy", "mandatory", "second"),
        finding("b-policy", "mandatory", "first"),
    ]
    assert report(found) == [
        "[mandatory] b-policy: first",
        "[mandatory] b-policy: second",
        "[mandatory] z-policy: spread over lines",
        "[advisory] a-policy: an advisory one",
    ]
    assert mandatory(found) == found[1:]


@pytest.mark.parametrize("level", LEVELS)
def test_every_level_the_cli_takes_is_accepted(tmp_path: Path, level: str) -> None:
    document = {PINNED: level, IDENTITY: {"enforcementLevel": level, "allowedRoleArns": []}}
    assert read_policy_config(write(tmp_path, document)) == document


def test_an_object_without_a_level_keeps_the_policys_own(tmp_path: Path) -> None:
    document = {IDENTITY: {"allowedRoleArns": []}}
    assert read_policy_config(write(tmp_path, document)) == document


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("mandatroy", '"mandatroy"'),
        ("Mandatory", '"Mandatory"'),
        (1, "1"),
        (None, "null"),
        (["mandatory"], '["mandatory"]'),
        ({"enforcementLevel": "warn"}, '{"enforcementLevel": "warn"}'),
        ({"enforcementLevel": None}, '{"enforcementLevel": null}'),
    ],
)
def test_a_value_that_is_not_a_level_is_refused_naming_policy_value_and_levels(
    tmp_path: Path, value: Any, shown: str
) -> None:
    """The CLI refuses such a config (`"foo" is not a valid enforcement level`); the render used to run the policy
    at that level, which is never mandatory, or stop with a traceback."""
    path = write(tmp_path, {PINNED: "mandatory", IDENTITY: value})
    with pytest.raises(PolicyConfigError) as caught:
        read_policy_config(path)
    assert str(caught.value) == (
        f"--policy-config: {str(path)!r} sets {IDENTITY} to {shown}, which is not a level "
        "(advisory, mandatory, remediate, disabled) nor an object with an enforcementLevel of one"
    )


def test_a_missing_file_is_named_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(PolicyConfigError) as caught:
        read_policy_config(path)
    assert str(caught.value) == f"--policy-config: {str(path)!r} cannot be read: No such file or directory"


def test_bad_documents_are_named_with_what_is_wrong(tmp_path: Path) -> None:
    path = write(tmp_path, [PINNED])
    with pytest.raises(PolicyConfigError) as caught:
        read_policy_config(path)
    assert str(caught.value) == f"--policy-config: {str(path)!r} is not a JSON object of policy name -> level"

    path.write_text("{", encoding="utf-8")
    with pytest.raises(PolicyConfigError, match=r"is not JSON: Expecting property name"):
        read_policy_config(path)

    path = write(tmp_path, {"b-nope": "mandatory", "a-nope": "advisory", PINNED: "advisory"})
    with pytest.raises(PolicyConfigError) as caught:
        read_policy_config(path)
    names = ", ".join(sorted(policy.name for policy in rules().POLICIES))
    assert str(caught.value) == (
        f"--policy-config: {str(path)!r} names a-nope, b-nope, which the pack does not have (policies: {names})"
    )
