"""SpinnakerEcr: the one top-level component. IAM access -> service account -> token refresh -> SpinnakerService."""

from dataclasses import dataclass, field

import pulumi

from components.ecr_pull_access import EcrPullAccess, EcrPullAccessArgs
from components.external_secrets_refresh import ExternalSecretsRefresh, ExternalSecretsRefreshArgs
from components.labels import aws_tags, kubernetes_labels
from components.model import Settings
from components.password_command import password_command_wiring
from components.registries import docker_account
from components.service_account import ClouddriverServiceAccount, ClouddriverServiceAccountArgs
from components.spinnaker_service_patch import SpinnakerServicePatch, SpinnakerServicePatchArgs
from components.spinnaker_spec import field_manager
from components.token_refresh_sidecar import TokenRefreshSidecar, TokenRefreshSidecarArgs
from components.wiring import ClouddriverWiring


@dataclass(frozen=True)
class _Refresh:
    """What the chosen token-refresh method gives the rest: clouddriver's wiring and what the patch waits for."""

    wiring: ClouddriverWiring
    resources: list[pulumi.Resource] = field(default_factory=list)
    config_map_name: pulumi.Output[str] | None = None


class SpinnakerEcr(pulumi.ComponentResource):
    role_arn: pulumi.Output[str] | None
    role_name: pulumi.Output[str]
    config_map_name: pulumi.Output[str] | None
    service_account: str | None
    account_names: list[str]

    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("spinnaker-ecr:index:SpinnakerEcr", name, None, opts)
        namespace = settings.spinnaker.namespace
        manager = field_manager(settings.project, settings.stack)
        labels = kubernetes_labels(settings.project, settings.stack)

        access = EcrPullAccess(
            f"{name}-access",
            EcrPullAccessArgs(settings.access, namespace, aws_tags(settings.project, settings.stack, settings.tags)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        credentials: list[pulumi.Resource] = [access]
        service_account = None
        if settings.access.service_account is not None:
            service_account = ClouddriverServiceAccount(
                f"{name}-clouddriver",
                ClouddriverServiceAccountArgs(
                    settings.access, namespace, access.role_arn, manager, settings.spinnaker.patch_force, labels
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[access]),
            )
            credentials.append(service_account)

        refresh = self._token_refresh(name, settings, labels, credentials)
        wiring = refresh.wiring
        accounts = [docker_account(r, wiring.password_sources[r.name]) for r in settings.registries]
        # Credentials and password sources first, so the clouddriver pods the patch rolls start fully wired.
        SpinnakerServicePatch(
            f"{name}-spinnaker",
            SpinnakerServicePatchArgs(
                spinnaker=settings.spinnaker,
                field_manager=manager,
                accounts=accounts,
                sidecars=wiring.sidecars,
                volumes=wiring.volumes,
                service_account_name=service_account.name if service_account and service_account.created else None,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*credentials, *refresh.resources]),
        )

        self.role_arn = access.role_arn
        self.config_map_name = refresh.config_map_name
        self.role_name = access.role_name
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

    def _token_refresh(
        self, name: str, settings: Settings, labels: dict[str, str], credentials: list[pulumi.Resource]
    ) -> _Refresh:
        """The one place a refresh method is chosen: its wiring for clouddriver, and what the patch waits for."""
        method = settings.token_refresh.method
        namespace = settings.spinnaker.namespace
        if method == "password-command":
            return _Refresh(password_command_wiring(settings.registries))
        if method == "external-secrets":
            assert settings.external_secrets is not None, "settings fill externalSecrets for this method"
            eso = ExternalSecretsRefresh(
                f"{name}-refresh",
                ExternalSecretsRefreshArgs(
                    settings.external_secrets,
                    settings.access,
                    settings.registries,
                    settings.token_refresh.interval,
                    namespace,
                    labels,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=credentials),
            )
            return _Refresh(eso.wiring, [eso])
        sidecar = TokenRefreshSidecar(
            f"{name}-refresh",
            TokenRefreshSidecarArgs(settings.token_refresh, settings.registries, namespace, labels),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return _Refresh(sidecar.wiring, [sidecar], sidecar.config_map_name)
