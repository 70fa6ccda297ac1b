"""The rules the policy pack enforces, as plain functions: resource type and inputs in, violation messages out.

No Pulumi imports, so tests call them directly. The pack runs on its own (its own virtualenv, started from policy/),
so it does not import the program: it checks what the program registers, independently of how it was built.

Inputs arrive with the engine's camelCase names. During a preview they are wrapped in pulumi_policy's
unknown-checking proxies, which are `Mapping`/`Sequence` but not `dict`/`list`: test for the abstract types, and
read only the fields a rule needs (reading an unknown value raises, and the pack reports that it could not check).
Test a key with `_has`: the proxy's `in` reads the value.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import yaml

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ROLE_POLICY_ATTACHMENTS_EXCLUSIVE = "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
# Every pulumi-aws 7 type that attaches a managed policy or keeps an inline one, by the input that names it.
ATTACHMENTS_BY_POLICY_ARN = (
    ROLE_POLICY_ATTACHMENT,
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    POLICY_ATTACHMENT,
)
ATTACHMENTS_BY_POLICY_ARNS = (
    ROLE_POLICY_ATTACHMENTS_EXCLUSIVE,
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
)
INLINE_POLICIES = (ROLE_POLICY, "aws:iam/userPolicy:UserPolicy", "aws:iam/groupPolicy:GroupPolicy")
INLINE_POLICIES_KEPT_BY_NAME = (
    "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive",
    "aws:iam/userPoliciesExclusive:UserPoliciesExclusive",
    "aws:iam/groupPoliciesExclusive:GroupPoliciesExclusive",
)
POD_IDENTITY_ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SERVICE_ACCOUNT_TYPES = ("kubernetes:core/v1:ServiceAccount", "kubernetes:core/v1:ServiceAccountPatch")
_SPINNAKER_SERVICE = re.compile(r"^kubernetes:spinnaker(\.armory)?\.io/[^:]+:SpinnakerService(Patch)?$")
_EXTERNAL_SECRET = re.compile(r"^kubernetes:external-secrets\.io/[^:]+:ExternalSecret$")

# Partition-aware: aws, aws-cn, aws-us-gov, and the isolated ones.
_ECR_READ_ONLY_ARN = re.compile(r"^arn:aws(-[a-z]+)*:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly$")
POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"
POD_IDENTITY_ACTIONS = frozenset({"sts:AssumeRole", "sts:TagSession"})
WEB_IDENTITY_ACTION = "sts:AssumeRoleWithWebIdentity"
IRSA_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
TOKEN_REFRESH_SIDECAR = "token-refresh"
# Sidecar keys that put a sidecar in clouddriver's pods: `clouddriver` matches every HA clouddriver-* service.
CLOUDDRIVER_SIDECAR_KEYS = ("spin-clouddriver", "clouddriver")
# service-settings entries of clouddriver's pods: in HA mode each clouddriver-* service has its own.
CLOUDDRIVER_SERVICES = ("clouddriver", "clouddriver-caching", "clouddriver-rw", "clouddriver-ro", "clouddriver-ro-deck")
LEGACY_IMAGE_REPOSITORY = "skuid/ecr-token-refresh"
TOKEN_LIFETIME = timedelta(hours=12)
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class Resource:
    """One resource of the stack, as a stack policy sees it."""

    type: str
    props: Mapping[str, Any]
    urn: str = ""
    name: str = ""


@dataclass(frozen=True)
class Violation:
    message: str
    urn: str = ""


# --- small readers ------------------------------------------------------------------------------------------


def _has(value: Any, key: str) -> bool:
    """`key in value` for a mapping, without reading the value (the unknown-checking proxy's `in` reads it)."""
    return isinstance(value, Mapping) and key in set(value)


def _get(value: Any, *path: str) -> Any:
    """`value[path[0]][path[1]]...`, or None where a level is missing or not a mapping."""
    for key in path:
        if not _has(value, key):
            return None
        value = value[key]
    return value


def _items(value: Any) -> list[Any]:
    """A JSON-policy field that may be one value or a list of them, as a list."""
    if value is None:
        return []
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return [value]


def _mappings(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in _items(value) if isinstance(item, Mapping)]


def _has_wildcard(value: Any) -> bool:
    if isinstance(value, str):
        return "*" in value or "?" in value
    if isinstance(value, Mapping):
        return any(_has_wildcard(k) or _has_wildcard(v) for k, v in value.items())
    if isinstance(value, Sequence):
        return any(_has_wildcard(v) for v in value)
    return False


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else json.dumps(_plain(value))


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_plain(v) for v in value]
    return value


# --- IAM: the only managed policy is ECR read-only ------------------------------------------------------------


def ecr_read_only_only(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """The only managed policy this program attaches, to a role, user or group, is
    AmazonEC2ContainerRegistryReadOnly; it keeps no inline policy on any of them."""
    arns: list[tuple[str, Any]] = []
    if resource_type in ATTACHMENTS_BY_POLICY_ARN:
        arns.append(("policyArn", props.get("policyArn")))
    elif resource_type in ATTACHMENTS_BY_POLICY_ARNS:
        arns += [(f"policyArns[{i}]", arn) for i, arn in enumerate(_items(props.get("policyArns")))]
    elif resource_type == ROLE:
        arns += [(f"managedPolicyArns[{i}]", arn) for i, arn in enumerate(_items(props.get("managedPolicyArns")))]
    problems = [
        f"{key}: {_show(arn)} is not arn:<partition>:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly, "
        "the only managed policy this program may attach"
        for key, arn in arns
        if not (isinstance(arn, str) and _ECR_READ_ONLY_ARN.match(arn))
    ]
    inline = "this program grants through AmazonEC2ContainerRegistryReadOnly only, never an inline policy"
    if resource_type in INLINE_POLICIES:
        problems.append(f"{resource_type.rsplit(':', 1)[1]} {_show(props.get('name'))}: {inline}")
    if resource_type in INLINE_POLICIES_KEPT_BY_NAME:
        # An empty list makes the provider remove every inline policy: that grants nothing.
        for i, name in enumerate(_items(props.get("policyNames"))):
            problems.append(f"policyNames[{i}] {_show(name)}: keeps an inline policy; {inline}")
    if resource_type == ROLE:
        for i, inline in enumerate(_mappings(props.get("inlinePolicies"))):
            # An entry with an empty policy is the provider's way to remove inline policies; it grants nothing.
            if inline.get("policy"):
                problems.append(
                    f"inlinePolicies[{i}] {_show(inline.get('name'))}: the ECR pull role carries no inline policy"
                )
    return problems


# --- IAM: trust policies ---------------------------------------------------------------------------------------


def _trust_statements(props: Mapping[str, Any]) -> list[tuple[int, Mapping[str, Any]]]:
    """The Allow statements of a role's trust policy (a JSON string or an object), with their index."""
    document = props.get("assumeRolePolicy")
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            return []
    statements = _mappings(_get(document, "Statement"))
    return [(i, s) for i, s in enumerate(statements) if s.get("Effect") == "Allow"]


def _is_web_identity(statement: Mapping[str, Any]) -> bool:
    principal = statement.get("Principal")
    return _has(principal, "Federated") or WEB_IDENTITY_ACTION in _items(statement.get("Action"))


def _trust_document_problem(props: Mapping[str, Any]) -> str | None:
    document = props.get("assumeRolePolicy")
    if isinstance(document, str):
        try:
            json.loads(document)
        except json.JSONDecodeError:
            return f"assumeRolePolicy: {_show(document)} is not JSON"
    return None


def irsa_trust_scoped(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """An IRSA trust: one OIDC provider, StringEquals on both `<issuer>:sub` and `<issuer>:aud`, a single
    service account, no wildcard."""
    if resource_type != ROLE:
        return []
    if problem := _trust_document_problem(props):
        return [problem]
    problems: list[str] = []
    subjects: set[str] = set()
    for index, statement in _trust_statements(props):
        if not _is_web_identity(statement):
            continue
        where = f"assumeRolePolicy Statement[{index}]"
        problems += _web_identity_statement_problems(where, statement, subjects)
    if len(subjects) > 1:
        problems.append(
            f"assumeRolePolicy: trusts {len(subjects)} service accounts ({', '.join(sorted(subjects))}): "
            "IRSA trusts exactly one"
        )
    return problems


def _web_identity_statement_problems(where: str, statement: Mapping[str, Any], subjects: set[str]) -> list[str]:
    problems: list[str] = []
    for key in ("NotPrincipal", "NotAction"):
        if _has(statement, key):
            problems.append(f"{where}: {key} is not allowed in an IRSA trust")
    principal = statement.get("Principal")
    providers = _items(_get(principal, "Federated"))
    if not isinstance(principal, Mapping) or set(principal) != {"Federated"} or len(providers) != 1:
        return [*problems, f"{where}.Principal: {_show(principal)} is not a single Federated OIDC provider"]
    provider = providers[0]
    if not isinstance(provider, str) or ":oidc-provider/" not in provider:
        return [*problems, f"{where}.Principal.Federated: {_show(provider)} is not an IAM OIDC provider ARN"]
    actions = _items(statement.get("Action"))
    if actions != [WEB_IDENTITY_ACTION]:
        problems.append(f"{where}.Action: {_show(statement.get('Action'))} is not only {WEB_IDENTITY_ACTION}")
    if _has_wildcard(statement.get("Principal")) or _has_wildcard(statement.get("Condition")):
        problems.append(f"{where}: has a wildcard ('*' or '?'); an IRSA trust names its service account exactly")
    issuer = provider.split(":oidc-provider/", 1)[1]
    condition = statement.get("Condition")
    for operator, keys in condition.items() if isinstance(condition, Mapping) else ():
        for key in keys if isinstance(keys, Mapping) else ():
            if key.endswith((":sub", ":aud")) and operator != "StringEquals":
                problems.append(f"{where}.Condition.{operator}.{key}: use StringEquals, not {operator}")
    equals = _get(condition, "StringEquals")
    for claim, accepted in (("sub", "system:serviceaccount:<namespace>:<name>"), ("aud", "an audience")):
        values = _items(_get(equals, f"{issuer}:{claim}"))
        if len(values) != 1 or not isinstance(values[0], str) or not values[0]:
            problems.append(
                f"{where}.Condition.StringEquals: needs '{issuer}:{claim}' equal to one {accepted} "
                f"(the keys must carry the provider's issuer), found {_show(values)}"
            )
        elif claim == "sub":
            if not re.match(r"^system:serviceaccount:[^:]+:[^:]+$", values[0]):
                problems.append(f"{where}: subject {_show(values[0])} is not system:serviceaccount:<ns>:<name>")
            subjects.add(values[0])
    return problems


def pod_identity_trust_only(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """Every trust statement that is not IRSA is the Pod Identity one: principal pods.eks.amazonaws.com only,
    actions sts:AssumeRole and sts:TagSession only."""
    if resource_type != ROLE:
        return []
    if problem := _trust_document_problem(props):
        return [problem]
    problems: list[str] = []
    for index, statement in _trust_statements(props):
        if _is_web_identity(statement):
            continue
        where = f"assumeRolePolicy Statement[{index}]"
        for key in ("NotPrincipal", "NotAction"):
            if _has(statement, key):
                problems.append(f"{where}: {key} is not allowed in a Pod Identity trust")
        principal = statement.get("Principal")
        if (
            not isinstance(principal, Mapping)
            or set(principal) != {"Service"}
            or (_items(principal.get("Service")) != [POD_IDENTITY_PRINCIPAL])
        ):
            problems.append(
                f"{where}.Principal: {_show(principal)} is not only {{'Service': '{POD_IDENTITY_PRINCIPAL}'}}; "
                "this program's roles trust an IRSA OIDC provider or EKS Pod Identity, nothing else"
            )
        actions = _items(statement.get("Action"))
        if not actions or not set(actions) <= POD_IDENTITY_ACTIONS:
            problems.append(
                f"{where}.Action: {_show(statement.get('Action'))} is not within {sorted(POD_IDENTITY_ACTIONS)}"
            )
    return problems


# --- the SpinnakerService patch ----------------------------------------------------------------------------------


def is_spinnaker_service(resource_type: str) -> bool:
    return bool(_SPINNAKER_SERVICE.match(resource_type))


def _sidecars(
    props: Mapping[str, Any], services: Iterable[str] | None = None
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(`sidecars.<key>[i]`, sidecar) for every sidecar in the patch, or only those under the keys `services`."""
    by_service = _get(props, "spec", "spinnakerConfig", "config", "deploymentEnvironment", "sidecars")
    if not isinstance(by_service, Mapping):
        return
    for service in by_service:
        if services is not None and service not in services:
            continue
        for index, sidecar in enumerate(_items(by_service[service])):
            if isinstance(sidecar, Mapping):
                yield f"sidecars.{service}[{index}]", sidecar


def token_refresh_sidecars(
    props: Mapping[str, Any], services: Iterable[str] | None = None
) -> list[tuple[str, Mapping[str, Any]]]:
    return [(where, s) for where, s in _sidecars(props, services) if s.get("name") == TOKEN_REFRESH_SIDECAR]


def _volume_mount_paths(props: Mapping[str, Any]) -> list[str]:
    settings = _get(props, "spec", "spinnakerConfig", "service-settings")
    paths = []
    for service in CLOUDDRIVER_SERVICES:
        volumes = _mappings(_get(settings, service, "kubernetes", "volumes"))
        paths += [v["mountPath"] for v in volumes if isinstance(v.get("mountPath"), str)]
    return paths


def _lies_under(path: str, directory: str) -> bool:
    directory = posixpath.normpath(directory)
    return posixpath.normpath(path).startswith(directory.rstrip("/") + "/")


def password_files_under_mount(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """Every clouddriver account's passwordFile lies under the mountPath of clouddriver's token-refresh sidecar (the
    emptyDir it shares with clouddriver) or of a clouddriver volume; none sits in config.providers."""
    if not is_spinnaker_service(resource_type):
        return []
    sidecars = token_refresh_sidecars(props, CLOUDDRIVER_SIDECAR_KEYS)
    mounts = [s["mountPath"] for _, s in sidecars if isinstance(s.get("mountPath"), str)]
    mounts += _volume_mount_paths(props)
    problems: list[str] = []
    accounts = _get(props, "spec", "spinnakerConfig", "profiles", "clouddriver", "dockerRegistry", "accounts")
    for index, account in enumerate(_mappings(accounts)):
        if not _has(account, "passwordFile"):
            continue
        path = account["passwordFile"]
        where = f"profiles.clouddriver.dockerRegistry.accounts[{index}] {_show(account.get('name'))}"
        if not isinstance(path, str) or not path.startswith("/"):
            problems.append(f"{where}: passwordFile {_show(path)} is not an absolute path")
        elif not any(_lies_under(path, mount) for mount in mounts):
            found = ", ".join(mounts) if mounts else "none"
            problems.append(
                f"{where}: passwordFile {path} is not under the token-refresh sidecar's mountPath or a clouddriver "
                f"volume's mountPath (mounted: {found}); clouddriver would read a file nothing writes"
            )
    legacy = _get(props, "spec", "spinnakerConfig", "config", "providers", "dockerRegistry", "accounts")
    for index, account in enumerate(_mappings(legacy)):
        if _has(account, "passwordFile"):
            problems.append(
                f"config.providers.dockerRegistry.accounts[{index}] {_show(account.get('name'))}: passwordFile "
                "here is copied once into a Secret by Halyard and never refreshed; put the account in "
                "profiles.clouddriver"
            )
    return problems


def is_legacy_image(image: str) -> bool:
    """quay.io/skuid/ecr-token-refresh with any tag or digest."""
    name = image.split("@", 1)[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    return name == LEGACY_IMAGE_REPOSITORY or name.endswith("/" + LEGACY_IMAGE_REPOSITORY)


def token_refresh_image_pinned(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """The token-refresh sidecar image is pinned by digest, so every pod runs the image that was reviewed.
    Methods without a token-refresh sidecar have nothing to check."""
    if not is_spinnaker_service(resource_type):
        return []
    problems = []
    for where, sidecar in token_refresh_sidecars(props):
        image = sidecar.get("dockerImage")
        if not (isinstance(image, str) and _DIGEST.search(image)):
            problems.append(
                f"{where}.dockerImage: {_show(image)} is not pinned by digest (<image>@sha256:<64 hex>); "
                "a tag can move under a running clouddriver"
            )
    return problems


# --- refresh interval ------------------------------------------------------------------------------------------

_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
# [0-9], not \d: Go reads ASCII digits only, while Python's \d and float() accept any script's digits.
_GO_TERM = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)")


def parse_go_duration(text: str) -> timedelta:
    """Go `time.ParseDuration` (the sidecars) and metav1.Duration (External Secrets) syntax: `30m`, `1h30m`, `0`."""
    sign = -1 if text.startswith("-") else 1
    body = text[1:] if text[:1] in "+-" else text
    if body == "0":
        return timedelta(0)
    seconds, position = 0.0, 0
    for match in _GO_TERM.finditer(body):
        if match.start() != position:
            break
        seconds += float(match.group(1)) * _GO_UNITS[match.group(2)]
        position = match.end()
    if not body or position != len(body):
        raise ValueError(f"{text!r} is not a Go duration")
    return timedelta(seconds=sign * seconds)


def _interval_problem(where: str, value: Any) -> str | None:
    accepted = "a Go duration above 0 and under 12h, the ECR token lifetime (e.g. 30m)"
    if value is None:
        return f"{where}: is missing; use {accepted}"
    if not isinstance(value, str):
        return f"{where}: {_show(value)} is not {accepted}"
    try:
        duration = parse_go_duration(value)
    except ValueError:
        return f"{where}: {_show(value)} is not {accepted}"
    if not timedelta(0) < duration < TOKEN_LIFETIME:
        return f"{where}: {value} is not {accepted}: tokens would expire before the next refresh"
    return None


def refresh_interval_under_token_lifetime(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """The token-refresh ConfigMap's `config.yaml` interval, or an ExternalSecret's refreshInterval, is under 12h."""
    if resource_type == CONFIG_MAP:
        text = _get(props, "data", "config.yaml")
        if not isinstance(text, str):
            return []
        try:
            config = yaml.safe_load(text)
        except yaml.YAMLError:
            return []
        # Only the token-refresh config lists registries; other ConfigMaps are not ours to judge.
        if not isinstance(config, Mapping) or "registries" not in config:
            return []
        problem = _interval_problem("data.config.yaml interval", config.get("interval"))
        return [problem] if problem else []
    if _EXTERNAL_SECRET.match(resource_type):
        spec = props.get("spec")
        # The operator's default refreshInterval is 1h.
        if not _has(spec, "refreshInterval"):
            return []
        problem = _interval_problem("spec.refreshInterval", spec["refreshInterval"])
        return [problem] if problem else []
    return []


# --- whole stack: the legacy image only with the node role ---------------------------------------------------------


def _workload_identity(resource: Resource) -> str | None:
    """What makes this resource part of an IRSA or Pod Identity setup, or None."""
    if resource.type == POD_IDENTITY_ASSOCIATION:
        return f"Pod Identity association {resource.name or resource.urn}"
    # The key alone says IRSA: on a first preview the role ARN it holds is not known yet.
    annotations = _get(resource.props, "metadata", "annotations")
    if resource.type in SERVICE_ACCOUNT_TYPES and _has(annotations, IRSA_ROLE_ANNOTATION):
        return f"IRSA service account annotation on {resource.name or resource.urn}"
    if resource.type == ROLE:
        for _, statement in _trust_statements(resource.props):
            if _is_web_identity(statement):
                return f"IRSA trust of role {resource.name or resource.urn}"
            if POD_IDENTITY_PRINCIPAL in _items(_get(statement, "Principal", "Service")):
                return f"Pod Identity trust of role {resource.name or resource.urn}"
    return None


def no_legacy_image_with_workload_identity(resources: Iterable[Resource]) -> list[Violation]:
    """The legacy skuid image (aws-sdk-go 1.6, 2017) never runs where clouddriver gets its AWS identity from IRSA or
    Pod Identity: it cannot use either and silently falls back to the node role."""
    resources = list(resources)
    reasons = [reason for r in resources if (reason := _workload_identity(r))]
    if not reasons:
        return []
    violations = []
    for resource in resources:
        if not is_spinnaker_service(resource.type):
            continue
        for where, sidecar in _sidecars(resource.props):
            image = sidecar.get("dockerImage")
            if isinstance(image, str) and is_legacy_image(image):
                violations.append(
                    Violation(
                        f"{where}.dockerImage: {image} is the legacy skuid image, which has no web-identity or Pod "
                        f"Identity credentials and falls back to the node role, but this stack uses "
                        f"{'; '.join(reasons)}; use this project's sidecar image or access.mode node-role",
                        resource.urn,
                    )
                )
    return violations
