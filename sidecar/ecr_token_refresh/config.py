"""Parse and validate config.yaml: interval (Go duration) and registries[] {registryId, region, passwordFile}."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import yaml

DEFAULT_PATH = "/opt/config/ecr-token-refresh/config.yaml"

TOP_LEVEL_KEYS = ("interval", "registries")
REGISTRY_KEYS = ("registryId", "region", "passwordFile")

_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_MICROSECOND = timedelta(microseconds=1)
# [0-9], not \d: \d also matches other scripts' digits (١٢٣), which AWS and Go reject.
_GO_TERM = r"([0-9]+\.?[0-9]*|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)"
_GO_DURATION = re.compile(rf"\+?(?:{_GO_TERM})+")
_REGISTRY_ID = re.compile(r"[0-9]{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")

_DURATION_ACCEPTED = "a positive Go duration such as 30m, 1h30m, 90s or 1.5h"
_REGISTRY_ID_ACCEPTED = 'a quoted 12-digit string such as "123456789012"'
_REGION_ACCEPTED = "an AWS region name such as us-east-1"
_PASSWORD_FILE_ACCEPTED = "an absolute file path such as /etc/passwords/<name>.pass"


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
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except FileNotFoundError:
        raise ConfigError([f"config file {os.fspath(path)}: not found"]) from None
    except OSError as error:
        raise ConfigError([f"config file {os.fspath(path)}: {error.strerror}"]) from None
    return parse(text)


def parse(text: str) -> Config:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError([f"config is not valid YAML: {error}"]) from None
    if not isinstance(document, dict):
        raise ConfigError([f"config: {_show(document)} is not a mapping with keys {', '.join(TOP_LEVEL_KEYS)}"])
    problems = _unknown_keys(document, TOP_LEVEL_KEYS, prefix="")
    interval = _interval(document.get("interval"), problems)
    registries = _registries(document.get("registries"), problems)
    if problems:
        raise ConfigError(problems)
    assert interval is not None
    return Config(interval=interval, registries=registries)


def parse_go_duration(text: str) -> timedelta | None:
    """Go's time.ParseDuration for the values that make sense here, floored at 1 µs; None when text is not one."""
    if not _GO_DURATION.fullmatch(text):
        return None
    seconds = sum(float(number) * _GO_UNITS[unit] for number, unit in re.findall(_GO_TERM, text))
    # timedelta counts whole microseconds: a positive duration below one (1ns) must not round to zero.
    return max(timedelta(seconds=seconds), _MICROSECOND) if seconds > 0 else timedelta(0)


def _interval(value: Any, problems: list[str]) -> timedelta | None:
    if value is None:
        problems.append(f"interval: missing (accepted: {_DURATION_ACCEPTED})")
        return None
    duration = parse_go_duration(value) if isinstance(value, str) else None
    if duration is None or duration <= timedelta(0):
        problems.append(f"interval: {_show(value)} is not {_DURATION_ACCEPTED}")
        return None
    return duration


def _registries(value: Any, problems: list[str]) -> tuple[Registry, ...]:
    if value is None:
        problems.append("registries: missing (accepted: a non-empty list of {registryId, region, passwordFile})")
        return ()
    if not isinstance(value, list) or not value:
        problems.append(f"registries: {_show(value)} is not a non-empty list of {{registryId, region, passwordFile}}")
        return ()
    registries = tuple(_registry(f"registries[{index}]", item, problems) for index, item in enumerate(value))
    _reject_duplicate_password_files(registries, problems)
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
    return Registry(registry_id=registry_id, region=region, password_file=password_file)


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
    return isinstance(value, str) and os.path.isabs(value) and not value.endswith("/")


def _reject_duplicate_password_files(registries: tuple[Registry, ...], problems: list[str]) -> None:
    first_use: dict[str, int] = {}
    for index, registry in enumerate(registries):
        if not registry.password_file:
            continue
        path = os.path.normpath(registry.password_file)
        if path in first_use:
            problems.append(
                f"registries[{index}].passwordFile: {_show(registry.password_file)} is already used by "
                f"registries[{first_use[path]}] (accepted: one file per registry entry)"
            )
        first_use.setdefault(path, index)


def _unknown_keys(mapping: dict[Any, Any], known: tuple[str, ...], prefix: str) -> list[str]:
    return [f"{prefix}{key}: unknown key (accepted: {', '.join(known)})" for key in mapping if key not in known]


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)
