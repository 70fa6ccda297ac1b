"""SpinnakerEcr: the one top-level component. IAM access -> service account -> token refresh -> SpinnakerService."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pulumi

from components.ecr_pull_access import EcrPullAccess, EcrPullAccessArgs
from components.external_secrets_refresh import ExternalSecretsRefresh, ExternalSecretsRefreshArgs
from components.labels import aws_tags, kubernetes_labels
from components.model import ExternalSecretsMethod, PasswordCommandMethod, Settings, SidecarMethod
from components.refresh_methods import password_source
from components.registries import docker_account
from components.service_account import ClouddriverServiceAccount, ClouddriverServiceAccountArgs
from components.spinnaker_service_patch import SpinnakerServicePatch, SpinnakerServicePatchArgs
from components.spinnaker_spec import field_manager
from components.token_refresh_sidecar import TokenRefreshSidecar, TokenRefreshSidecarArgs
from components.wiring import ClouddriverWiring


@dataclass(frozen=True)
class Refresh:
    """What a token-refresh method gives the rest: clouddriver's wiring and what the patch waits for."""

    wiring: ClouddriverWiring = field(default_factory=ClouddriverWiring)
    resources: list[pulumi.Resource] = field(default_factory=list)
    config_map_name: pulumi.Output[str] | None = None


@dataclass(frozen=True)
class RefreshContext:
    name: str
    settings: Settings
    labels: dict[str, str]
    credentials: list[pulumi.Resource]
    parent: pulumi.Resource


def _sidecar(context: RefreshContext) -> Refresh:
    settings = context.settings
    assert isinstance(settings.token_refresh, SidecarMethod)
    sidecar = TokenRefreshSidecar(
        f"{context.name}-refresh",
        TokenRefreshSidecarArgs(
            settings.token_refresh, settings.registries, settings.spinnaker.namespace, context.labels
        ),
        opts=pulumi.ResourceOptions(parent=context.parent),
    )
    return Refresh(sidecar.wiring, [sidecar], sidecar.config_map_name)


def _password_command(context: RefreshContext) -> Refresh:
    return Refresh()


def _external_secrets(context: RefreshContext) -> Refresh:
    settings = context.settings
    assert isinstance(settings.token_refresh, ExternalSecretsMethod)
    eso = ExternalSecretsRefresh(
        f"{context.name}-refresh",
        ExternalSecretsRefreshArgs(
            settings.token_refresh, settings.access, settings.registries, settings.spinnaker.namespace, context.labels
        ),
        opts=pulumi.ResourceOptions(parent=context.parent, depends_on=context.credentials),
    )
    return Refresh(eso.wiring, [eso])


# One entry per method of model.REFRESH_METHODS; a method without one fails here, never deploys something empty.
REFRESH_DEPLOYERS: Mapping[type, Callable[[RefreshContext], Refresh]] = {
    SidecarMethod: _sidecar,
    PasswordCommandMethod: _password_command,
    ExternalSecretsMethod: _external_secrets,
}


def deploy_token_refresh(context: RefreshContext) -> Refresh:
    method = type(context.settings.token_refresh)
    if method not in REFRESH_DEPLOYERS:
        raise TypeError(f"token-refresh method {method.__name__} is declared but has no deployer")
    return REFRESH_DEPLOYERS[method](context)


class SpinnakerEcr(pulumi.ComponentResource):
    role_arn: pulumi.Output[str] | None
    role_name: pulumi.Output[str] | None
    config_map_name: pulumi.Output[str] | None
    service_account: str | None
    account_names: list[str]

    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("spinnaker-ecr:index:SpinnakerEcr", name, None, opts)
        namespace = settings.spinnaker.namespace
        manager = field_manager(settings.project, settings.stack)
        labels = kubernetes_labels(settings.project, settings.stack)
        access_rules = settings.access.rules

        credentials: list[pulumi.Resource] = []
        self.role_arn = pulumi.Output.from_input(settings.access.role_arn) if settings.access.role_arn else None
        self.role_name = None
        if access_rules.uses_aws:
            access = EcrPullAccess(
                f"{name}-access",
                EcrPullAccessArgs(
                    settings.access, namespace, aws_tags(settings.project, settings.stack, settings.tags)
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            credentials.append(access)
            self.role_arn, self.role_name = access.role_arn, access.role_name
        service_account = None
        if settings.access.service_account is not None:
            service_account = ClouddriverServiceAccount(
                f"{name}-clouddriver",
                ClouddriverServiceAccountArgs(
                    settings.access, namespace, self.role_arn, manager, settings.spinnaker.patch_force, labels
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(credentials)),
            )
            credentials.append(service_account)

        refresh = deploy_token_refresh(RefreshContext(name, settings, labels, credentials, self))
        accounts = [docker_account(r, password_source(settings.token_refresh, r)) for r in settings.registries]
        # Credentials and password sources first, so the clouddriver pods the patch rolls start fully wired.
        SpinnakerServicePatch(
            f"{name}-spinnaker",
            SpinnakerServicePatchArgs(
                spinnaker=settings.spinnaker,
                field_manager=manager,
                accounts=accounts,
                sidecars=refresh.wiring.sidecars,
                volumes=refresh.wiring.volumes,
                service_account_name=service_account.name if service_account and service_account.created else None,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*credentials, *refresh.resources]),
        )

        self.config_map_name = refresh.config_map_name
        self.service_account = service_account.name if service_account else None
        self.account_names = [r.name for r in settings.registries]
        self.register_outputs(
            {
                "roleArn": self.role_arn,
                "roleName": self.role_name,
                "configMapName": self.config_map_name,
                "serviceAccount": self.service_account,
                "accountNames": self.account_names,
            }
        )
