"""What a stack file configures, declared as frozen pydantic models: the schema editors, docs and tests read.

Pure: no Pulumi imports. Field aliases are the stack file's keys; every constrained value has a validator that
says, in words, what is accepted. Checks that span fields (what an access mode requires, unique names) are
declared as tables here and applied by settings.py, which turns every problem into a message naming the key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from ecr_token_refresh import contract
from ecr_token_refresh.duration import MINUTE, parse_go_duration
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from components.kubernetes_names import (
    DNS1123_LABEL_ACCEPTED,
    DNS1123_SUBDOMAIN_ACCEPTED,
    is_dns1123_label,
    is_dns1123_subdomain,
)
from components.labels import RESERVED_TAG_KEYS
from components.partitions import region_problem, supported_regions

PROJECT = "spinnaker-ecr"
API_VERSIONS = ("spinnaker.io/v1alpha2", "spinnaker.armory.io/v1alpha2")
EXTERNAL_SECRET_API_VERSIONS = ("external-secrets.io/v1", "external-secrets.io/v1beta1")
GENERATOR_API_VERSIONS = ("generators.external-secrets.io/v1alpha1",)
DEFAULT_INTERVAL = "30m"
DEFAULT_AUDIENCE = "sts.amazonaws.com"
TOKEN_REFRESH_SIDECAR_NAME = contract.CONTAINER_NAME
LEGACY_IMAGE_REPOSITORY = "skuid/ecr-token-refresh"
# The program's own range for interval (the sidecar accepts a wider one): at least a minute, and renewing before
# the token expires.
MIN_INTERVAL = MINUTE
TOKEN_LIFETIME = contract.TOKEN_LIFETIME_NANOSECONDS
INTERVAL_ACCEPTED = "a Go duration from 1m up to (not including) 12h, the ECR token lifetime, e.g. 30m or 1h30m"


# --- constrained values: each validator raises one error that says what is accepted ---------------------------


def _refuse(phrase: str) -> PydanticCustomError:
    return PydanticCustomError("spinnaker_ecr", phrase)


def _constrained(
    base: type, test: Callable[[Any], bool], accepted: str, schema: Mapping[str, Any], phrase: str | None = None
) -> Any:
    """`base` values that pass `test`; anything else fails with `is not <accepted>` (or `phrase`)."""

    def validate(value: Any) -> Any:
        if not test(value):
            raise _refuse(phrase or f"is not {accepted}")
        return value

    return Annotated[base, BeforeValidator(validate), WithJsonSchema({**schema, "description": accepted})]


def _text(pattern: str | None = None, extra: Callable[[str], bool] = lambda _: True) -> Callable[[Any], bool]:
    compiled = re.compile(pattern) if pattern else None
    return lambda v: (
        isinstance(v, str) and bool(v) and (compiled is None or compiled.fullmatch(v) is not None) and extra(v)
    )


def _flag(value: Any) -> bool:
    # Top-level scalars reach a program as text; inside objects they stay JSON booleans.
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise _refuse("is not true or false")


Flag = Annotated[bool, BeforeValidator(_flag), WithJsonSchema({"type": "boolean"})]
NonEmptyText = _constrained(str, _text(), "a non-empty string", {"type": "string", "minLength": 1})
AccountName = _constrained(
    str,
    _text(r"(?=.{1,63}\Z)[a-z0-9]([-a-z0-9]*[a-z0-9])?"),
    "a clouddriver account name (lower-case letters, digits and '-', starting and ending alphanumeric, at most 63)",
    {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63},
)
DnsLabel = _constrained(str, _text(extra=is_dns1123_label), DNS1123_LABEL_ACCEPTED, {"type": "string", "maxLength": 63})
DnsSubdomain = _constrained(
    str, _text(extra=is_dns1123_subdomain), DNS1123_SUBDOMAIN_ACCEPTED, {"type": "string", "maxLength": 253}
)
EksClusterName = _constrained(
    str,
    _text(r"[0-9A-Za-z][A-Za-z0-9\-_]{0,99}"),
    "an EKS cluster name",
    {"type": "string", "pattern": r"^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$"},
)
OidcProviderArn = _constrained(
    str,
    _text(r"arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:oidc-provider/[^\s*]+"),
    "an IAM OIDC provider ARN (arn:<partition>:iam::<account>:oidc-provider/<issuer>)",
    {"type": "string", "pattern": r"^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:oidc-provider/[^\s*]+$"},
)
IamRoleName = _constrained(
    str, _text(r"[\w+=,.@-]{1,64}"), "an IAM role name", {"type": "string", "pattern": r"^[\w+=,.@-]{1,64}$"}
)
IAM_ROLE_ARN = r"arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/([\x21-\x7e]{0,510}/)?[\w+=,.@-]{1,64}"
IamRoleArn = _constrained(
    str,
    _text(IAM_ROLE_ARN),
    "an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)",
    {"type": "string", "pattern": f"^{IAM_ROLE_ARN}$"},
)
ImageReference = _constrained(
    str, _text(r"\S+"), "a container image reference", {"type": "string", "pattern": r"^\S+$"}
)


def _account_id(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise _refuse(
            'is a number: quote it as a 12-digit string, e.g. "012345678901" (Pulumi reads stack files as YAML 1.2: '
            "unquoted digits are a number, and a leading 0 is lost or makes it octal)"
        )
    if not (isinstance(value, str) and re.fullmatch(r"[0-9]{12}", value)):
        raise _refuse('is not a 12-digit AWS account id (a quoted string, e.g. "012345678901")')
    return value


AccountId = Annotated[
    str,
    BeforeValidator(_account_id),
    WithJsonSchema({"type": "string", "pattern": "^[0-9]{12}$", "description": "a 12-digit AWS account id, quoted"}),
]


def _region(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _refuse("is not an AWS region, e.g. us-east-1, cn-north-1, us-gov-west-1")
    problem = region_problem(value)
    if problem:
        raise _refuse(problem)
    return value


Region = Annotated[
    str,
    BeforeValidator(_region),
    WithJsonSchema(
        {
            "type": "string",
            "enum": supported_regions(),
            "description": "an AWS region of the aws, aws-cn or aws-us-gov partition (the installed botocore's list)",
        }
    ),
]


def interval_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"is not {INTERVAL_ACCEPTED}"
    try:
        nanoseconds = parse_go_duration(value)
    except ValueError:
        return f"is not {INTERVAL_ACCEPTED}"
    if not MIN_INTERVAL <= nanoseconds < TOKEN_LIFETIME:
        return f"is out of range: use {INTERVAL_ACCEPTED}"
    return None


def _interval(value: Any) -> str:
    problem = interval_problem(value)
    if problem:
        raise _refuse(problem)
    return value


Interval = Annotated[
    str, BeforeValidator(_interval), WithJsonSchema({"type": "string", "description": INTERVAL_ACCEPTED})
]
PositiveInt = _constrained(
    int,
    lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
    "a positive integer",
    {"type": "integer", "minimum": 1},
)
Boolean = _constrained(bool, lambda v: isinstance(v, bool), "true or false", {"type": "boolean"})
RepositoryList = _constrained(
    list,
    lambda v: isinstance(v, list) and bool(v) and all(isinstance(item, str) and item for item in v),
    "a non-empty list of repository names",
    {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
)
AbsolutePath = _constrained(
    str, _text(extra=lambda v: v.startswith("/")), "an absolute path", {"type": "string", "pattern": "^/"}
)
Permissions = _constrained(
    dict,
    lambda v: (
        isinstance(v, dict)
        and set(v) <= {"READ", "WRITE"}
        and all(isinstance(roles, list) and all(isinstance(r, str) for r in roles) for roles in v.values())
    ),
    "a mapping of READ and/or WRITE to lists of role names",
    {
        "type": "object",
        "properties": {"READ": {"type": "array", "items": {"type": "string"}}, "WRITE": {"type": "array"}},
        "additionalProperties": False,
    },
)


def _set_by_program(value: Any) -> Any:
    raise _refuse("is set by this program from the registry and the refresh method; remove it")


SetByProgram = Annotated[
    Any,
    BeforeValidator(_set_by_program),
    WithJsonSchema({"not": {}, "description": "set by this program; not allowed here"}),
]


# --- objects -------------------------------------------------------------------------------------------------


class Model(BaseModel):
    """Strict objects: an unknown key is an error, and `key:` with no value counts as not given."""

    model_config = ConfigDict(frozen=True, extra="forbid", field_title_generator=lambda name, info: info.alias or name)

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data


class PassThrough(BaseModel):
    """An entry passed to the SpinnakerService verbatim: only its identifying key is checked here."""

    model_config = ConfigDict(frozen=True, extra="allow")

    def entry(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True)


class Registry(Model):
    """One ECR registry, which becomes one clouddriver docker account."""

    name: AccountName
    account_id: AccountId = Field(alias="accountId")
    region: Region
    # clouddriver's own account options, passed on as given.
    environment: NonEmptyText | None = None
    account_type: NonEmptyText | None = Field(None, alias="accountType")
    email: NonEmptyText | None = None
    cache_threads: PositiveInt | None = Field(None, alias="cacheThreads")
    cache_interval_seconds: PositiveInt | None = Field(None, alias="cacheIntervalSeconds")
    client_timeout_millis: PositiveInt | None = Field(None, alias="clientTimeoutMillis")
    paginate_size: PositiveInt | None = Field(None, alias="paginateSize")
    track_digests: Boolean | None = Field(None, alias="trackDigests")
    inspect_digests: Boolean | None = Field(None, alias="inspectDigests")
    sort_tags_by_date: Boolean | None = Field(None, alias="sortTagsByDate")
    repositories: RepositoryList | None = None
    catalog_file: AbsolutePath | None = Field(None, alias="catalogFile")
    repositories_regex: NonEmptyText | None = Field(None, alias="repositoriesRegex")
    permissions: Permissions | None = None
    # Derived from the registry and the refresh method: a value here would contradict it.
    address: SetByProgram = None
    username: SetByProgram = None
    password: SetByProgram = None
    password_file: SetByProgram = Field(None, alias="passwordFile")
    password_command: SetByProgram = Field(None, alias="passwordCommand")
    dockerconfig_file: SetByProgram = Field(None, alias="dockerconfigFile")

    @property
    def clouddriver_options(self) -> dict[str, Any]:
        """The clouddriver account options given, by their clouddriver names."""
        identity = {"name", "accountId", "region"}
        return {
            key: value
            for key, value in self.model_dump(by_alias=True, exclude_unset=True).items()
            if key not in identity
        }


class ServiceAccount(Model):
    name: DnsSubdomain = Field(description="the service account clouddriver runs as")
    create: Flag = False


class AccessMode(StrEnum):
    IRSA = "irsa"
    POD_IDENTITY = "pod-identity"
    NODE_ROLE = "node-role"
    EXISTING_ROLE = "existing-role"


class Access(Model):
    mode: AccessMode
    cluster_name: EksClusterName | None = Field(None, alias="clusterName")
    oidc_provider_arn: OidcProviderArn | None = Field(None, alias="oidcProviderArn")
    audience: NonEmptyText = DEFAULT_AUDIENCE
    node_role_name: IamRoleName | None = Field(None, alias="nodeRoleName")
    role_arn: IamRoleArn | None = Field(None, alias="roleArn")
    service_account: ServiceAccount | None = Field(None, alias="serviceAccount")

    @property
    def rules(self) -> ModeRules:
        return ACCESS_MODES[self.mode]


@dataclass(frozen=True)
class ModeRules:
    """What one access mode needs and allows, and what it means for the rest of the program."""

    needs: Mapping[str, str]  # key -> why this mode needs it
    allows: tuple[str, ...]  # every key this mode reads (besides mode)
    needs_one_of: tuple[str, ...] = ()
    uses_aws: bool = True  # registers AWS resources or calls AWS functions
    # Credentials reach clouddriver's pod by web identity or Pod Identity, which the legacy image cannot use.
    workload_identity: bool = False
    # The service account carries eks.amazonaws.com/role-arn (IRSA-style), so ESO's generator can borrow it.
    annotates_role: bool = False


_SERVICE_ACCOUNT_NEED = "the service account clouddriver runs as (name, and create: true to create it)"
ACCESS_MODES: Mapping[AccessMode, ModeRules] = {
    AccessMode.IRSA: ModeRules(
        needs={"serviceAccount": _SERVICE_ACCOUNT_NEED},
        needs_one_of=("clusterName", "oidcProviderArn"),
        allows=("clusterName", "oidcProviderArn", "audience", "serviceAccount"),
        workload_identity=True,
        annotates_role=True,
    ),
    AccessMode.POD_IDENTITY: ModeRules(
        needs={
            "clusterName": "the EKS cluster of the Pod Identity association",
            "serviceAccount": _SERVICE_ACCOUNT_NEED,
        },
        allows=("clusterName", "serviceAccount"),
        workload_identity=True,
    ),
    AccessMode.NODE_ROLE: ModeRules(
        needs={"nodeRoleName": "the existing node instance role the policy is attached to"},
        allows=("nodeRoleName",),
    ),
    AccessMode.EXISTING_ROLE: ModeRules(
        needs={
            "roleArn": "the IRSA role another stack manages (it needs AmazonEC2ContainerRegistryReadOnly)",
            "serviceAccount": _SERVICE_ACCOUNT_NEED,
        },
        allows=("roleArn", "audience", "serviceAccount"),
        uses_aws=False,
        workload_identity=True,
        annotates_role=True,
    ),
}


class ExtraSidecar(PassThrough):
    """A clouddriver sidecar you already have (Halyard's sidecar fields), kept in the list this program owns."""

    name: DnsLabel = Field(description="every extra sidecar needs a unique name (it becomes a container name)")


class ExtraDockerAccount(PassThrough):
    """A docker registry account you already have, kept in the accounts list this program owns."""

    name: NonEmptyText = Field(description="every extra docker account needs a unique name")


class ExtraVolume(PassThrough):
    """A clouddriver service-settings volume you already have ({id, type, mountPath})."""

    id: DnsLabel = Field(description="every extra volume needs a unique id (it becomes a volume name)")


class Spinnaker(Model):
    name: DnsSubdomain = "spinnaker"
    namespace: DnsLabel = "spinnaker"
    api_version: Literal[API_VERSIONS] = Field(API_VERSIONS[0], alias="apiVersion")  # type: ignore[valid-type]
    clouddriver_ha: Flag = Field(False, alias="clouddriverHA")
    patch_force: Flag = Field(False, alias="patchForce")
    extra_sidecars: tuple[ExtraSidecar, ...] = Field((), alias="extraSidecars")
    extra_docker_accounts: tuple[ExtraDockerAccount, ...] = Field((), alias="extraDockerAccounts")
    extra_volumes: tuple[ExtraVolume, ...] = Field((), alias="extraVolumes")


class SidecarMethod(Model):
    """A token-refresh sidecar beside clouddriver writes each password file; its config.yaml is a ConfigMap."""

    method: Literal["sidecar"] = "sidecar"
    image: ImageReference = Field(description="the token-refresh sidecar image, pinned by digest in production")
    interval: Interval = DEFAULT_INTERVAL


class PasswordCommandMethod(Model):
    """clouddriver runs `aws ecr get-login-password` itself on every registry request."""

    method: Literal["password-command"]


class GeneratorAuth(Model):
    """The ECRAuthorizationToken generator's spec.auth, passed on verbatim: exactly one of its two forms."""

    jwt: dict[str, Any] | None = None
    secret_ref: dict[str, Any] | None = Field(None, alias="secretRef")

    @model_validator(mode="after")
    def _exactly_one(self) -> GeneratorAuth:
        if len(self.model_fields_set) != 1:
            raise _refuse("is not a mapping with exactly one of jwt (an IRSA serviceAccountRef) or secretRef")
        return self


class ExternalSecretsMethod(Model):
    """The External Secrets Operator (installed separately) keeps one Secret per region fresh."""

    method: Literal["external-secrets"]
    interval: Interval = DEFAULT_INTERVAL
    api_version: Literal[EXTERNAL_SECRET_API_VERSIONS] = Field(  # type: ignore[valid-type]
        EXTERNAL_SECRET_API_VERSIONS[0], alias="apiVersion"
    )
    generator_api_version: Literal[GENERATOR_API_VERSIONS] = Field(  # type: ignore[valid-type]
        GENERATOR_API_VERSIONS[0], alias="generatorApiVersion"
    )
    auth: GeneratorAuth | None = None


def _method_of(value: Any) -> Any:
    if isinstance(value, dict):
        return value.get("method") or "sidecar"
    return getattr(value, "method", None)


REFRESH_METHODS: Mapping[str, type[Model]] = {
    "sidecar": SidecarMethod,
    "password-command": PasswordCommandMethod,
    "external-secrets": ExternalSecretsMethod,
}
TokenRefresh = Annotated[
    Annotated[SidecarMethod, Tag("sidecar")]
    | Annotated[PasswordCommandMethod, Tag("password-command")]
    | Annotated[ExternalSecretsMethod, Tag("external-secrets")],
    Discriminator(_method_of),
]


def _tag_key(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 128:
        raise _refuse("is not a tag name (1 to 128 characters)")
    if value in RESERVED_TAG_KEYS or value.lower().startswith("aws:"):
        raise _refuse(f"is a reserved tag: {', '.join(RESERVED_TAG_KEYS)} are set by this program and aws: by AWS")
    if not re.fullmatch(r"[\w\s.:/=+\-@]+", value):
        raise _refuse("is not a tag name (letters, digits, spaces and _ . : / = + - @)")
    return value


def _tag_value(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 256 or not re.fullmatch(r"[\w\s.:/=+\-@]*", value):
        raise _refuse("is not a tag value (a string of at most 256 letters, digits, spaces and _ . : / = + - @)")
    return value


TagKey = Annotated[str, BeforeValidator(_tag_key), WithJsonSchema({"type": "string", "maxLength": 128})]
TagValue = Annotated[str, BeforeValidator(_tag_value), WithJsonSchema({"type": "string", "maxLength": 256})]


class Deploy(Model):
    """How the workflows treat this stack: where it comes in the deploy order, and whether it is production (the
    policy pack's advisory rules become mandatory). The program itself only reads it."""

    order: PositiveInt = Field(100, description="deploy order: lower first; equal orders go by stack name")
    production: Boolean = False


class StackConfig(Model):
    """Every `spinnaker-ecr:<key>` of a stack file."""

    access: Access
    spinnaker: Spinnaker = Spinnaker()
    token_refresh: TokenRefresh = Field(alias="tokenRefresh")
    registries: tuple[Registry, ...] = Field(min_length=1)
    tags: dict[TagKey, TagValue] = {}
    deploy: Deploy = Deploy()


@dataclass(frozen=True)
class Settings:
    """One stack's validated configuration, with the names Pulumi gives it."""

    project: str
    stack: str
    access: Access
    spinnaker: Spinnaker
    token_refresh: SidecarMethod | PasswordCommandMethod | ExternalSecretsMethod
    registries: tuple[Registry, ...]
    tags: Mapping[str, str]
    deploy: Deploy


def is_legacy_image(image: str) -> bool:
    """True for quay.io/skuid/ecr-token-refresh (any tag or digest): aws-sdk-go 1.6, node role only."""
    name = image.split("@", 1)[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    return name == LEGACY_IMAGE_REPOSITORY or name.endswith("/" + LEGACY_IMAGE_REPOSITORY)
