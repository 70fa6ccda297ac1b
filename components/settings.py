"""The only reader of stack configuration: typed, frozen settings, every default and every error message.

`parse_settings` is pure (a dict of config values in, `Settings` out) so it is unit-testable without Pulumi;
`load_settings` feeds it this stack's `spinnaker-ecr:*` configuration.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import pulumi
import pulumi.runtime.config

from components.duration import parse_go_duration
from components.labels import RESERVED_TAG_KEYS
from components.model import (
    API_VERSIONS,
    DEFAULT_INTERVAL,
    TOKEN_REFRESH_SIDECAR_NAME,
    Access,
    ExternalSecrets,
    Registry,
    ServiceAccount,
    Settings,
    Spinnaker,
    TokenRefresh,
)
from components.partitions import partition_of

PROJECT = "spinnaker-ecr"

ACCESS_MODES = ("irsa", "pod-identity", "node-role")
TOKEN_REFRESH_METHODS = ("sidecar", "password-command", "external-secrets")
MIN_INTERVAL = timedelta(minutes=1)
TOKEN_LIFETIME = timedelta(hours=12)
LEGACY_IMAGE_REPOSITORY = "skuid/ecr-token-refresh"

# clouddriver rejects account names outside this pattern.
_ACCOUNT_NAME = re.compile(r"^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]+$")
_K8S_NAME = re.compile(r"^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_OIDC_PROVIDER_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:oidc-provider/[^\s*]+$")
_IAM_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_EKS_CLUSTER_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$")


class SettingsError(pulumi.RunError):
    """Every problem in the configuration, each naming the key, the value and what is accepted."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"invalid {PROJECT} configuration ({len(problems)} problem(s)):\n{lines}")


def is_legacy_image(image: str) -> bool:
    """True for quay.io/skuid/ecr-token-refresh (any tag or digest): aws-sdk-go 1.6, node role only."""
    name = image.split("@", 1)[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    return name == LEGACY_IMAGE_REPOSITORY or name.endswith("/" + LEGACY_IMAGE_REPOSITORY)


# --- reading -----------------------------------------------------------------------------------------------


class _Problems:
    """Collects every problem so the user sees them all at once."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, key: str, value: Any, accepted: str) -> None:
        self.items.append(f"{key}: {_show(value)} {accepted}")

    def missing(self, key: str, accepted: str) -> None:
        self.items.append(f"{key}: is required ({accepted})")


def _show(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else repr(value)


def _mapping(p: _Problems, key: str, value: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        p.add(key, value, "is not a mapping")
        return {}
    for unknown in sorted(set(value) - set(allowed)):
        p.add(f"{key}.{unknown}", value[unknown], f"is not a known key (known: {', '.join(allowed)})")
    return value


def _string(
    p: _Problems,
    key: str,
    value: Any,
    *,
    pattern: re.Pattern[str] | None = None,
    accepted: str = "a string",
    choices: tuple[str, ...] = (),
) -> str | None:
    if value is None:
        return None
    if choices and value not in choices:
        p.add(key, value, f"is not one of: {', '.join(choices)}")
        return None
    if not isinstance(value, str) or not value or (pattern is not None and not pattern.match(value)):
        p.add(key, value, f"is not {accepted}")
        return None
    return value


def _bool(p: _Problems, key: str, value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    p.add(key, value, "is not true or false")
    return default


def _list_of_mappings(p: _Problems, key: str, value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        p.add(key, value, "is not a list of mappings")
        return []
    return value


# --- clouddriver docker account options a registry may carry ---------------------------------------------


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _string_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) and v for v in value)


CLOUDDRIVER_ACCOUNT_OPTIONS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "environment": (lambda v: isinstance(v, str) and bool(v), "a string"),
    "accountType": (lambda v: isinstance(v, str) and bool(v), "a string"),
    "email": (lambda v: isinstance(v, str) and bool(v), "a string"),
    "cacheThreads": (_positive_int, "a positive integer"),
    "cacheIntervalSeconds": (_positive_int, "a positive integer"),
    "clientTimeoutMillis": (_positive_int, "a positive integer"),
    "paginateSize": (_positive_int, "a positive integer"),
    "trackDigests": (lambda v: isinstance(v, bool), "true or false"),
    "inspectDigests": (lambda v: isinstance(v, bool), "true or false"),
    "sortTagsByDate": (lambda v: isinstance(v, bool), "true or false"),
    "repositories": (_string_list, "a non-empty list of repository names"),
    "catalogFile": (lambda v: isinstance(v, str) and v.startswith("/"), "an absolute path"),
    "repositoriesRegex": (lambda v: isinstance(v, str) and bool(v), "a regular expression"),
    "permissions": (lambda v: isinstance(v, dict), "a mapping of READ/WRITE to role lists"),
}
# Set by this program from the registry and the refresh method; a user value would contradict it.
_DERIVED_ACCOUNT_FIELDS = ("address", "username", "password", "passwordFile", "passwordCommand", "dockerconfigFile")
_REGISTRY_KEYS = ("name", "accountId", "region", *CLOUDDRIVER_ACCOUNT_OPTIONS)


def _registry(p: _Problems, key: str, raw: dict[str, Any]) -> Registry | None:
    for derived in _DERIVED_ACCOUNT_FIELDS:
        if derived in raw:
            p.add(f"{key}.{derived}", raw[derived], "is set by this program from the registry; remove it")
    known = {k: v for k, v in raw.items() if k not in _DERIVED_ACCOUNT_FIELDS}
    _mapping(p, key, known, _REGISTRY_KEYS)
    name = _string(p, f"{key}.name", raw.get("name"), pattern=_ACCOUNT_NAME, accepted=_NAME_ACCEPTED)
    account_id = raw.get("accountId")
    if isinstance(account_id, bool):
        p.add(f"{key}.accountId", account_id, 'is not a 12-digit AWS account id (a quoted string, e.g. "012345678901")')
        account_id = None
    elif isinstance(account_id, int):
        p.add(f"{key}.accountId", account_id, 'is a number: quote it as a 12-digit string, e.g. "012345678901"')
        account_id = None
    else:
        account_id = _string(
            p, f"{key}.accountId", account_id, pattern=_ACCOUNT_ID, accepted="a 12-digit AWS account id"
        )
    region = _string(p, f"{key}.region", raw.get("region"), pattern=_REGION, accepted=_REGION_ACCEPTED)
    for required in ("name", "accountId", "region"):
        if raw.get(required) is None:
            p.missing(f"{key}.{required}", "every registry needs name, accountId and region")
    options = {k: v for k, v in raw.items() if k in CLOUDDRIVER_ACCOUNT_OPTIONS}
    for option, value in options.items():
        valid, accepted = CLOUDDRIVER_ACCOUNT_OPTIONS[option]
        if not valid(value):
            p.add(f"{key}.{option}", value, f"is not {accepted}")
    if "repositories" in options and "catalogFile" in options:
        p.add(f"{key}.catalogFile", options["catalogFile"], "cannot be combined with repositories")
    if name is None or account_id is None or region is None:
        return None
    return Registry(name=name, account_id=account_id, region=region, clouddriver_options=options)


_NAME_ACCEPTED = "a clouddriver account name (lower-case letters, digits and '-', starting and ending alphanumeric)"
_REGION_ACCEPTED = "an AWS region in the aws, aws-cn or aws-us-gov partition, e.g. us-east-1, cn-north-1, us-gov-west-1"


def _registries(p: _Problems, value: Any, extra_accounts: tuple[Mapping[str, Any], ...]) -> tuple[Registry, ...]:
    key = f"{PROJECT}:registries"
    if value is None:
        p.missing(key, "a non-empty list of {name, accountId, region}")
        return ()
    if value == []:
        p.add(key, value, "is empty: list at least one registry")
        return ()
    registries: list[tuple[int, Registry]] = []
    for index, raw in enumerate(_list_of_mappings(p, key, value)):
        registry = _registry(p, f"{key}[{index}]", raw)
        if registry is not None:
            registries.append((index, registry))
    seen: set[str] = set()
    for index, registry in registries:
        if registry.name in seen:
            p.add(f"{key}[{index}].name", registry.name, "is a duplicate: registry names must be unique")
        seen.add(registry.name)
    _check_one_partition(p, key, registries)
    for index, account in enumerate(extra_accounts):
        if account.get("name") in seen:
            p.add(
                f"{PROJECT}:spinnaker.extraDockerAccounts[{index}].name",
                account.get("name"),
                "is also a registry name: clouddriver account names must be unique",
            )
    return tuple(registry for _, registry in registries)


def _check_one_partition(p: _Problems, key: str, registries: list[tuple[int, Registry]]) -> None:
    """One role lives in one partition and cannot read registries in another."""
    if not registries:
        return
    first = partition_of(registries[0][1].region)
    for index, registry in registries:
        if partition_of(registry.region) != first:
            p.add(
                f"{key}[{index}].region",
                registry.region,
                f"is in partition {partition_of(registry.region)}, but registries[{registries[0][0]}] is in {first}: "
                "one stack's registries must share a partition",
            )


# --- the config objects ---------------------------------------------------------------------------------------


def _access(p: _Problems, value: Any) -> Access:
    key = f"{PROJECT}:access"
    raw = _mapping(
        p,
        key,
        value,
        ("mode", "clusterName", "oidcProviderArn", "audience", "nodeRoleName", "serviceAccount"),
    )
    mode = _string(p, f"{key}.mode", raw.get("mode"), choices=ACCESS_MODES)
    if raw.get("mode") is None:
        p.missing(f"{key}.mode", f"one of: {', '.join(ACCESS_MODES)}")
    cluster = _string(
        p, f"{key}.clusterName", raw.get("clusterName"), pattern=_EKS_CLUSTER_NAME, accepted="an EKS cluster name"
    )
    provider = _string(
        p,
        f"{key}.oidcProviderArn",
        raw.get("oidcProviderArn"),
        pattern=_OIDC_PROVIDER_ARN,
        accepted="an IAM OIDC provider ARN (arn:<partition>:iam::<account>:oidc-provider/<issuer>)",
    )
    audience = _string(p, f"{key}.audience", raw.get("audience"), accepted="a non-empty string") or Access.audience
    node_role = _string(
        p, f"{key}.nodeRoleName", raw.get("nodeRoleName"), pattern=_IAM_ROLE_NAME, accepted="an IAM role name"
    )
    service_account = _service_account(p, f"{key}.serviceAccount", raw.get("serviceAccount"), mode)
    _check_mode_keys(p, key, mode, raw)
    return Access(
        mode=mode or "",
        cluster_name=cluster,
        oidc_provider_arn=provider,
        audience=audience,
        node_role_name=node_role,
        service_account=service_account,
    )


def _check_mode_keys(p: _Problems, key: str, mode: str | None, raw: dict[str, Any]) -> None:
    """Each mode needs its own keys, and a key of another mode is a sign of a mistake."""
    needs = {
        "irsa": "clusterName or oidcProviderArn",
        "pod-identity": "clusterName",
        "node-role": "nodeRoleName",
    }
    belongs = {
        "clusterName": ("irsa", "pod-identity"),
        "oidcProviderArn": ("irsa",),
        "audience": ("irsa",),
        "nodeRoleName": ("node-role",),
        "serviceAccount": ("irsa", "pod-identity"),
    }
    if mode is None:
        return
    if mode == "irsa" and raw.get("clusterName") is None and raw.get("oidcProviderArn") is None:
        p.missing(f"{key}.oidcProviderArn", f"mode irsa needs {needs['irsa']}")
    if mode == "irsa" and raw.get("clusterName") is not None and raw.get("oidcProviderArn") is not None:
        p.add(f"{key}.clusterName", raw["clusterName"], "cannot be combined with oidcProviderArn: give one")
    if mode == "pod-identity" and raw.get("clusterName") is None:
        p.missing(f"{key}.clusterName", "mode pod-identity needs the EKS cluster for the association")
    if mode == "node-role" and raw.get("nodeRoleName") is None:
        p.missing(f"{key}.nodeRoleName", "mode node-role attaches the policy to the existing node instance role")
    for name, modes in belongs.items():
        if name in raw and mode not in modes:
            p.add(f"{key}.{name}", raw[name], f"only applies to mode {' or '.join(modes)}, not {mode}")


def _service_account(p: _Problems, key: str, value: Any, mode: str | None) -> ServiceAccount | None:
    raw = _mapping(p, key, value, ("name", "create"))
    if mode not in ("irsa", "pod-identity"):
        return None
    name = _string(p, f"{key}.name", raw.get("name"), pattern=_K8S_NAME, accepted="a Kubernetes name")
    if raw.get("name") is None:
        p.missing(f"{key}.name", f"mode {mode} needs the service account clouddriver runs as (or create: true)")
    create = _bool(p, f"{key}.create", raw.get("create"), default=False)
    return ServiceAccount(name=name, create=create) if name else None


def _spinnaker(p: _Problems, value: Any) -> Spinnaker:
    key = f"{PROJECT}:spinnaker"
    raw = _mapping(
        p,
        key,
        value,
        (
            "name",
            "namespace",
            "apiVersion",
            "clouddriverHA",
            "patchForce",
            "extraSidecars",
            "extraDockerAccounts",
            "extraVolumes",
        ),
    )
    defaults = Spinnaker()
    k8s_name = "a Kubernetes name (lower-case letters, digits and '-')"
    extra_sidecars = tuple(_list_of_mappings(p, f"{key}.extraSidecars", raw.get("extraSidecars")))
    extra_accounts = tuple(_list_of_mappings(p, f"{key}.extraDockerAccounts", raw.get("extraDockerAccounts")))
    _check_named(p, f"{key}.extraSidecars", extra_sidecars, reserved=TOKEN_REFRESH_SIDECAR_NAME)
    _check_named(p, f"{key}.extraDockerAccounts", extra_accounts, reserved=None)
    extra_volumes = tuple(_list_of_mappings(p, f"{key}.extraVolumes", raw.get("extraVolumes")))
    _check_named(p, f"{key}.extraVolumes", extra_volumes, reserved=None, field="id")
    return Spinnaker(
        name=_string(p, f"{key}.name", raw.get("name"), pattern=_K8S_NAME, accepted=k8s_name) or defaults.name,
        namespace=_string(p, f"{key}.namespace", raw.get("namespace"), pattern=_K8S_NAME, accepted=k8s_name)
        or defaults.namespace,
        api_version=_string(p, f"{key}.apiVersion", raw.get("apiVersion"), choices=API_VERSIONS)
        or defaults.api_version,
        clouddriver_ha=_bool(p, f"{key}.clouddriverHA", raw.get("clouddriverHA"), defaults.clouddriver_ha),
        patch_force=_bool(p, f"{key}.patchForce", raw.get("patchForce"), defaults.patch_force),
        extra_sidecars=extra_sidecars,
        extra_docker_accounts=extra_accounts,
        extra_volumes=extra_volumes,
    )


def _check_named(
    p: _Problems, key: str, items: tuple[Mapping[str, Any], ...], reserved: str | None, field: str = "name"
) -> None:
    """Entries passed through verbatim still need a unique name (volumes: id), or Halyard rejects the list."""
    seen: set[Any] = set()
    for index, item in enumerate(items):
        name = item.get(field)
        if not isinstance(name, str) or not name:
            p.add(f"{key}[{index}].{field}", name, "is not a non-empty string")
        elif name == reserved:
            p.add(f"{key}[{index}].{field}", name, "is the name of this program's own sidecar: rename it")
        elif name in seen:
            p.add(f"{key}[{index}].{field}", name, "is a duplicate")
        seen.add(name)


def _token_refresh(p: _Problems, value: Any, mode: str | None) -> TokenRefresh:
    key = f"{PROJECT}:tokenRefresh"
    raw = _mapping(p, key, value, ("method", "image", "interval"))
    method = _string(p, f"{key}.method", raw.get("method"), choices=TOKEN_REFRESH_METHODS) or "sidecar"
    for name in ("image", "interval"):
        if name in raw and method not in _METHOD_KEYS[name]:
            p.add(f"{key}.{name}", raw[name], f"only applies to method {' or '.join(_METHOD_KEYS[name])}, not {method}")
    image = None
    if method == "sidecar":
        image = _sidecar_image(p, f"{key}.image", raw.get("image"), mode)
    interval = _interval(p, f"{key}.interval", raw.get("interval", DEFAULT_INTERVAL))
    return TokenRefresh(image=image or "", interval=interval, method=method)


_METHOD_KEYS = {"image": ("sidecar",), "interval": ("sidecar", "external-secrets")}


def _sidecar_image(p: _Problems, key: str, value: Any, mode: str | None) -> str | None:
    image = _string(p, key, value, pattern=re.compile(r"^\S+$"), accepted="a container image reference")
    if value is None:
        p.missing(key, "the token-refresh sidecar image, ideally pinned by digest")
    if image is not None and is_legacy_image(image) and mode in ("irsa", "pod-identity"):
        p.add(
            key,
            image,
            f"cannot be used with access.mode {mode}: the legacy skuid image (aws-sdk-go 1.6, 2017) has no "
            "web-identity or Pod Identity credentials and silently falls back to the node role; use this "
            "project's sidecar image (sidecar/) or access.mode node-role",
        )
    return image


EXTERNAL_SECRET_API_VERSIONS = ("external-secrets.io/v1", "external-secrets.io/v1beta1")
GENERATOR_API_VERSIONS = ("generators.external-secrets.io/v1alpha1",)


def _external_secrets(p: _Problems, value: Any, method: str, mode: str | None) -> ExternalSecrets | None:
    key = f"{PROJECT}:externalSecrets"
    if value is not None and method != "external-secrets":
        p.add(key, value, f"only applies to tokenRefresh.method external-secrets, not {method}")
        return None
    if method != "external-secrets":
        return None
    raw = _mapping(p, key, value, ("apiVersion", "generatorApiVersion", "auth"))
    auth = raw.get("auth")
    if auth is not None:
        auth = _generator_auth(p, f"{key}.auth", auth)
    if auth is None and mode in ("node-role", "pod-identity"):
        p.missing(
            f"{key}.auth",
            f"with access.mode {mode} the ECRAuthorizationToken generator runs in the External Secrets controller, "
            "not in clouddriver's pod, so it cannot use that role: give it credentials of its own "
            "(spec.auth: jwt.serviceAccountRef of an IRSA service account, or secretRef), or use access.mode irsa",
        )
    defaults = ExternalSecrets()
    return ExternalSecrets(
        api_version=_string(p, f"{key}.apiVersion", raw.get("apiVersion"), choices=EXTERNAL_SECRET_API_VERSIONS)
        or defaults.api_version,
        generator_api_version=_string(
            p, f"{key}.generatorApiVersion", raw.get("generatorApiVersion"), choices=GENERATOR_API_VERSIONS
        )
        or defaults.generator_api_version,
        auth=auth,
    )


_GENERATOR_AUTH_KINDS = ("jwt", "secretRef")


def _generator_auth(p: _Problems, key: str, value: Any) -> dict[str, Any] | None:
    """The generator's spec.auth, passed through verbatim: exactly one of its two forms."""
    accepted = "a mapping with exactly one of jwt (an IRSA serviceAccountRef) or secretRef (static keys)"
    if not isinstance(value, dict):
        p.add(key, value, f"is not {accepted}")
        return None
    _mapping(p, key, value, _GENERATOR_AUTH_KINDS)
    kinds = [kind for kind in _GENERATOR_AUTH_KINDS if kind in value]
    if len(kinds) != 1 or not isinstance(value[kinds[0]], dict):
        p.add(key, value, f"is not {accepted}")
        return None
    return value


def _interval(p: _Problems, key: str, value: Any) -> str:
    accepted = "a Go duration from 1m up to (not including) 12h, the ECR token lifetime, e.g. 30m or 1h30m"
    if not isinstance(value, str):
        p.add(key, value, f"is not {accepted}")
        return DEFAULT_INTERVAL
    try:
        duration = parse_go_duration(value)
    except ValueError:
        p.add(key, value, f"is not {accepted}")
        return DEFAULT_INTERVAL
    if not MIN_INTERVAL <= duration < TOKEN_LIFETIME:
        p.add(key, value, f"is out of range: use {accepted}")
    return value


def _tags(p: _Problems, value: Any) -> dict[str, str]:
    key = f"{PROJECT}:tags"
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        p.add(key, value, "is not a mapping of tag names to string values")
        return {}
    for name in value:
        if name in RESERVED_TAG_KEYS or name.lower().startswith("aws:"):
            p.add(
                f"{key}.{name}",
                value[name],
                f"is a reserved tag: {', '.join(RESERVED_TAG_KEYS)} are set by this program and aws: by AWS",
            )
    return dict(value)


TOP_LEVEL_KEYS = ("access", "spinnaker", "tokenRefresh", "externalSecrets", "registries", "tags")


def parse_settings(config: Mapping[str, Any], *, project: str, stack: str) -> Settings:
    """Turn this stack's `spinnaker-ecr:*` values (keys without the namespace, JSON already decoded)
    into Settings, or raise SettingsError listing every problem."""
    p = _Problems()
    for unknown in sorted(set(config) - set(TOP_LEVEL_KEYS)):
        p.add(f"{PROJECT}:{unknown}", config[unknown], f"is not a known key (known: {', '.join(TOP_LEVEL_KEYS)})")
    spinnaker = _spinnaker(p, config.get("spinnaker"))
    access = _access(p, config.get("access"))
    token_refresh = _token_refresh(p, config.get("tokenRefresh"), access.mode or None)
    external_secrets = _external_secrets(p, config.get("externalSecrets"), token_refresh.method, access.mode or None)
    registries = _registries(p, config.get("registries"), spinnaker.extra_docker_accounts)
    tags = _tags(p, config.get("tags"))
    if p.items:
        raise SettingsError(p.items)
    return Settings(
        project=project,
        stack=stack,
        access=access,
        spinnaker=spinnaker,
        token_refresh=token_refresh,
        registries=registries,
        tags=tags,
        external_secrets=external_secrets,
    )


def _stack_config(namespace: str) -> dict[str, Any]:
    """Every `<namespace>:*` value of this stack, JSON-decoded where Pulumi stored an object."""
    raw = {**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    values: dict[str, Any] = {}
    for full_key, text in raw.items():
        prefix, _, key = full_key.partition(":")
        if prefix != namespace:
            continue
        try:
            values[key] = json.loads(text) if isinstance(text, str) else text
        except json.JSONDecodeError:
            values[key] = text
    return values


def load_settings() -> Settings:
    """This stack's settings, read through pulumi.Config's namespace."""
    namespace = pulumi.Config().name
    return parse_settings(_stack_config(namespace), project=pulumi.get_project(), stack=pulumi.get_stack())
