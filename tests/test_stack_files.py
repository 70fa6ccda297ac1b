"""Pulumi.yaml and every stack file parse, use only the aws:, kubernetes: and spinnaker-ecr: namespaces, and use only
keys the settings module knows. The known keys come from components/settings.py itself: its constants and the
"known: ..." list it names when it rejects an unknown key, never from a second list kept here."""

import copy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.model import PROJECT, StackConfig
from components.settings import SettingsError, parse_settings
from tools.stack_files import STACKS_DIR, stack_config, stack_file, stack_names

ROOT = Path(__file__).resolve().parent.parent
STACKS = stack_names()
NAMESPACES = {"aws", "kubernetes", PROJECT}
INJECTED = "notAKnownKey"
# Objects whose keys are the user's data, passed through as given: tag names, clouddriver sidecars and accounts kept
# verbatim, a registry account's READ/WRITE permissions.
FREE_FORM = {"tags", "spinnaker.extraSidecars[*]", "spinnaker.extraDockerAccounts[*]", "registries[*].permissions"}
_REJECTED = re.compile(
    r"^(?P<path>.+)\." + INJECTED + r": .* is not a known key \(known: (?P<known>[^)]*)\)(; did you mean .*)?$"
)
TOP_LEVEL_KEYS = [field.alias or name for name, field in StackConfig.model_fields.items()]


def project_values(stack: str) -> dict[str, Any]:
    """This stack's `spinnaker-ecr:` values without the namespace, as parse_settings takes them."""
    return {key.split(":", 1)[1]: value for key, value in stack_config(stack).items() if key.startswith(f"{PROJECT}:")}


def objects(value: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, mapping) for every mapping under `value`, paths as settings write them: `a.b`, `a[0].b`."""
    if isinstance(value, dict):
        for key, child in value.items():
            child_path = f"{path}.{key}" if path else key
            if isinstance(child, dict):
                yield child_path, child
            yield from objects(child, child_path)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            child_path = f"{path}[{index}]"
            if isinstance(child, dict):
                yield child_path, child
            yield from objects(child, child_path)


def with_injected_key(values: dict[str, Any], path: str) -> dict[str, Any]:
    changed = copy.deepcopy(values)
    target: Any = changed
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        target = target[int(part[1:-1])] if part.startswith("[") else target[part]
    target[INJECTED] = "x"
    return changed


def test_pulumi_yaml_keeps_the_stacks_in_stacks() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == PROJECT
    assert project["runtime"]["name"] == "python"
    assert ROOT / project["stackConfigDir"] == STACKS_DIR, "the CLI and tools/stack_files read the same directory"
    assert STACKS, "no stack files"


@pytest.mark.parametrize("stack", STACKS)
def test_the_stack_file_parses_and_uses_only_known_namespaces(stack: str) -> None:
    document = yaml.safe_load(stack_file(stack).read_text())
    assert set(document) == {"config"}, "stack files hold config only"
    namespaces = {key.split(":", 1)[0] for key in document["config"]}
    assert all(":" in key for key in document["config"])
    assert namespaces <= NAMESPACES
    assert "aws:region" in document["config"], "the workflows read the stack's region from here"


@pytest.mark.parametrize("stack", STACKS)
def test_the_settings_module_accepts_the_stack(stack: str) -> None:
    values = project_values(stack)
    assert set(values) <= set(TOP_LEVEL_KEYS)
    parse_settings(values, project=PROJECT, stack=stack)


@pytest.mark.parametrize("stack", STACKS)
def test_an_unknown_top_level_key_is_rejected(stack: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings({**project_values(stack), INJECTED: "x"}, project=PROJECT, stack=stack)
    assert any(p.startswith(f"{PROJECT}:{INJECTED}: ") for p in caught.value.problems)


@pytest.mark.parametrize("stack", STACKS)
def test_every_object_the_stack_uses_has_only_keys_the_settings_module_knows(stack: str) -> None:
    """Injects an unknown key into each object the stack file uses: the settings module must reject it and name its
    known keys, which must include every key the stack uses there; or the object is one of the free-form ones."""
    values = project_values(stack)
    free_form = set()
    for path, mapping in objects(values):
        try:
            parse_settings(with_injected_key(values, path), project=PROJECT, stack=stack)
        except SettingsError as error:
            rejected = [m for p in error.problems if (m := _REJECTED.match(p))]
            assert [m["path"] for m in rejected] == [f"{PROJECT}:{path}"], error.problems
            known = set(rejected[0]["known"].split(", "))
            assert set(mapping) <= known, f"{path}: {sorted(set(mapping) - known)} unknown to settings"
        else:
            free_form.add(re.sub(r"\[\d+\]", "[*]", path))
    assert free_form <= FREE_FORM, f"settings stopped checking the keys of {sorted(free_form - FREE_FORM)}"


def test_the_stacks_use_nested_objects_so_the_check_above_bites() -> None:
    paths = {re.sub(r"\[\d+\]", "[*]", path) for stack in STACKS for path, _ in objects(project_values(stack))}
    assert {"access", "access.serviceAccount", "spinnaker", "tokenRefresh", "registries[*]"} <= paths
