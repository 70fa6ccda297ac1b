"""The rules the policy pack enforces, as plain functions, and `POLICIES`, the table that names them and their levels.

No Pulumi imports: the pack (policies.py) and any tool that checks rendered resources run the same functions through
`evaluate_resource`/`evaluate_stack` (or `check` for everything at once), and tests call them directly. The pack runs on
its own (its own virtualenv, started from policy/), so it does not import the program: it checks what the program
registers, independently of how it was built.

- A resource rule takes (type, props) and returns violation messages; it sees a resource's inputs, before that
  resource's step. A stack rule takes (resources, config) and returns Violations; it sees every resource's outputs
  (during a preview, what the step would produce) and their dependencies.
- Props carry the engine's camelCase names. A value the engine does not know yet (during a preview) is `UNKNOWN`.
  The evaluators hand rules a read-only view on which reading an unknown value raises `UnknownValue`, while `in`
  reads nothing; a rule that reads one reports nothing, and the `*-checks-see-known-values` policies name the
  resource and the property path instead (advisory; mandatory with policy/config/production.json).
- No exception escapes: the evaluators turn any other exception into a violation of that policy saying it failed.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

import yaml
from ecr_token_refresh import contract
from ecr_token_refresh.duration import parse_go_duration

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
EXTERNAL_SECRET_TYPES = (
    "kubernetes:external-secrets.io/v1:ExternalSecret",
    "kubernetes:external-secrets.io/v1beta1:ExternalSecret",
)
ECR_TOKEN_GENERATOR = "kubernetes:generators.external-secrets.io/v1alpha1:ECRAuthorizationToken"
SPINNAKER_SERVICE_PATCHES = (
    "kubernetes:spinnaker.io/v1alpha2:SpinnakerServicePatch",
    "kubernetes:spinnaker.armory.io/v1alpha2:SpinnakerServicePatch",
)
# What the program registers, for every refresh method and access mode (tests/test_policy_resource_types.py runs the
# program under each and fails when the two differ), besides its components and what the engine adds.
ALLOWED_RESOURCE_TYPES = frozenset(
    {
        ROLE,
        ROLE_POLICY_ATTACHMENT,
        POD_IDENTITY_ASSOCIATION,
        CONFIG_MAP,
        *SERVICE_ACCOUNT_TYPES,
        *SPINNAKER_SERVICE_PATCHES,
        *EXTERNAL_SECRET_TYPES,
        ECR_TOKEN_GENERATOR,
    }
)
ENGINE_RESOURCE_TYPES = frozenset({"pulumi:pulumi:Stack", "pulumi:providers:aws", "pulumi:providers:kubernetes"})
COMPONENT_TYPE_PREFIX = "spinnaker-ecr:"
_SPINNAKER_SERVICE = re.compile(r"kubernetes:spinnaker(\.armory)?\.io/[^:]+:SpinnakerService(Patch)?")
_EXTERNAL_SECRET = re.compile(r"kubernetes:external-secrets\.io/[^:]+:ExternalSecret")

# Partition-aware: aws, aws-cn, aws-us-gov, and the isolated ones.
_ECR_READ_ONLY_ARN = re.compile(r"arn:aws(-[a-z]+)*:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly")
_ROLE_ARN = re.compile(r"arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/([\w+=,.@-]+/)*[\w+=,.@-]{1,64}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")
_REGISTRY_ID = re.compile(r"[0-9]{12}")
# The password-command method's own command, the only command that belongs in a docker account.
_ECR_LOGIN_COMMAND = re.compile(r"aws ecr get-login-password --region ([a-z]{2}(?:-[a-z]+)+-[0-9]+)")
_ECR_TOKEN_COMMANDS = ("get-login-password", "get-authorization-token")
POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"
POD_IDENTITY_ACTIONS = frozenset({"sts:AssumeRole", "sts:TagSession"})
WEB_IDENTITY_ACTION = "sts:AssumeRoleWithWebIdentity"
IRSA_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
TOKEN_REFRESH_SIDECAR = contract.CONTAINER_NAME
# Sidecar keys that put a sidecar in clouddriver's pods: `clouddriver` matches every HA clouddriver-* service.
CLOUDDRIVER_SIDECAR_KEYS = ("spin-clouddriver", "clouddriver")
# service-settings entries of clouddriver's pods: in HA mode each clouddriver-* service has its own.
CLOUDDRIVER_SERVICES = ("clouddriver", "clouddriver-caching", "clouddriver-rw", "clouddriver-ro", "clouddriver-ro-deck")
HOST_NAMESPACES = ("hostNetwork", "hostPID", "hostIPC")
LEGACY_IMAGE_REPOSITORY = "skuid/ecr-token-refresh"
TOKEN_LIFETIME_NANOSECONDS = contract.TOKEN_LIFETIME_NANOSECONDS
# The key of an ECRAuthorizationToken generator's Secret that holds the token.
GENERATOR_PASSWORD_KEY = "password"
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}\Z")

MANDATORY = "mandatory"
ADVISORY = "advisory"


# --- values unknown during a preview ---------------------------------------------------------------------------


class Unknown:
    """A value the engine does not know yet, during a preview (the pack's adapter puts it where the engine's sentinel
    was)."""

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = Unknown()
PathKey = str | int


class UnknownValue(Exception):
    """A rule read a value of `owner` that is not known during the preview."""

    def __init__(self, owner: str, path: tuple[PathKey, ...]) -> None:
        self.owner = owner
        self.path = path
        super().__init__(f"{owner}: {path_text(path)}")


def path_text(path: Iterable[PathKey]) -> str:
    """('spec', 'sidecars', 0, 'image') -> 'spec.sidecars[0].image'."""
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else f".{key}" if text else str(key)
    return text or "(the whole value)"


class _MappingView(Mapping[str, Any]):
    """Read-only props: reading an unknown value raises UnknownValue; `in` reads no value."""

    def __init__(self, target: Mapping[str, Any], owner: str, path: tuple[PathKey, ...]) -> None:
        self._target, self._owner, self._path = target, owner, path

    def __getitem__(self, key: str) -> Any:
        return _view(self._target[key], self._owner, (*self._path, key))

    def __contains__(self, key: object) -> bool:
        return key in self._target

    def __iter__(self) -> Iterator[str]:
        return iter(self._target)

    def __len__(self) -> int:
        return len(self._target)


class _SequenceView(Sequence[Any]):
    def __init__(self, target: Sequence[Any], owner: str, path: tuple[PathKey, ...]) -> None:
        self._target, self._owner, self._path = target, owner, path

    def __getitem__(self, index: Any) -> Any:
        return _view(self._target[index], self._owner, (*self._path, index))

    def __len__(self) -> int:
        return len(self._target)


def _view(value: Any, owner: str, path: tuple[PathKey, ...] = ()) -> Any:
    if isinstance(value, Unknown):
        raise UnknownValue(owner, path)
    if isinstance(value, Mapping):
        return _MappingView(value, owner, path)
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return _SequenceView(value, owner, path)
    return value


# --- what rules see and say -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    """One resource of the stack, as a policy sees it. Dependencies are URNs; `property_dependencies` maps a
    top-level property to the resources its value was computed from (the engine sends both to stack policies)."""

    type: str
    props: Mapping[str, Any]
    urn: str = ""
    name: str = ""
    dependencies: tuple[str, ...] = ()
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.type} {(self.name or self.urn)!r}"


@dataclass(frozen=True)
class Violation:
    message: str
    urn: str = ""
    # The check could not run: a value it needs is not known during the preview.
    unknown: bool = False


@dataclass(frozen=True)
class Outcome:
    violations: tuple[Violation, ...] = ()
    unknowns: tuple[Violation, ...] = ()


@dataclass(frozen=True)
class Finding:
    """One violation as a preview reports it: the policy, its level under the policy config, the message."""

    policy: str
    level: str
    message: str
    urn: str = ""


# --- small readers ------------------------------------------------------------------------------------------


def _has(value: Any, key: str) -> bool:
    """`key in value` for a mapping, without reading the value."""
    return isinstance(value, Mapping) and key in value


def _get(value: Any, *path: str) -> Any:
    """`value[path[0]][path[1]]...`, or None where a level is missing or not a mapping."""
    for key in path:
        if not _has(value, key):
            return None
        value = value[key]
    return value


def _peek(value: Any, *path: str) -> Any:
    """Like `_get`, but an unknown value comes back as UNKNOWN instead of raising."""
    try:
        return _get(value, *path)
    except UnknownValue:
        return UNKNOWN


def _items(value: Any) -> list[Any]:
    """A JSON-policy field that may be one value or a list of them, as a list."""
    if value is None:
        return []
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    return [value]


def _mappings(value: Any) -> list[tuple[int, Mapping[str, Any]]]:
    """The mappings of a list, with their index in it."""
    return [(i, item) for i, item in enumerate(_items(value)) if isinstance(item, Mapping)]


def _has_wildcard(value: Any) -> bool:
    if isinstance(value, str):
        return "*" in value or "?" in value
    if isinstance(value, Mapping):
        return any(_has_wildcard(k) or _has_wildcard(v) for k, v in value.items())
    if isinstance(value, Sequence):
        return any(_has_wildcard(v) for v in value)
    return False


def _is_true(value: Any) -> bool:
    """A flag Halyard reads as true: Jackson also coerces the string "true" and a non-zero integer (the engine hands
    every number over as a float)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return isinstance(value, str) and value.strip().lower() == "true"


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else json.dumps(_plain(value), default=repr)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_plain(v) for v in value]
    return value


def _normalized(path: str) -> str:
    """One spelling per absolute file: `//etc/./a/../b` -> `/etc/b` (Linux reads a leading `//` as `/`)."""
    return "/" + posixpath.normpath(path).lstrip("/") if path.startswith("/") else path


def _lies_under(path: str, directory: str) -> bool:
    return _normalized(path).startswith(_normalized(directory).rstrip("/") + "/")


def _dns_suffix(region: str) -> str:
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


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
        if not (isinstance(arn, str) and _ECR_READ_ONLY_ARN.fullmatch(arn))
    ]
    inline = "this program grants through AmazonEC2ContainerRegistryReadOnly only, never an inline policy"
    if resource_type in INLINE_POLICIES:
        problems.append(f"{resource_type.rpartition(':')[2]} {_show(props.get('name'))}: {inline}")
    if resource_type in INLINE_POLICIES_KEPT_BY_NAME:
        # An empty list makes the provider remove every inline policy: that grants nothing.
        for i, name in enumerate(_items(props.get("policyNames"))):
            problems.append(f"policyNames[{i}] {_show(name)}: keeps an inline policy; {inline}")
    if resource_type == ROLE:
        for i, entry in _mappings(props.get("inlinePolicies")):
            # An entry with an empty policy is the provider's way to remove inline policies; it grants nothing.
            if entry.get("policy"):
                problems.append(
                    f"inlinePolicies[{i}] {_show(entry.get('name'))}: the ECR pull role carries no inline policy"
                )
    return problems


def no_exclusive_policy_attachments(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """No exclusive or account-wide policy attachment: PolicyAttachment and the *PolicyAttachmentsExclusive /
    *PoliciesExclusive types detach what anyone else attached (an outage from one line, even with the ECR policy)."""
    name = resource_type.rpartition(":")[2]
    instead = "use RolePolicyAttachment, which attaches one policy and detaches nothing else"
    if resource_type == POLICY_ATTACHMENT:
        return [
            f"{name} is exclusive across the whole account: it detaches its policy from every user, role and group "
            f"in the account that it does not list itself (pulumi-aws warns so); {instead}"
        ]
    if resource_type in (*ATTACHMENTS_BY_POLICY_ARNS, *INLINE_POLICIES_KEPT_BY_NAME):
        return [
            f"{name} owns every policy of its role, user or group: it removes those others attached (an EKS node "
            f"role's own policies, say); {instead}"
        ]
    return []


def resource_types_allow_listed(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """The stack holds only the resource types this program registers (its components, the aws and kubernetes
    providers and the stack aside); anything else is refused, whatever it holds."""
    if (
        resource_type in ALLOWED_RESOURCE_TYPES
        or resource_type in ENGINE_RESOURCE_TYPES
        or resource_type.startswith(COMPONENT_TYPE_PREFIX)
    ):
        return []
    return [
        f"{resource_type!r} is not a type this program registers (allowed: {', '.join(sorted(ALLOWED_RESOURCE_TYPES))}"
        f", its {COMPONENT_TYPE_PREFIX}* components and the aws and kubernetes providers); a change that needs it "
        "changes the policy pack too, in review"
    ]


# --- IAM: trust policies ---------------------------------------------------------------------------------------


def _trust_statements(props: Mapping[str, Any]) -> list[tuple[int, Mapping[str, Any]]]:
    """The Allow statements of a role's trust policy (a JSON string or an object), with their index."""
    document = props.get("assumeRolePolicy")
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return []
    return [(i, s) for i, s in _mappings(_get(document, "Statement")) if s.get("Effect") == "Allow"]


def _is_web_identity(statement: Mapping[str, Any]) -> bool:
    principal = statement.get("Principal")
    return _has(principal, "Federated") or WEB_IDENTITY_ACTION in _items(statement.get("Action"))


def _trust_document_problem(props: Mapping[str, Any]) -> str | None:
    document = props.get("assumeRolePolicy")
    if isinstance(document, str):
        try:
            json.loads(document)
        except ValueError:
            return f"assumeRolePolicy: {_show(document)} is not JSON"
    return None


def irsa_trust_scoped(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """An IRSA trust: one OIDC provider across all statements, StringEquals on both `<issuer>:sub` and
    `<issuer>:aud`, a single service account, no wildcard."""
    if resource_type != ROLE:
        return []
    if problem := _trust_document_problem(props):
        return [problem]
    problems: list[str] = []
    subjects: set[str] = set()
    providers: set[str] = set()
    for index, statement in _trust_statements(props):
        if not _is_web_identity(statement):
            continue
        where = f"assumeRolePolicy Statement[{index}]"
        problems += _web_identity_statement_problems(where, statement, subjects, providers)
    if len(providers) > 1:
        problems.append(
            f"assumeRolePolicy: trusts {len(providers)} OIDC providers ({', '.join(sorted(providers))}): "
            "IRSA trusts exactly one cluster's provider"
        )
    if len(subjects) > 1:
        problems.append(
            f"assumeRolePolicy: trusts {len(subjects)} service accounts ({', '.join(sorted(subjects))}): "
            "IRSA trusts exactly one"
        )
    return problems


def _web_identity_statement_problems(
    where: str, statement: Mapping[str, Any], subjects: set[str], providers: set[str]
) -> list[str]:
    problems: list[str] = []
    for key in ("NotPrincipal", "NotAction"):
        if _has(statement, key):
            problems.append(f"{where}: {key} is not allowed in an IRSA trust")
    principal = statement.get("Principal")
    federated = _items(_get(principal, "Federated"))
    if not isinstance(principal, Mapping) or set(principal) != {"Federated"} or len(federated) != 1:
        return [*problems, f"{where}.Principal: {_show(principal)} is not a single Federated OIDC provider"]
    provider = federated[0]
    if not isinstance(provider, str) or ":oidc-provider/" not in provider:
        return [*problems, f"{where}.Principal.Federated: {_show(provider)} is not an IAM OIDC provider ARN"]
    providers.add(provider)
    actions = _items(statement.get("Action"))
    if actions != [WEB_IDENTITY_ACTION]:
        problems.append(f"{where}.Action: {_show(statement.get('Action'))} is not only {WEB_IDENTITY_ACTION}")
    if _has_wildcard(statement.get("Principal")) or _has_wildcard(statement.get("Condition")):
        problems.append(f"{where}: has a wildcard ('*' or '?'); an IRSA trust names its service account exactly")
    issuer = provider.partition(":oidc-provider/")[2]
    condition = statement.get("Condition")
    for operator, keys in condition.items() if isinstance(condition, Mapping) else ():
        for key in keys if isinstance(keys, Mapping) else ():
            if isinstance(key, str) and key.endswith((":sub", ":aud")) and operator != "StringEquals":
                problems.append(f"{where}.Condition.{operator}.{key}: use StringEquals, not {operator}")
    equals = _get(condition, "StringEquals")
    subject = _single_claim(where, equals, f"{issuer}:sub", "system:serviceaccount:<namespace>:<name>", problems)
    _single_claim(where, equals, f"{issuer}:aud", "audience", problems)
    if subject is not None:
        if not re.fullmatch(r"system:serviceaccount:[^:\s]+:[^:\s]+", subject):
            problems.append(f"{where}: subject {_show(subject)} is not system:serviceaccount:<ns>:<name>")
        subjects.add(subject)
    return problems


def _single_claim(where: str, equals: Any, key: str, accepted: str, problems: list[str]) -> str | None:
    """The one non-empty string StringEquals gives `key`, or None with a problem added."""
    values = _items(_get(equals, key))
    if len(values) == 1 and isinstance(values[0], str) and values[0]:
        return values[0]
    problems.append(
        f"{where}.Condition.StringEquals: needs '{key}' equal to one {accepted} "
        f"(the keys must carry the provider's issuer), found {_show(values)}"
    )
    return None


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
        if not actions or not all(isinstance(a, str) for a in actions) or not set(actions) <= POD_IDENTITY_ACTIONS:
            problems.append(
                f"{where}.Action: {_show(statement.get('Action'))} is not within {sorted(POD_IDENTITY_ACTIONS)}"
            )
    return problems


# --- the SpinnakerService patch ----------------------------------------------------------------------------------


def is_spinnaker_service(resource_type: str) -> bool:
    return bool(_SPINNAKER_SERVICE.fullmatch(resource_type))


def is_clouddriver_service(service: Any) -> bool:
    """`clouddriver` and every `clouddriver-*` (HA: -caching, -rw, -ro, -ro-deck) profile or service."""
    return isinstance(service, str) and (service == "clouddriver" or service.startswith("clouddriver-"))


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
        for index, sidecar in _mappings(by_service[service]):
            yield f"sidecars.{service}[{index}]", sidecar


def token_refresh_sidecars(
    props: Mapping[str, Any], services: Iterable[str] | None = None
) -> list[tuple[str, Mapping[str, Any]]]:
    return [(where, s) for where, s in _sidecars(props, services) if s.get("name") == TOKEN_REFRESH_SIDECAR]


def _token_refresh_mounts(props: Mapping[str, Any]) -> list[str]:
    """The mountPath of clouddriver's token-refresh sidecar: the emptyDir it shares with clouddriver."""
    sidecars = token_refresh_sidecars(props, CLOUDDRIVER_SIDECAR_KEYS)
    return [s["mountPath"] for _, s in sidecars if isinstance(s.get("mountPath"), str)]


def _clouddriver_volumes(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    settings = _get(props, "spec", "spinnakerConfig", "service-settings")
    volumes: list[Mapping[str, Any]] = []
    for service in CLOUDDRIVER_SERVICES:
        volumes += [v for _, v in _mappings(_get(settings, service, "kubernetes", "volumes"))]
    return volumes


def _volume_mount_paths(props: Mapping[str, Any]) -> list[str]:
    return [v["mountPath"] for v in _clouddriver_volumes(props) if isinstance(v.get("mountPath"), str)]


def docker_accounts(props: Mapping[str, Any], *, legacy: bool = True) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(where, account) for every clouddriver docker account of the patch: in every `profiles.clouddriver*`, and in
    `config.providers.dockerRegistry` unless `legacy` is False."""
    spinnaker_config = _get(props, "spec", "spinnakerConfig")
    profiles = _get(spinnaker_config, "profiles")
    for profile in profiles if isinstance(profiles, Mapping) else ():
        if not is_clouddriver_service(profile):
            continue
        for index, account in _mappings(_get(profiles[profile], "dockerRegistry", "accounts")):
            yield f"profiles.{profile}.dockerRegistry.accounts[{index}] {_show(account.get('name'))}", account
    if legacy:
        accounts = _get(spinnaker_config, "config", "providers", "dockerRegistry", "accounts")
        for index, account in _mappings(accounts):
            yield f"config.providers.dockerRegistry.accounts[{index}] {_show(account.get('name'))}", account


def password_files_under_mount(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """Every clouddriver account's passwordFile, in every `profiles.clouddriver*`, lies under the mountPath of
    clouddriver's token-refresh sidecar (the emptyDir it shares with clouddriver) or of a clouddriver volume; none
    sits in config.providers."""
    if not is_spinnaker_service(resource_type):
        return []
    mounts = _token_refresh_mounts(props) + _volume_mount_paths(props)
    problems: list[str] = []
    for where, account in docker_accounts(props, legacy=False):
        if not _has(account, "passwordFile"):
            continue
        path = account["passwordFile"]
        if not isinstance(path, str) or not path.startswith("/"):
            problems.append(f"{where}: passwordFile {_show(path)} is not an absolute path")
        elif not any(_lies_under(path, mount) for mount in mounts):
            found = ", ".join(mounts) if mounts else "none"
            problems.append(
                f"{where}: passwordFile {path} is not under the token-refresh sidecar's mountPath or a clouddriver "
                f"volume's mountPath (mounted: {found}); clouddriver would read a file nothing writes"
            )
    legacy = _get(props, "spec", "spinnakerConfig", "config", "providers", "dockerRegistry", "accounts")
    for index, account in _mappings(legacy):
        if _has(account, "passwordFile"):
            problems.append(
                f"config.providers.dockerRegistry.accounts[{index}] {_show(account.get('name'))}: passwordFile "
                "here is copied once into a Secret by Halyard and never refreshed; put the account in "
                "profiles.clouddriver"
            )
    return problems


def no_password_or_command_in_other_accounts(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """No docker account carries an inline password or a passwordCommand other than the token refresh's own
    `aws ecr get-login-password --region <region>`: a command runs in clouddriver's pod with its AWS identity."""
    if not is_spinnaker_service(resource_type):
        return []
    problems: list[str] = []
    for where, account in docker_accounts(props):
        if _has(account, "password"):
            problems.append(
                f"{where}: carries an inline password (not shown): it sits in clear text in the stack's state and "
                "in the SpinnakerService; mount it from a Secret (extraVolumes) and point passwordFile at it"
            )
        if _has(account, "passwordCommand"):
            command = account["passwordCommand"]
            if not (isinstance(command, str) and _ECR_LOGIN_COMMAND.fullmatch(command)):
                problems.append(
                    f"{where}: passwordCommand {_show(command)} runs in clouddriver's pod, with clouddriver's AWS "
                    "identity, on every registry request; only the token refresh's own "
                    "'aws ecr get-login-password --region <region>' belongs here"
                )
    return problems


def is_legacy_image(image: str) -> bool:
    """quay.io/skuid/ecr-token-refresh with any tag or digest."""
    name = image.partition("@")[0]
    if ":" in name.rpartition("/")[2]:
        name = name.rpartition(":")[0]
    return name == LEGACY_IMAGE_REPOSITORY or name.endswith("/" + LEGACY_IMAGE_REPOSITORY)


def _is_pinned(image: Any) -> bool:
    return isinstance(image, str) and bool(_DIGEST.search(image))


def token_refresh_image_pinned(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """The token-refresh sidecar image is pinned by digest, so every pod runs the image that was reviewed.
    Methods without a token-refresh sidecar have nothing to check."""
    if not is_spinnaker_service(resource_type):
        return []
    problems = []
    for where, sidecar in token_refresh_sidecars(props):
        image = sidecar.get("dockerImage")
        if not _is_pinned(image):
            problems.append(
                f"{where}.dockerImage: {_show(image)} is not pinned by digest (<image>@sha256:<64 hex>); "
                "a tag can move under a running clouddriver"
            )
    return problems


def sidecars_unprivileged_and_pinned(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """No sidecar is privileged or shares a host namespace, and every sidecar besides token-refresh (checked by
    its own policy) is pinned by digest: each runs in a pod with that service's AWS identity."""
    if not is_spinnaker_service(resource_type):
        return []
    problems: list[str] = []
    for where, sidecar in _sidecars(props):
        name = sidecar.get("name")
        label = f"{where} {_show(name)}"
        security = sidecar.get("securityContext")
        if _is_true(_get(security, "privileged")):
            problems.append(f"{label}: securityContext.privileged gives it the node, beside clouddriver's identity")
        for key in HOST_NAMESPACES:
            if _is_true(sidecar.get(key)) or _is_true(_get(security, key)):
                problems.append(f"{label}: {key} shares the node's namespace with a container beside clouddriver")
        if name == TOKEN_REFRESH_SIDECAR:
            continue
        image = sidecar.get("dockerImage")
        if not _is_pinned(image):
            problems.append(
                f"{label}: dockerImage {_show(image)} is not pinned by digest (<image>@sha256:<64 hex>); it runs "
                "with clouddriver's AWS identity, so what runs must be what was reviewed"
            )
    return problems


# --- refresh interval ------------------------------------------------------------------------------------------


def _interval_problem(where: str, value: Any) -> str | None:
    accepted = "a Go duration above 0 and under 12h, the ECR token lifetime (e.g. 30m)"
    if value is None:
        return f"{where}: is missing; use {accepted}"
    if not isinstance(value, str):
        return f"{where}: {_show(value)} is not {accepted}"
    try:
        nanoseconds = parse_go_duration(value)
    except ValueError:
        return f"{where}: {_show(value)} is not {accepted}"
    if not 0 < nanoseconds < TOKEN_LIFETIME_NANOSECONDS:
        return f"{where}: {value} is not {accepted}: tokens would expire before the next refresh"
    return None


def _token_refresh_config(props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """A ConfigMap's `config.yaml` when it is the token-refresh one (it lists registries), else None."""
    text = _get(props, "data", contract.CONFIG_KEY)
    if not isinstance(text, str):
        return None
    try:
        config = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError):
        return None
    # Only the token-refresh config lists registries; other ConfigMaps are not ours to judge.
    if not isinstance(config, Mapping) or "registries" not in config:
        return None
    return config


def refresh_interval_under_token_lifetime(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """The token refresh is periodic and under 12h: the token-refresh ConfigMap's `config.yaml` interval, or an
    ExternalSecret's refreshInterval with refreshPolicy Periodic (or none) and no syncWindows."""
    if resource_type == CONFIG_MAP:
        config = _token_refresh_config(props)
        if config is None:
            return []
        problem = _interval_problem("data.config.yaml interval", config.get("interval"))
        return [problem] if problem else []
    if not _EXTERNAL_SECRET.fullmatch(resource_type):
        return []
    spec = props.get("spec")
    problems = []
    if _has(spec, "refreshPolicy") and spec["refreshPolicy"] != "Periodic":
        problems.append(
            f"spec.refreshPolicy: {_show(spec['refreshPolicy'])} does not refresh the token every interval; "
            "leave it out or use Periodic"
        )
    if _has(spec, "syncWindows"):
        problems.append("spec.syncWindows: can hold refreshes back past the 12h token lifetime; leave them out")
    # The operator's default refreshInterval is 1h.
    if _has(spec, "refreshInterval"):
        problem = _interval_problem("spec.refreshInterval", spec["refreshInterval"])
        problems += [problem] if problem else []
    return problems


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


def no_legacy_image_with_workload_identity(
    resources: Sequence[Resource], config: Mapping[str, Any] | None = None
) -> list[Violation]:
    """The legacy skuid image (aws-sdk-go 1.6, 2017) never runs where clouddriver gets its AWS identity from IRSA or
    Pod Identity: it cannot use either and silently falls back to the node role."""
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


# --- whole stack: the ECR token goes only to its registry ---------------------------------------------------------


@dataclass(frozen=True)
class _Feed:
    """Where an ECR token comes from, and the registry it is for (any registry of the region when registry_id is
    None); `problem` when the source names no usable registry."""

    source: str
    region: str = ""
    registry_id: str | None = None
    problem: str | None = None
    urn: str = ""

    def accepts(self, address: Any) -> bool:
        suffix = re.escape(_dns_suffix(self.region))
        registry = re.escape(self.registry_id) if self.registry_id else "[0-9]{12}"
        pattern = rf"https://{registry}\.dkr\.ecr\.{re.escape(self.region)}\.{suffix}"
        return isinstance(address, str) and re.fullmatch(pattern, address) is not None

    @property
    def address(self) -> str:
        registry = self.registry_id or "<12-digit registry id>"
        return f"https://{registry}.dkr.ecr.{self.region}.{_dns_suffix(self.region)}"


def _registry_feed(source: str, registry: Mapping[str, Any], urn: str) -> _Feed:
    registry_id, region = registry.get("registryId"), registry.get("region")
    if not (isinstance(registry_id, str) and _REGISTRY_ID.fullmatch(registry_id)):
        return _Feed(source, problem=f"its registryId {_show(registry_id)} is not a 12-digit string", urn=urn)
    if not (isinstance(region, str) and _REGION.fullmatch(region)):
        return _Feed(source, problem=f"its region {_show(region)} is not an AWS region", urn=urn)
    return _Feed(source, region, registry_id, urn=urn)


def _config_map_feeds(resources: Sequence[Resource]) -> Iterator[tuple[str, _Feed]]:
    """(password file, feed) for every registry of every token-refresh ConfigMap."""
    for resource in resources:
        if resource.type != CONFIG_MAP:
            continue
        config = _token_refresh_config(resource.props)
        for index, registry in _mappings(config.get("registries") if config else None):
            path = registry.get("passwordFile")
            if isinstance(path, str) and path.startswith("/"):
                source = f"{resource.label} config.yaml registries[{index}]"
                yield _normalized(path), _registry_feed(source, registry, resource.urn)


def _external_secret_feeds(resources: Sequence[Resource]) -> Iterator[tuple[str, _Feed]]:
    """(Secret name, feed) for every ExternalSecret filled by an ECRAuthorizationToken generator."""
    regions = {
        name: _get(r.props, "spec", "region")
        for r in resources
        if r.type == ECR_TOKEN_GENERATOR and isinstance(name := _get(r.props, "metadata", "name"), str)
    }
    for resource in resources:
        if not _EXTERNAL_SECRET.fullmatch(resource.type):
            continue
        secret = _get(resource.props, "spec", "target", "name") or _get(resource.props, "metadata", "name")
        if not isinstance(secret, str):
            continue
        for index, entry in _mappings(_get(resource.props, "spec", "dataFrom")):
            reference = _get(entry, "sourceRef", "generatorRef")
            if _get(reference, "kind") != "ECRAuthorizationToken":
                continue
            generator = _get(reference, "name")
            source = f"{resource.label} spec.dataFrom[{index}] (generator {_show(generator)})"
            region = regions.get(generator) if isinstance(generator, str) else None
            if not (isinstance(region, str) and _REGION.fullmatch(region)):
                yield secret, _Feed(source, problem="its generator is not in this stack or names no AWS region")
            else:
                yield secret, _Feed(source, region)


def _secret_mounts(props: Mapping[str, Any], secrets: Mapping[Any, _Feed]) -> list[tuple[str, _Feed]]:
    """(mountPath, feed) for every clouddriver volume of a Secret that holds an ECR token."""
    mounts: dict[str, _Feed] = {}
    for volume in _clouddriver_volumes(props):
        secret, mount = volume.get("id"), volume.get("mountPath")
        if volume.get("type") == "secret" and isinstance(secret, str) and secret in secrets and isinstance(mount, str):
            # In HA mode every clouddriver-* service mounts the same Secret at the same path.
            mounts.setdefault(_normalized(mount), secrets[secret])
    return list(mounts.items())


def _command_feed(where: str, command: Any) -> _Feed | None:
    if not isinstance(command, str):
        return None
    if match := _ECR_LOGIN_COMMAND.fullmatch(command):
        return _Feed(f"{where} passwordCommand", match.group(1))
    if any(word in command for word in _ECR_TOKEN_COMMANDS):
        return _Feed(
            f"{where} passwordCommand",
            problem="it fetches an ECR token in a form the pack cannot tie to one region; use exactly "
            "'aws ecr get-login-password --region <region>'",
        )
    return None


def _account_feed(
    where: str, account: Mapping[str, Any], files: Mapping[str, _Feed], mounts: Sequence[tuple[str, _Feed]]
) -> _Feed | None:
    path = account.get("passwordFile")
    if isinstance(path, str):
        if _normalized(path) in files:
            return files[_normalized(path)]
        for mount, feed in mounts:
            if _lies_under(path, mount):
                return feed
    return _command_feed(where, account.get("passwordCommand"))


def _token_account_problems(where: str, account: Mapping[str, Any], feed: _Feed) -> list[str]:
    if feed.problem:
        return [f"{where}: reads the ECR token of {feed.source}, but {feed.problem}: no ECR address to check against"]
    problems = []
    address = account.get("address")
    if not feed.accepts(address):
        problems.append(
            f"{where}: reads the ECR token of {feed.source} and clouddriver sends it to its address, "
            f"{_show(address)}; it must be exactly {feed.address}"
        )
    if account.get("username") != "AWS":
        problems.append(f"{where}: username {_show(account.get('username'))} is not 'AWS', the ECR token's user")
    if _is_true(account.get("insecureRegistry")):
        problems.append(f"{where}: insecureRegistry skips TLS verification for a registry that gets the ECR token")
    return problems


def ecr_token_sent_only_to_its_registry(
    resources: Sequence[Resource], config: Mapping[str, Any] | None = None
) -> list[Violation]:
    """A docker account that reads an ECR token the stack's token refresh writes (a ConfigMap registry's
    passwordFile, an External Secrets ECR token Secret, or the password-command method's command) carries exactly
    that registry's address, `https://<registryId>.dkr.ecr.<region>.amazonaws.com[.cn]`, and username AWS."""
    files = dict(_config_map_feeds(resources))
    secrets = dict(_external_secret_feeds(resources))
    violations = []
    for resource in resources:
        if not is_spinnaker_service(resource.type):
            continue
        mounts = _secret_mounts(resource.props, secrets)
        for where, account in docker_accounts(resource.props):
            feed = _account_feed(where, account, files, mounts)
            if feed is not None:
                violations += [Violation(m, resource.urn) for m in _token_account_problems(where, account, feed)]
    return violations


def password_files_match_token_refresh_config(
    resources: Sequence[Resource], config: Mapping[str, Any] | None = None
) -> list[Violation]:
    """The token-refresh ConfigMap's `config.yaml` writes exactly the files the accounts read under the sidecar's
    mount (as sets, both ways), and an account under an External Secrets token mount reads its `password` key."""
    written = dict(_config_map_feeds(resources))
    secrets = dict(_external_secret_feeds(resources))
    violations: list[Violation] = []
    read: set[str] = set()
    for resource in resources:
        if not is_spinnaker_service(resource.type):
            continue
        mounts = _token_refresh_mounts(resource.props)
        secret_mounts = [mount for mount, _ in _secret_mounts(resource.props, secrets)]
        for where, account in docker_accounts(resource.props, legacy=False):
            path = account.get("passwordFile")
            if not isinstance(path, str):
                continue
            if any(_lies_under(path, mount) for mount in mounts):
                read.add(_normalized(path))
                if _normalized(path) not in written:
                    message = f"{where}: passwordFile {path} lies under the token-refresh sidecar's mount, but no "
                    message += "token-refresh config.yaml lists it: nothing writes it"
                    violations.append(Violation(message, resource.urn))
            for mount in secret_mounts:
                expected = _normalized(posixpath.join(mount, GENERATOR_PASSWORD_KEY))
                if _lies_under(path, mount) and _normalized(path) != expected:
                    message = f"{where}: passwordFile {path} is not {expected}, the ECR token key of that Secret"
                    violations.append(Violation(message, resource.urn))
    for path, feed in written.items():
        if path not in read:
            violations.append(
                Violation(f"{feed.source}: passwordFile {path}: no clouddriver account reads it", feed.urn)
            )
    return violations


# --- whole stack: who clouddriver runs as ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Binding:
    """A role ARN that makes clouddriver's pods run as a role: an association's roleArn/targetRoleArn, or an IRSA
    annotation."""

    resource: Resource
    key: str
    where: str
    value: Any

    @property
    def label(self) -> str:
        return f"{self.where} of {self.resource.label}"


def _bindings(resources: Sequence[Resource]) -> Iterator[_Binding]:
    for resource in resources:
        if resource.type == POD_IDENTITY_ASSOCIATION:
            for key in ("roleArn", "targetRoleArn"):
                if _has(resource.props, key):
                    yield _Binding(resource, key, key, _peek(resource.props, key))
        elif resource.type in SERVICE_ACCOUNT_TYPES:
            annotations = _peek(resource.props, "metadata", "annotations")
            where = f"metadata.annotations.{IRSA_ROLE_ANNOTATION}"
            if isinstance(annotations, Unknown) or _has(annotations, IRSA_ROLE_ANNOTATION):
                yield _Binding(resource, "metadata", where, _peek(annotations, IRSA_ROLE_ANNOTATION))


def _computed_from(binding: _Binding) -> set[str]:
    """The resources the binding's value was computed from: the engine's property dependencies when it sends them,
    else every dependency."""
    resource = binding.resource
    if resource.property_dependencies:
        return set(resource.property_dependencies.get(binding.key, ()))
    return set(resource.dependencies)


def _allowed_role_arns(config: Mapping[str, Any] | None) -> tuple[frozenset[str] | None, list[str]]:
    """The policy config's allowedRoleArns (None when not given); a malformed list allows nothing."""
    if config is None or not _has(config, "allowedRoleArns"):
        return None, []
    listed = config["allowedRoleArns"]
    if isinstance(listed, Sequence) and not isinstance(listed, str | bytes) and all(isinstance(a, str) for a in listed):
        return frozenset(listed), []
    return frozenset(), [f"policy config allowedRoleArns: {_show(listed)} is not a list of role ARNs"]


def _not_allowed(value: str, allowed: frozenset[str]) -> str:
    listed = ", ".join(sorted(allowed)) or "none"
    return f"{value} is not this stack's role and not in allowedRoleArns of the policy config (listed: {listed})"


def _bindings_to_own_role(
    own: Resource, bindings: Sequence[_Binding], allowed: frozenset[str] | None
) -> Iterator[Violation]:
    own_arn = _peek(own.props, "arn")
    known_arn = own_arn if isinstance(own_arn, str) and own_arn else None
    for binding in bindings:
        value = binding.value
        if isinstance(value, str) and (value == known_arn or (allowed is not None and value in allowed)):
            continue
        if not isinstance(value, Unknown) and known_arn is not None:
            listed = f"; {_not_allowed(_show(value), allowed)}" if allowed is not None else ""
            message = f"{binding.label}: {_show(value)} is not this stack's role {known_arn}; clouddriver would run "
            yield Violation(f"{message}as another role{listed}", binding.resource.urn)
            continue
        # The value or the role's ARN is not known yet: what the value is computed from decides.
        computed_from = _computed_from(binding)
        if computed_from == {own.urn}:
            continue
        yield Violation(
            f"{binding.label} cannot be checked during preview: it or this stack's role ARN is not known, and it is "
            f"computed from {', '.join(sorted(computed_from)) or 'no resource'}, not from {own.label} alone",
            binding.resource.urn,
            unknown=True,
        )


def _bindings_without_own_role(bindings: Sequence[_Binding], allowed: frozenset[str] | None) -> Iterator[Violation]:
    named: dict[str, _Binding] = {}
    for binding in bindings:
        urn = binding.resource.urn
        if isinstance(binding.value, Unknown):
            message = f"{binding.label} is not known during preview, and with no role of its own the stack has "
            message += "nothing to trace it to: the role it names cannot be checked"
            yield Violation(message, urn, unknown=True)
        elif not (isinstance(binding.value, str) and _ROLE_ARN.fullmatch(binding.value)):
            yield Violation(f"{binding.label}: {_show(binding.value)} is not an IAM role ARN", urn)
        elif allowed is not None and binding.value not in allowed:
            yield Violation(f"{binding.label}: {_not_allowed(binding.value, allowed)}", urn)
        else:
            named.setdefault(binding.value, binding)
    if len(named) > 1:
        message = f"with no role of its own, the stack binds clouddriver to {len(named)} different roles "
        message += f"({', '.join(sorted(named))}); every association and annotation names one and the same role"
        yield Violation(message, list(named.values())[1].resource.urn)


def workload_identity_names_the_stack_role(
    resources: Sequence[Resource], config: Mapping[str, Any] | None = None
) -> list[Violation]:
    """Every Pod Identity association (at most one) and every `eks.amazonaws.com/role-arn` annotation names the
    stack's own IAM role (at most one); with no role in the stack, all name one and the same role ARN. With
    `allowedRoleArns` in the policy config, any other role must be listed there."""
    roles = [r for r in resources if r.type == ROLE]
    associations = [r for r in resources if r.type == POD_IDENTITY_ASSOCIATION]
    allowed, violations = _allowed_role_arns(config)
    found = [Violation(v) for v in violations]
    for kind, items in (("IAM roles", roles), ("Pod Identity associations", associations)):
        if len(items) > 1:
            names = ", ".join(r.name or r.urn for r in items)
            message = f"the stack has {len(items)} {kind} ({names}); this program makes at most one"
            found += [Violation(message, r.urn) for r in items[1:]]
    bindings = list(_bindings(resources))
    if roles:
        found += _bindings_to_own_role(roles[0], bindings, allowed)
    else:
        found += _bindings_without_own_role(bindings, allowed)
    return found


# --- the policies ------------------------------------------------------------------------------------------------


class Scope(Enum):
    """What a policy judges: one resource's inputs before its step, or every resource's outputs after all steps."""

    RESOURCE = "resource"
    STACK = "stack"


@dataclass(frozen=True)
class Policy:
    """A rule with its name and default level. `rule` None: the policy reports what the other policies of its scope
    could not check because a value was unknown."""

    name: str
    level: str
    scope: Scope
    rule: Callable[..., Any] | None
    description: str
    config_schema: Mapping[str, Any] | None = None


def _policy(
    name: str, level: str, scope: Scope, rule: Callable[..., Any], config_schema: Mapping[str, Any] | None = None
) -> Policy:
    description = " ".join((rule.__doc__ or name).split("\n\n")[0].split())
    return Policy(name, level, scope, rule, description, config_schema)


_ALLOWED_ROLE_ARNS_SCHEMA = {
    "allowedRoleArns": {
        "type": "array",
        "items": {"type": "string"},
        "description": "Role ARNs clouddriver may run as besides the stack's own role (existing-role mode).",
    }
}
_UNKNOWNS = (
    "was blinded by a value not known during the preview: names the policy, the resource and the property; "
    "mandatory with policy/config/production.json"
)

POLICIES: tuple[Policy, ...] = (
    _policy("ecr-read-only-managed-policy", MANDATORY, Scope.RESOURCE, ecr_read_only_only),
    _policy("no-exclusive-policy-attachments", MANDATORY, Scope.RESOURCE, no_exclusive_policy_attachments),
    _policy("resource-types-allow-listed", MANDATORY, Scope.RESOURCE, resource_types_allow_listed),
    _policy("irsa-trust-single-service-account", MANDATORY, Scope.RESOURCE, irsa_trust_scoped),
    _policy("pod-identity-trust-only", MANDATORY, Scope.RESOURCE, pod_identity_trust_only),
    _policy("password-files-under-shared-mount", MANDATORY, Scope.RESOURCE, password_files_under_mount),
    _policy("token-refresh-image-pinned-by-digest", ADVISORY, Scope.RESOURCE, token_refresh_image_pinned),
    _policy("refresh-interval-under-12h", ADVISORY, Scope.RESOURCE, refresh_interval_under_token_lifetime),
    _policy("sidecars-unprivileged-and-pinned", ADVISORY, Scope.RESOURCE, sidecars_unprivileged_and_pinned),
    _policy(
        "no-password-or-command-in-other-accounts", ADVISORY, Scope.RESOURCE, no_password_or_command_in_other_accounts
    ),
    Policy("resource-checks-see-known-values", ADVISORY, Scope.RESOURCE, None, f"A resource check {_UNKNOWNS}."),
    _policy("no-legacy-image-with-workload-identity", MANDATORY, Scope.STACK, no_legacy_image_with_workload_identity),
    _policy("ecr-token-sent-only-to-its-registry", MANDATORY, Scope.STACK, ecr_token_sent_only_to_its_registry),
    _policy(
        "password-files-match-token-refresh-config", MANDATORY, Scope.STACK, password_files_match_token_refresh_config
    ),
    _policy(
        "workload-identity-names-the-stack-role",
        MANDATORY,
        Scope.STACK,
        workload_identity_names_the_stack_role,
        _ALLOWED_ROLE_ARNS_SCHEMA,
    ),
    Policy("stack-checks-see-known-values", ADVISORY, Scope.STACK, None, f"A stack check {_UNKNOWNS}."),
)


def _failed(policy: Policy, where: str, error: Exception) -> str:
    return (
        f"{policy.name} failed on {where} ({type(error).__name__}: {error}); until the rule is fixed, this counts "
        "as a violation"
    )


def _unknown(policy: Policy, unknown: UnknownValue) -> str:
    return f"{policy.name} cannot check {unknown.owner}: {path_text(unknown.path)} is not known during the preview"


def evaluate_resource(policy: Policy, resource: Resource) -> Outcome:
    """One resource policy on one resource: its violations, and what it could not check."""
    if policy.rule is None:
        others = [p for p in POLICIES if p.scope is Scope.RESOURCE and p.rule is not None]
        return Outcome(violations=tuple(u for p in others for u in evaluate_resource(p, resource).unknowns))
    try:
        messages = policy.rule(resource.type, _view(resource.props, resource.label))
    except UnknownValue as unknown:
        return Outcome(unknowns=(Violation(_unknown(policy, unknown), resource.urn, unknown=True),))
    except Exception as error:  # a broken rule reports, it never stops the pack
        return Outcome(violations=(Violation(_failed(policy, resource.label, error), resource.urn),))
    return Outcome(violations=tuple(Violation(message, resource.urn) for message in messages))


def evaluate_stack(policy: Policy, resources: Sequence[Resource], config: Mapping[str, Any] | None = None) -> Outcome:
    """One stack policy on the whole stack, with that policy's config (`--policy-pack-config` properties)."""
    if policy.rule is None:
        others = [p for p in POLICIES if p.scope is Scope.STACK and p.rule is not None]
        return Outcome(violations=tuple(u for p in others for u in evaluate_stack(p, resources).unknowns))
    viewed = [replace(r, props=_view(r.props, r.label)) for r in resources]
    try:
        violations = policy.rule(viewed, _view(dict(config or {}), "the policy config"))
    except UnknownValue as unknown:
        urn = next((r.urn for r in resources if r.label == unknown.owner), "")
        return Outcome(unknowns=(Violation(_unknown(policy, unknown), urn, unknown=True),))
    except Exception as error:  # a broken rule reports, it never stops the pack
        return Outcome(violations=(Violation(_failed(policy, "the stack", error)),))
    unknowns = tuple(replace(v, message=f"{policy.name}: {v.message}") for v in violations if v.unknown)
    return Outcome(tuple(v for v in violations if not v.unknown), unknowns)


def read_policy_config(document: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """A `--policy-pack-config` document (name -> level, or name -> {"enforcementLevel": level, ...properties}) as
    (levels, properties) by policy name."""
    levels: dict[str, str] = {}
    properties: dict[str, dict[str, Any]] = {}
    for name, value in document.items():
        entry = {"enforcementLevel": value} if isinstance(value, str) else dict(value)
        if "enforcementLevel" in entry:
            levels[name] = entry.pop("enforcementLevel")
        properties[name] = entry
    return levels, properties


def check(
    resources: Sequence[Resource],
    policy_config: Mapping[str, Any] | None = None,
    stack_resources: Sequence[Resource] | None = None,
) -> list[Finding]:
    """Every finding of every policy, as a preview with this `--policy-pack-config` document would report them, for
    tools that check resources without the Pulumi CLI. A disabled policy is skipped; remediate counts as mandatory.

    Resource policies see `resources` (the engine sends each resource's inputs); stack policies see
    `stack_resources` when given (the engine sends the resources' outputs), else `resources` too."""
    levels, properties = read_policy_config(policy_config or {})
    whole_stack = resources if stack_resources is None else stack_resources
    found: list[Finding] = []
    for policy in POLICIES:
        level = levels.get(policy.name, policy.level)
        if level == "disabled":
            continue
        level = MANDATORY if level == "remediate" else level
        if policy.scope is Scope.RESOURCE:
            violations = [v for r in resources for v in evaluate_resource(policy, r).violations]
        else:
            violations = list(evaluate_stack(policy, whole_stack, properties.get(policy.name)).violations)
        found += [Finding(policy.name, level, v.message, v.urn) for v in violations]
    return found
