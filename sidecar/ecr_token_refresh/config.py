"""Parse and validate config.yaml: interval (Go duration) and registries[] {registryId, region, passwordFile}."""

from __future__ import annotations

import os
import posixpath
import re
import reprlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import yaml

from ecr_token_refresh import contract
from ecr_token_refresh.duration import DurationError, parse_go_duration

TOP_LEVEL_KEYS = ("interval", "registries")
REGISTRY_KEYS = ("registryId", "region", "passwordFile")
# A ConfigMap holds at most 1 MiB; reading stops there, so that `--config /dev/zero` cannot fill the memory.
MAX_CONFIG_BYTES = 1024 * 1024

# [0-9], not \d: \d also matches other scripts' digits (١٢٣), which AWS rejects.
_REGISTRY_ID = re.compile(r"[0-9]{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")

_DURATION_ACCEPTED = (
    f"a Go duration from {contract.MIN_INTERVAL_TEXT} to {contract.MAX_INTERVAL_TEXT} such as 30m, 1h30m, 90s or 1.5h"
)
_REGISTRY_ID_ACCEPTED = 'a quoted 12-digit string such as "123456789012"'
_REGION_ACCEPTED = "an AWS region name such as us-east-1"
_PASSWORD_FILE_ACCEPTED = "an absolute file path such as /etc/passwords/<name>.pass"
# Values are quoted in errors, but a value built from YAML aliases can be huge or recursive: show its start only.
_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = 200
_SHOWN.maxlevel, _SHOWN.maxlist, _SHOWN.maxdict = 3, 6, 6


class ConfigError(Exception):
    """Every problem found in a config; str() lists them all."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Registry:
    registry_id: str
    region: str
    password_file: str


@dataclass(frozen=True)
class Config:
    interval: timedelta
    registries: tuple[Registry, ...]


def load(path: str | os.PathLike[str]) -> Config:
    return parse(_read(os.fspath(path)))


def _read(path: str) -> str:
    try:
        with open(path, "rb") as file:
            content = file.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError([f"config file {path}: not found"]) from None
    except OSError as error:
        raise ConfigError([f"config file {path}: {error.strerror}"]) from None
    if len(content) > MAX_CONFIG_BYTES:
        raise ConfigError([f"config file {path}: larger than {MAX_CONFIG_BYTES} bytes, the most a ConfigMap holds"])
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            [
                f"config file {path}: byte {content[error.start]:#04x} at offset {error.start} is not UTF-8 "
                "(accepted: a UTF-8 text file)"
            ]
        ) from None


def parse(text: str) -> Config:
    document = _yaml_document(text)
    if not isinstance(document, dict):
        raise ConfigError([f"config: {_show(document)} is not a mapping with keys {', '.join(TOP_LEVEL_KEYS)}"])
    problems = _unknown_keys(document, TOP_LEVEL_KEYS, prefix="")
    interval = _interval(document.get("interval"), problems)
    registries = _registries(document.get("registries"), problems)
    if problems:
        raise ConfigError(problems)
    assert interval is not None
    return Config(interval=interval, registries=registries)


def _yaml_document(text: str) -> Any:
    """The YAML document, refusing a key given twice in one mapping (PyYAML would keep the last silently)."""
    loader = None
    try:
        loader = yaml.SafeLoader(text)  # its reader already refuses some characters
        node = loader.get_single_node()
        if node is None:
            return None
        duplicates = [f"{key}: given twice (line {line}; accepted: each key once)" for key, line in _duplicates(node)]
        if duplicates:
            raise ConfigError(duplicates)
        return loader.construct_document(node)
    except yaml.YAMLError as error:
        raise ConfigError([f"config is not valid YAML: {error}"]) from None
    except RecursionError:
        raise ConfigError(["config is not valid YAML: nested too deeply"]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _duplicates(root: yaml.Node) -> Iterator[tuple[str, int]]:
    """(key path, line) of every repeated key, walking each node once (aliases may repeat or nest a node)."""
    seen: set[int] = set()
    pending: list[tuple[str, yaml.Node]] = [("", root)]
    while pending:
        path, node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            pending.extend((f"{path}[{index}]", item) for index, item in enumerate(node.value))
        elif isinstance(node, yaml.MappingNode):
            keys: set[tuple[str, str]] = set()
            for key, value in node.value:
                name = f"{path}.{key.value}" if path else str(key.value)
                if isinstance(key, yaml.ScalarNode):
                    if (key.tag, key.value) in keys:
                        yield name, key.start_mark.line + 1
                    keys.add((key.tag, key.value))
                pending.append((name, value))


def _interval(value: Any, problems: list[str]) -> timedelta | None:
    if value is None:
        problems.append(f"interval: missing (accepted: {_DURATION_ACCEPTED})")
        return None
    if not isinstance(value, str):
        problems.append(f"interval: {_show(value)} is not {_DURATION_ACCEPTED}")
        return None
    try:
        nanoseconds = parse_go_duration(value)
    except DurationError as error:
        problems.append(f"interval: {_show(value)} is not {_DURATION_ACCEPTED}: {error.reason}")
        return None
    if not contract.MIN_INTERVAL <= nanoseconds <= contract.MAX_INTERVAL:
        side = (
            f"below {contract.MIN_INTERVAL_TEXT}"
            if nanoseconds < contract.MIN_INTERVAL
            else f"above {contract.MAX_INTERVAL_TEXT}"
        )
        problems.append(f"interval: {_show(value)} is not {_DURATION_ACCEPTED}: it is {side}")
        return None
    # Kept to the microsecond, timedelta's step; the 1 ms minimum keeps that exact enough.
    return timedelta(microseconds=nanoseconds // 1000)


def _registries(value: Any, problems: list[str]) -> tuple[Registry, ...]:
    if value is None:
        problems.append("registries: missing (accepted: a non-empty list of {registryId, region, passwordFile})")
        return ()
    if not isinstance(value, list) or not value:
        problems.append(f"registries: {_show(value)} is not a non-empty list of {{registryId, region, passwordFile}}")
        return ()
    registries = tuple(_registry(f"registries[{index}]", item, problems) for index, item in enumerate(value))
    _reject_duplicate_password_files(registries, value, problems)
    return registries


def _registry(key: str, item: Any, problems: list[str]) -> Registry:
    if not isinstance(item, dict):
        problems.append(f"{key}: {_show(item)} is not a mapping with keys {', '.join(REGISTRY_KEYS)}")
        return Registry("", "", "")
    problems.extend(_unknown_keys(item, REGISTRY_KEYS, prefix=f"{key}."))
    registry_id = _checked(
        f"{key}.registryId", item.get("registryId"), _is_registry_id, _REGISTRY_ID_ACCEPTED, problems
    )
    region = _checked(f"{key}.region", item.get("region"), _is_region, _REGION_ACCEPTED, problems)
    password_file = _checked(
        f"{key}.passwordFile", item.get("passwordFile"), _is_password_file, _PASSWORD_FILE_ACCEPTED, problems
    )
    return Registry(registry_id=registry_id, region=region, password_file=_normal(password_file))


def _checked(key: str, value: Any, valid: Callable[[Any], bool], accepted: str, problems: list[str]) -> str:
    if value is None:
        problems.append(f"{key}: missing (accepted: {accepted})")
        return ""
    if not valid(value):
        problems.append(f"{key}: {_show(value)} is not {accepted}")
        return ""
    return str(value)


def _is_registry_id(value: Any) -> bool:
    # An unquoted number would lose its leading zeros in YAML, so only strings are accepted.
    return isinstance(value, str) and _REGISTRY_ID.fullmatch(value) is not None


def _is_region(value: Any) -> bool:
    return isinstance(value, str) and _REGION.fullmatch(value) is not None


def _is_password_file(value: Any) -> bool:
    return (
        isinstance(value, str)
        and value.startswith("/")
        and "\0" not in value
        # The last component names the file: `/etc/passwords/`, `/etc/passwords/.` and `..` name a directory.
        and value.rsplit("/", 1)[1] not in ("", ".", "..")
    )


def _normal(path: str) -> str:
    """One spelling per file: `//x`, `/a/./x`, `/a/b/../x` become `/x`, `/a/x`, `/a/x` (normpath keeps a leading //)."""
    return "/" + posixpath.normpath(path).lstrip("/") if path else ""


def _reject_duplicate_password_files(registries: tuple[Registry, ...], items: list[Any], problems: list[str]) -> None:
    first_use: dict[str, int] = {}
    for index, registry in enumerate(registries):
        if not registry.password_file:
            continue
        if registry.password_file in first_use:
            problems.append(
                f"registries[{index}].passwordFile: {_show(items[index]['passwordFile'])} is the file of "
                f"registries[{first_use[registry.password_file]}] (accepted: one file per registry entry)"
            )
        first_use.setdefault(registry.password_file, index)


def _unknown_keys(mapping: dict[Any, Any], known: tuple[str, ...], prefix: str) -> list[str]:
    return [f"{prefix}{_name(key)}: unknown key (accepted: {', '.join(known)})" for key in mapping if key not in known]


def _name(key: Any) -> str:
    return key if isinstance(key, str) else _show(key)


def _show(value: Any) -> str:
    return _SHOWN.repr(value)
