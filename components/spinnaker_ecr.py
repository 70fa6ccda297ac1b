"""SpinnakerEcr: the one top-level component. IAM access -> service account -> token refresh -> SpinnakerService."""

import pulumi

from components.ecr_pull_access import EcrPullAccess, EcrPullAccessArgs
from components.registries import docker_account
from components.service_account import ClouddriverServiceAccount, ClouddriverServiceAccountArgs
from components.settings import Settings
from components.spinnaker_service_patch import SpinnakerServicePatch, SpinnakerServicePatchArgs
from components.spinnaker_spec import field_manager
from components.token_refresh_sidecar import TokenRefreshSidecar, TokenRefreshSidecarArgs
from components.wiring import aws_tags, kubernetes_labels


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
        child = pulumi.ResourceOptions(parent=self)

        access = EcrPullAccess(
            f"{name}-access",
            EcrPullAccessArgs(settings.access, namespace, aws_tags(settings.project, settings.stack, settings.tags)),
            opts=child,
        )
        service_account = None
        if settings.access.service_account is not None:
            service_account = ClouddriverServiceAccount(
                f"{name}-clouddriver",
                ClouddriverServiceAccountArgs(
                    settings.access,
                    namespace,
                    access.role_arn,
                    manager,
                    settings.spinnaker.patch_force,
                    labels,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[access]),
            )

        refresh = TokenRefreshSidecar(
            f"{name}-refresh",
            TokenRefreshSidecarArgs(settings.token_refresh, settings.registries, namespace, labels),
            opts=child,
        )
        wiring = refresh.wiring
        accounts = [docker_account(r, wiring.password_sources[r.name]) for r in settings.registries]
        # Credentials first, so the clouddriver pods the patch rolls start with the role already wired.
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
            opts=pulumi.ResourceOptions(parent=self, depends_on=[access, refresh, *filter(None, [service_account])]),
        )

        self.role_arn = access.role_arn
        self.role_name = access.role_name
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
