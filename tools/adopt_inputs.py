"""What `kubectl get ... -o yaml` printed, read for `python -m tools.adopt`: the SpinnakerService (its clouddriver
sidecars, docker accounts, volumes and field managers) and the token-refresh ConfigMap (its config.yaml).

Pure: files in, frozen values out, or an AdoptError naming the file, the key path, the value and what is accepted.
Server noise (status, resourceVersion, uid, annotations) is never copied; managedFields are kept for the
migration steps.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from ecr_token_refresh import contract
from ecr_token_refresh.config import ConfigError, parse

from components.model import API_VERSIONS
from components.partitions import region_problem
from components.spinnaker_spec import clouddriver_service_names
from tools.pulumi_yaml import plain_text_stays_text

MISSING = object()
Path_ = tuple[str | int, ...]
CONFIG_FILE_KEY = contract.CONFIG_KEY
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
SIDECARS: Path_ = ("spec", "spinnakerConfig", "config", "deploymentEnvironment", "sidecars")
HA_FLAG: Path_ = ("spec", "spinnakerConfig", "config", "deploymentEnvironment", "haServices", "clouddriver", "enabled")
PROFILE_ACCOUNTS: Path_ = ("spec", "spinnakerConfig", "profiles", "clouddriver", "dockerRegistry", "accounts")
HALYARD_ACCOUNTS: Path_ = ("spec", "spinnakerConfig", "config", "providers", "dockerRegistry", "accounts")
SERVICE_SETTINGS: Path_ = ("spec", "spinnakerConfig", "service-settings")
# Halyard's lookup: the service name first, then the base name; HA services (spin-clouddriver-caching, ...) only
# match the base name.
SIDECAR_KEYS = {False: ("spin-clouddriver", "clouddriver"), True: ("clouddriver",)}


def key_of(path: Path_) -> str:
    """`spec.spinnakerConfig...sidecars.spin-clouddriver[0].name`, as the messages name keys."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else json.dumps(value, default=str)


@dataclass(frozen=True)
class Problem:
    file: str
    key: str
    value: Any
    accepted: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.key}" if self.key else self.file
        if self.value is MISSING:
            return f"{where}: {self.accepted}"
        return f"{where}: {show(self.value)} {self.accepted}"


class AdoptError(Exception):
    """Everything wrong with the input (or with the stack file it would give); nothing is written."""

    def __init__(self, problems: Sequence[Problem | str]) -> None:
        self.problems = tuple(dict.fromkeys(str(problem) for problem in problems))
        super().__init__("\n".join(f"  - {line}" for line in self.problems))


@dataclass(frozen=True)
class Entry:
    """One list entry (a sidecar, a docker account), verbatim, with the key path it was read from."""

    value: Mapping[str, Any]
    path: Path_

    @property
    def name(self) -> str:
        return str(self.value["name"])

    @property
    def key(self) -> str:
        return key_of(self.path)

    @property
    def halyard_style(self) -> bool:
        """A docker account under config.providers, where Halyard copies a passwordFile once (DOMAIN 3)."""
        return self.path[: len(HALYARD_ACCOUNTS)] == HALYARD_ACCOUNTS


@dataclass(frozen=True)
class SpinnakerServiceInput:
    file: str
    name: str
    namespace: str
    api_version: str
    clouddriver_ha: bool
    sidecar_key: str | None  # the key Halyard uses for clouddriver's sidecars, None when no key is set
    sidecars: tuple[Entry, ...]  # under sidecar_key
    ignored_sidecar_keys: tuple[str, ...]  # clouddriver sidecar keys Halyard does not read in this mode
    accounts: tuple[Entry, ...]  # profiles.clouddriver first, then Halyard-style config.providers
    volumes: tuple[Mapping[str, Any], ...]
    service_account_name: str | None
    managed_fields: tuple[Mapping[str, Any], ...] | None  # None: the input has none (kubectl hides them)
    last_applied: bool


@dataclass(frozen=True)
class ConfigYamlRegistry:
    index: int
    registry_id: str
    region: str
    password_file: str


@dataclass(frozen=True)
class ConfigMapInput:
    file: str
    name: str
    namespace: str | None
    interval: str  # as written in config.yaml
    registries: tuple[ConfigYamlRegistry, ...]


# --- documents ---------------------------------------------------------------------------------------------------


def read_object(path: Path, what: str) -> dict[str, Any]:
    """The one object in a `kubectl get -o yaml` output file (a List of exactly one item counts as that item)."""
    file = str(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or error
        raise AdoptError([Problem(file, "", MISSING, f"cannot be read: {reason}")]) from None
    except yaml.YAMLError as error:
        raise AdoptError([Problem(file, "", MISSING, f"is not valid YAML: {' '.join(str(error).split())}")]) from None
    if isinstance(document, dict) and document.get("kind") == "List" and isinstance(document.get("items"), list):
        if len(document["items"]) != 1:
            names = [item.get("metadata", {}).get("name") for item in document["items"] if isinstance(item, dict)]
            raise AdoptError(
                [Problem(file, "items", names, f"is not one object: give one {what} (kubectl get {what} NAME)")]
            )
        document = document["items"][0]
    if not isinstance(document, dict):
        raise AdoptError([Problem(file, "", document, f"is not a Kubernetes object (what kubectl get {what} prints)")])
    return document


def _check_kind(document: Mapping[str, Any], file: str, kind: str, api_versions: Sequence[str], how: str) -> None:
    problems = []
    if document.get("kind") != kind:
        problems.append(Problem(file, "kind", document.get("kind", MISSING), f"is not {kind}: give what {how} prints"))
    if document.get("apiVersion") not in api_versions:
        problems.append(
            Problem(
                file, "apiVersion", document.get("apiVersion", MISSING), f"is not one of: {', '.join(api_versions)}"
            )
        )
    if problems:
        raise AdoptError(problems)


class _Reader:
    """Typed lookups in one document, each problem recorded with the key path."""

    def __init__(self, document: Mapping[str, Any], file: str) -> None:
        self.document = document
        self.file = file
        self.problems: list[Problem] = []

    def at(self, path: Path_, kind: type, accepted: str) -> Any:
        value: Any = self.document
        for index, part in enumerate(path):
            if not isinstance(value, dict):
                self.problems.append(Problem(self.file, key_of(path[:index]), value, "is not a mapping"))
                return None
            value = value.get(part)
            if value is None:
                return None
        if not isinstance(value, kind):
            self.problems.append(Problem(self.file, key_of(path), value, f"is not {accepted}"))
            return None
        return value

    def entries(self, path: Path_, kind: str) -> tuple[Entry, ...]:
        items = self.at(path, list, f"a list of {kind}s") or []
        found = []
        for index, item in enumerate(items):
            if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"]:
                found.append(Entry(item, (*path, index)))
            else:
                self.problems.append(Problem(self.file, key_of((*path, index)), item, f"is not a {kind} with a name"))
        return tuple(found)

    def required_text(self, path: Path_) -> str:
        value = self.at(path, str, "a non-empty string")
        if not value:
            self.problems.append(Problem(self.file, key_of(path), MISSING, "is required"))
        return value or ""


# --- the SpinnakerService ----------------------------------------------------------------------------------------


def read_spinnaker_service(path: Path) -> SpinnakerServiceInput:
    document = read_object(path, "spinnakerservice")
    file = str(path)
    how = "kubectl get spinnakerservice NAME -n NAMESPACE -o yaml"
    _check_kind(document, file, "SpinnakerService", API_VERSIONS, how)
    read = _Reader(document, file)
    name = read.required_text(("metadata", "name"))
    namespace = read.required_text(("metadata", "namespace"))
    read.at(("spec", "spinnakerConfig"), dict, "a mapping")
    ha = read.at(HA_FLAG, bool, "true or false") is True
    sidecar_map = read.at(SIDECARS, dict, "a mapping of service names to sidecar lists") or {}
    present = [key for key in SIDECAR_KEYS[False] if key in sidecar_map]
    sidecar_key = next((key for key in SIDECAR_KEYS[ha] if key in sidecar_map), None)
    sidecars = read.entries((*SIDECARS, sidecar_key), "sidecar") if sidecar_key else ()
    accounts = read.entries(PROFILE_ACCOUNTS, "docker account") + read.entries(HALYARD_ACCOUNTS, "docker account")
    managed = read.at(("metadata", "managedFields"), list, "a list")
    annotations = read.at(("metadata", "annotations"), dict, "a mapping") or {}
    service_account = read.at(
        (*SERVICE_SETTINGS, "clouddriver", "kubernetes", "serviceAccountName"), str, "a service account name"
    )
    setup = SpinnakerServiceInput(
        file=file,
        name=name,
        namespace=namespace,
        api_version=document["apiVersion"],
        clouddriver_ha=ha,
        sidecar_key=sidecar_key,
        sidecars=sidecars,
        ignored_sidecar_keys=tuple(key for key in present if key != sidecar_key),
        accounts=accounts,
        volumes=_volumes(read, ha),
        service_account_name=service_account,
        managed_fields=tuple(m for m in managed if isinstance(m, dict)) if managed is not None else None,
        last_applied=LAST_APPLIED in annotations,
    )
    if read.problems:
        raise AdoptError(read.problems)
    return setup


def _volumes(read: _Reader, ha: bool) -> tuple[Mapping[str, Any], ...]:
    """clouddriver's service-settings volumes (in HA mode, of every clouddriver-* service), each once."""
    found: list[Mapping[str, Any]] = []
    for service in clouddriver_service_names(ha):
        path = (*SERVICE_SETTINGS, service, "kubernetes", "volumes")
        for index, volume in enumerate(read.at(path, list, "a list of volumes") or []):
            if not isinstance(volume, dict):
                read.problems.append(Problem(read.file, key_of((*path, index)), volume, "is not a volume mapping"))
            elif volume not in found:
                found.append(volume)
    return tuple(found)


# --- the ConfigMap -----------------------------------------------------------------------------------------------


def read_config_map(path: Path) -> ConfigMapInput:
    document = read_object(path, "configmap")
    file = str(path)
    _check_kind(document, file, "ConfigMap", ("v1",), "kubectl get configmap NAME -n NAMESPACE -o yaml")
    read = _Reader(document, file)
    name = read.required_text(("metadata", "name"))
    namespace = read.at(("metadata", "namespace"), str, "a namespace")
    data = read.at(("data",), dict, "a mapping") or {}
    text = data.get(CONFIG_FILE_KEY)
    if not isinstance(text, str):
        read.problems.append(
            Problem(
                file,
                f'data["{CONFIG_FILE_KEY}"]',
                text if text is not None else MISSING,
                f"is required: the token-refresh ConfigMap holds the sidecar's {CONFIG_FILE_KEY} "
                f"(kubectl create configmap NAME --from-file {CONFIG_FILE_KEY}); "
                f"keys here: {', '.join(data) or 'none'}",
            )
        )
    if read.problems:
        raise AdoptError(read.problems)
    interval, registries = _config_yaml(text, file)
    return ConfigMapInput(file, name, namespace, interval, registries)


def _config_yaml(text: str, file: str) -> tuple[str, tuple[ConfigYamlRegistry, ...]]:
    """config.yaml as the legacy sidecar reads it: the sidecar's own parser, plus Go YAML's reading of unquoted
    registry ids (PyYAML takes `012345678901` as text, Go as a number)."""
    where = f'data["{CONFIG_FILE_KEY}"]'
    unquoted = _unquoted_registry_ids(text)
    problems: list[Problem | str] = [
        Problem(
            file,
            f"{where}.registries[{index}].registryId",
            value,
            f'is an unquoted number: the legacy sidecar (Go YAML) reads it as a number and exits; quote it: "{value}"',
        )
        for index, value in unquoted.items()
    ]
    try:
        config = parse(text)
    except ConfigError as error:
        problems.extend(
            f"{file}: {where}: {problem}"
            for problem in error.problems
            if not any(problem.startswith(f"registries[{index}].registryId:") for index in unquoted)
        )
        raise AdoptError(problems) from None
    registries = tuple(
        ConfigYamlRegistry(index, r.registry_id, r.region, r.password_file) for index, r in enumerate(config.registries)
    )
    for registry in registries:
        problem = region_problem(registry.region)
        if problem:
            problems.append(Problem(file, f"{where}.registries[{registry.index}].region", registry.region, problem))
    if problems:
        raise AdoptError(problems)
    return str(yaml.safe_load(text)["interval"]), registries


def _unquoted_registry_ids(text: str) -> dict[int, str]:
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return {}  # parse() names it
    registries = _mapping_value(root, "registries")
    if not isinstance(registries, yaml.SequenceNode):
        return {}
    found = {}
    for index, item in enumerate(registries.value):
        node = _mapping_value(item, "registryId")
        if isinstance(node, yaml.ScalarNode) and node.style is None and not plain_text_stays_text(node.value):
            found[index] = node.value
    return found


def _mapping_value(node: Any, key: str) -> Any:
    if not isinstance(node, yaml.MappingNode):
        return None
    return {getattr(name, "value", None): value for name, value in node.value}.get(key)
