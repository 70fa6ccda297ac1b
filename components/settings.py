"""The only reader of stack configuration: the declared models of model.py applied to this stack's config, and
every problem turned into one message naming the key as written, the value as given and what is accepted.

`parse_settings` is pure (config values in, `Settings` out); `load_settings` feeds it this stack's configuration.
Each top-level key is validated on its own, so a problem in one never hides the problems of another, and the
checks that span keys (what an access mode needs, unique names, which password files an account may read) run
on every key that parsed.
"""

from __future__ import annotations

import json
import posixpath
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.runtime.config
from pydantic import BaseModel, TypeAdapter, ValidationError

from components.model import (
    ACCESS_MODES,
    PROJECT,
    REFRESH_METHODS,
    TOKEN_REFRESH_SIDECAR_NAME,
    Access,
    AccessMode,
    ExternalSecretsMethod,
    Registry,
    Settings,
    SidecarMethod,
    Spinnaker,
    StackConfig,
    is_legacy_image,
)
from components.partitions import partition_of, region_problem
from components.refresh_methods import password_files
from components.registries import ECR_USERNAME, registry_address
from components.suggestions import did_you_mean

MISSING = object()
# Namespaces a stack file may use besides this project's: the providers' own settings.
OTHER_NAMESPACES = ("aws", "kubernetes", "pulumi")
_MOVED = {
    "externalSecrets": "moved under spinnaker-ecr:tokenRefresh (method: external-secrets): put its apiVersion, "
    "generatorApiVersion and auth there",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong: where (the config key and the path inside its value), what was given, what is accepted."""

    config_key: str
    path: tuple[str | int, ...]
    value: Any
    accepted: str

    @property
    def key(self) -> str:
        return self.config_key + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.path)

    def shown(self, value_text: str | None = None) -> str:
        """The message; `value_text` replaces the value with the text as typed in the stack file."""
        if self.value is MISSING:
            return f"{self.key}: {self.accepted}"
        return f"{self.key}: {value_text if value_text is not None else show(self.value)} {self.accepted}"

    def __str__(self) -> str:
        return self.shown()


def show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else json.dumps(value)


class SettingsError(pulumi.RunError):
    """Every problem in the configuration, each naming the key, the value and what is accepted."""

    def __init__(self, problems: list[Problem]) -> None:
        self.found = tuple(problems)
        self.problems = tuple(str(problem) for problem in problems)
        super().__init__(message(self.problems))


def message(lines: tuple[str, ...] | list[str]) -> str:
    listed = "\n".join(f"  - {line}" for line in lines)
    return f"invalid {PROJECT} configuration ({len(lines)} problem(s)):\n{listed}"


# --- pydantic errors -> problems ---------------------------------------------------------------------------------


def _unwrap(annotation: Any) -> list[Any]:
    """The model classes (or other types) an annotation may hold."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, tuple, list):
        return [t for arg in typing.get_args(annotation) if arg is not Ellipsis for t in _unwrap(arg)]
    return [annotation]


def _model_at(loc: tuple[str | int, ...], method: str | None = None) -> type[BaseModel] | None:
    """The model whose keys live at `loc` (stack-file keys, union tags already removed); `method` picks the
    token-refresh variant."""
    models: list[Any] = [StackConfig]
    for part in loc:
        if isinstance(part, int):
            continue
        if part == "tokenRefresh" and method in REFRESH_METHODS and models == [StackConfig]:
            models = [REFRESH_METHODS[method]]
            continue
        annotations = [
            field.annotation
            for model in models
            for name, field in model.model_fields.items()
            if (field.alias or name) == part
        ]
        models = [t for a in annotations for t in _unwrap(a) if isinstance(t, type) and issubclass(t, BaseModel)]
        if not models:
            return None
    return models[0]


def _known_keys(model: type[BaseModel] | None) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()] if model else []


def _clean_loc(loc: tuple[str | int, ...]) -> tuple[tuple[str | int, ...], str | None]:
    """Drops pydantic's union tags and `[key]` markers; returns the path and the refresh method tag, if any."""
    path: list[str | int] = []
    method = None
    for index, part in enumerate(loc):
        if index > 0 and loc[index - 1] == "tokenRefresh" and len(path) == 1 and part in REFRESH_METHODS:
            method = str(part)
            continue
        if part == "[key]":
            continue
        path.append(part)
    return tuple(path), method


def _accepted(error: Mapping[str, Any], path: tuple[str | int, ...], method: str | None) -> str | None:
    kind = error["type"]
    value = error.get("input")
    if kind == "spinnaker_ecr":
        return str(error["msg"])
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        name = str(path[-1])
        owners = [m for m, model in REFRESH_METHODS.items() if name in _known_keys(model)]
        if method and path[:1] == ("tokenRefresh",) and owners:
            return f"only applies to method {' or '.join(owners)}, not {method}"
        known = _known_keys(_model_at(path[:-1], method))
        return f"is not a known key (known: {', '.join(known)}){did_you_mean(name, known)}"
    if kind in ("enum", "literal_error"):
        choices = [c.strip(" '") for c in str(error["ctx"]["expected"]).replace(" or ", ", ").split(",")]
        return f"is not one of: {', '.join(choices)}{did_you_mean(str(value), choices)}"
    if kind == "union_tag_invalid":
        choices = list(REFRESH_METHODS)
        return f"is not one of: {', '.join(choices)}{did_you_mean(str(error['ctx']['tag']), choices)}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "is not a mapping"
    if kind in ("list_type", "tuple_type"):
        return "is not a list"
    if kind == "too_short":
        return "is empty: list at least one" if value == [] else None
    return f"is not valid: {error['msg']}"


def _problems_of(config_key: str, errors: list[Any]) -> Iterator[Problem]:
    for item in errors:
        loc, method = _clean_loc(tuple(item["loc"]))
        if item["type"] == "union_tag_invalid":
            loc = (*loc, "method")
        accepted = _accepted(item, loc, method)
        if accepted is None:
            continue
        value = MISSING if item["type"] == "missing" else item.get("input")
        if item["type"] == "union_tag_invalid":
            value = item["ctx"]["tag"]
        if value is MISSING:
            accepted = f"is required ({_why_required(loc, method)})"
        yield Problem(config_key, loc, value, accepted)


def _why_required(loc: tuple[str | int, ...], method: str | None) -> str:
    model = _model_at(loc[:-1], method)
    field = next((f for n, f in model.model_fields.items() if (f.alias or n) == loc[-1]), None) if model else None
    if field is not None and field.description:
        return field.description
    return f"needed here; known keys: {', '.join(_known_keys(model))}" if model else "needed here"


# --- one section at a time -------------------------------------------------------------------------------------


_SECTIONS = {field.alias or name: (name, field) for name, field in StackConfig.model_fields.items()}
_ADAPTERS = {
    key: TypeAdapter(typing.Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation)
    for key, (_, field) in _SECTIONS.items()
}


def _sections(config: Mapping[str, Any], problems: list[Problem]) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for key, (name, field) in _SECTIONS.items():
        config_key = f"{PROJECT}:{key}"
        if config.get(key) is None:
            if field.is_required():
                problems.append(Problem(config_key, (), MISSING, f"is required ({_SECTION_NEEDS[key]})"))
            else:
                parsed[name] = field.get_default(call_default_factory=True)
            continue
        try:
            parsed[name] = _ADAPTERS[key].validate_python(config[key])
        except ValidationError as error:
            # Locations prefixed with the section, as the whole-config model would give them.
            errors = [{**e, "loc": (key, *e["loc"])} for e in error.errors()]
            problems.extend(
                Problem(config_key, p.path[1:], p.value, p.accepted) for p in _problems_of(config_key, errors)
            )
    return parsed


_REGISTRY = TypeAdapter(Registry)


def _valid_registries(value: Any) -> list[tuple[int, Registry]]:
    """(index, registry) of each entry that is valid on its own, so checks across entries still run."""
    found = []
    for index, item in enumerate(value if isinstance(value, list) else []):
        try:
            found.append((index, _REGISTRY.validate_python(item)))
        except ValidationError:
            continue
    return found


_SECTION_NEEDS = {
    "access": "mode, one of: " + ", ".join(ACCESS_MODES),
    "tokenRefresh": "at least the sidecar image: tokenRefresh.image, or another method",
    "registries": "a non-empty list of {name, accountId, region}",
}


# --- checks across keys --------------------------------------------------------------------------------------


def _access_problems(raw: Any) -> Iterator[Problem]:
    """What the mode needs and allows, from the keys as given: runs even when a value inside access is invalid."""
    key = f"{PROJECT}:access"
    if not isinstance(raw, dict) or raw.get("mode") not in ACCESS_MODES:
        return
    mode = AccessMode(raw["mode"])
    rules = ACCESS_MODES[mode]
    given = {name for name, value in raw.items() if value is not None}
    for name, why in rules.needs.items():
        if name not in given:
            yield Problem(key, (name,), MISSING, f"is required (mode {mode} needs {why})")
    chosen = [name for name in rules.needs_one_of if name in given]
    if rules.needs_one_of and not chosen:
        yield Problem(
            key,
            (rules.needs_one_of[-1],),
            MISSING,
            f"is required (mode {mode} needs {' or '.join(rules.needs_one_of)})",
        )
    if len(chosen) > 1:
        yield Problem(key, (chosen[0],), raw[chosen[0]], f"cannot be combined with {chosen[1]}: give one")
    for name in sorted(given - {"mode", *rules.allows} & {f.alias or n for n, f in Access.model_fields.items()}):
        modes = [str(m) for m, r in ACCESS_MODES.items() if name in r.allows]
        yield Problem(key, (name,), raw[name], f"only applies to mode {' or '.join(modes)}, not {mode}")


def _image_problems(access: Access, refresh: Any) -> Iterator[Problem]:
    if isinstance(refresh, SidecarMethod) and is_legacy_image(refresh.image) and access.rules.workload_identity:
        yield Problem(
            f"{PROJECT}:tokenRefresh",
            ("image",),
            refresh.image,
            f"cannot be used with access.mode {access.mode}: the legacy skuid image (aws-sdk-go 1.6, 2017) has no "
            "web-identity or Pod Identity credentials and silently falls back to the node role; use this "
            "project's sidecar image (sidecar/) or access.mode node-role",
        )


def _generator_auth_problems(access: Access, refresh: Any) -> Iterator[Problem]:
    if isinstance(refresh, ExternalSecretsMethod) and refresh.auth is None and not access.rules.annotates_role:
        yield Problem(
            f"{PROJECT}:tokenRefresh",
            ("auth",),
            MISSING,
            f"is required (with access.mode {access.mode} the ECRAuthorizationToken generator runs in the External "
            "Secrets controller, not in clouddriver's pod, so it cannot use that role: give it credentials of its "
            "own (jwt.serviceAccountRef of an IRSA service account, or secretRef), or use access.mode irsa)",
        )


def _unique(config_key: str, items: Any, field: str, reserved: str | None = None) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, item in enumerate(items):
        name = getattr(item, field)
        if name == reserved:
            yield Problem(config_key, (index, field), name, "is the name of this program's own sidecar: rename it")
        elif name in seen:
            yield Problem(config_key, (index, field), name, "is a duplicate: names must be unique")
        seen.add(name)


def _registry_problems(registries: list[tuple[int, Registry]], region: str | None) -> Iterator[Problem]:
    key = f"{PROJECT}:registries"
    seen: set[str] = set()
    for index, registry in registries:
        if registry.name in seen:
            yield Problem(key, (index, "name"), registry.name, "is a duplicate: registry names must be unique")
        seen.add(registry.name)
        if registry.repositories is not None and registry.catalog_file is not None:
            yield Problem(key, (index, "catalogFile"), registry.catalog_file, "cannot be combined with repositories")
    first_index, first = registries[0]
    for index, registry in registries:
        if partition_of(registry.region) != partition_of(first.region):
            yield Problem(
                key,
                (index, "region"),
                registry.region,
                f"is in partition {partition_of(registry.region)}, but registries[{first_index}] is in "
                f"{partition_of(first.region)}: one stack's registries must share a partition",
            )
    # aws:region as the stack file types it may be a number (a JSON-decoded value): _region_problems names it.
    if (
        isinstance(region, str)
        and region
        and region_problem(region) is None
        and partition_of(region) != partition_of(first.region)
    ):
        yield Problem(
            key,
            (first_index, "region"),
            first.region,
            f"is in partition {partition_of(first.region)}, but aws:region {region} is in {partition_of(region)}: "
            "the role is created in aws:region's partition and can only read registries there",
        )


def _spinnaker_problems(spinnaker: Spinnaker) -> Iterator[Problem]:
    key = f"{PROJECT}:spinnaker"
    yield from (
        Problem(key, ("extraSidecars", *p.path), p.value, p.accepted)
        for p in _unique(key, spinnaker.extra_sidecars, "name", reserved=TOKEN_REFRESH_SIDECAR_NAME)
    )
    yield from (
        Problem(key, ("extraDockerAccounts", *p.path), p.value, p.accepted)
        for p in _unique(key, spinnaker.extra_docker_accounts, "name")
    )
    yield from (
        Problem(key, ("extraVolumes", *p.path), p.value, p.accepted)
        for p in _unique(key, spinnaker.extra_volumes, "id")
    )


def _extra_account_problems(spinnaker: Spinnaker, registries: tuple[Registry, ...], refresh: Any) -> Iterator[Problem]:
    """An extra account may not reuse a registry's name, and may read a password file our refresh writes only to
    log in to the very registry that file's token is for: anywhere else, clouddriver would hand the token over."""
    key = f"{PROJECT}:spinnaker"
    names = {r.name for r in registries}
    written = {posixpath.normpath(path): registry for registry, path in password_files(refresh, registries)}
    for index, account in enumerate(spinnaker.extra_docker_accounts):
        entry = account.entry()
        if account.name in names:
            yield Problem(
                key,
                ("extraDockerAccounts", index, "name"),
                account.name,
                "is also a registry name: clouddriver account names must be unique",
            )
        password_file = entry.get("passwordFile")
        if not isinstance(password_file, str):
            continue
        fed_by = written.get(posixpath.normpath(password_file.replace("//", "/")))
        if fed_by is not None and (
            entry.get("address") != registry_address(fed_by) or entry.get("username") != ECR_USERNAME
        ):
            yield Problem(
                key,
                ("extraDockerAccounts", index, "passwordFile"),
                password_file,
                f"holds the ECR token of registry {fed_by.name}: an account reading it must have address "
                f"{registry_address(fed_by)} and username AWS (clouddriver sends the password to the address)",
            )


def _region_problems(region: Any) -> Iterator[Problem]:
    if region is None:
        return
    problem = region_problem(region) if isinstance(region, str) and region else "is not an AWS region"
    if problem:
        yield Problem("aws:region", (), region, problem)


def parse_settings(
    config: Mapping[str, Any], *, project: str, stack: str, region: Any = None, other_keys: tuple[str, ...] = ()
) -> Settings:
    """Turn this stack's `spinnaker-ecr:*` values (keys without the namespace, JSON already decoded) into Settings,
    or raise SettingsError listing every problem. `region` is `aws:region`; `other_keys` the stack's keys of other
    namespaces (a mistyped namespace is named)."""
    problems: list[Problem] = []
    for unknown in sorted(set(config) - set(_SECTIONS)):
        if unknown in _MOVED:
            accepted = f"has {_MOVED[unknown]}"
        else:
            accepted = f"is not a known key (known: {', '.join(_SECTIONS)}){did_you_mean(unknown, _SECTIONS)}"
        problems.append(Problem(f"{PROJECT}:{unknown}", (), config[unknown], accepted))
    problems.extend(_namespace_problems(other_keys))
    parsed = _sections(config, problems)
    problems.extend(_region_problems(region))
    access, refresh = parsed.get("access"), parsed.get("token_refresh")
    registries, spinnaker = parsed.get("registries"), parsed.get("spinnaker")
    problems.extend(_access_problems(config.get("access")))
    if access is not None and refresh is not None:
        problems.extend(_image_problems(access, refresh))
        problems.extend(_generator_auth_problems(access, refresh))
    valid_registries = _valid_registries(config.get("registries"))
    if valid_registries:
        problems.extend(
            _registry_problems(valid_registries, region if access is None or access.rules.uses_aws else None)
        )
    if spinnaker is not None:
        problems.extend(_spinnaker_problems(spinnaker))
        if registries and refresh is not None:
            problems.extend(_extra_account_problems(spinnaker, registries, refresh))
    if problems:
        raise SettingsError(problems)
    return Settings(project=project, stack=stack, **parsed)


def _namespace_problems(other_keys: tuple[str, ...]) -> Iterator[Problem]:
    for full_key in other_keys:
        namespace, _, name = full_key.partition(":")
        if namespace in OTHER_NAMESPACES or namespace == PROJECT:
            continue
        hint = did_you_mean(namespace, (PROJECT, *OTHER_NAMESPACES))
        if hint:
            yield Problem(full_key, (), MISSING, f"is not a key of any namespace this stack uses{hint[:-1]}:{name}?")


def _stack_config() -> dict[str, Any]:
    """Every config value of this stack, JSON-decoded where Pulumi passed an object."""
    raw = {**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    values: dict[str, Any] = {}
    for full_key, text in raw.items():
        try:
            values[full_key] = json.loads(text) if isinstance(text, str) else text
        except json.JSONDecodeError:
            values[full_key] = text
    return values


def load_settings() -> Settings:
    """This stack's settings, read through pulumi.Config's namespace."""
    namespace = pulumi.Config().name
    values = _stack_config()
    ours = {key.partition(":")[2]: v for key, v in values.items() if key.partition(":")[0] == namespace}
    region = pulumi.runtime.config.CONFIG.get().get("aws:region") or pulumi.runtime.config.get_config_env().get(
        "aws:region"
    )
    return parse_settings(
        ours,
        project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        region=region,
        other_keys=tuple(sorted(key for key in values if key.partition(":")[0] != namespace)),
    )
