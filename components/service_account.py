"""ClouddriverServiceAccount: the Kubernetes half of the workload-identity modes. Annotates the service account
clouddriver already runs as, or creates a dedicated one."""

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.model import DEFAULT_AUDIENCE, Access
from components.spinnaker_spec import IRSA_AUDIENCE_ANNOTATION, IRSA_ROLE_ANNOTATION, patch_annotations


@dataclass(frozen=True)
class ClouddriverServiceAccountArgs:
    access: Access
    namespace: str
    role_arn: pulumi.Input[str] | None
    field_manager: str
    force: bool
    labels: dict[str, str]


def role_annotations(access: Access, role_arn: pulumi.Input[str] | None) -> dict[str, pulumi.Input[str]]:
    """IRSA-style modes: the role, and the token audience when it is not the EKS webhook's default."""
    if not access.rules.annotates_role or role_arn is None:
        return {}
    annotations: dict[str, pulumi.Input[str]] = {IRSA_ROLE_ANNOTATION: role_arn}
    if access.audience != DEFAULT_AUDIENCE:
        # The pod identity webhook mints the projected token for this audience; the trust policy expects it.
        annotations[IRSA_AUDIENCE_ANNOTATION] = access.audience
    return annotations


class ClouddriverServiceAccount(pulumi.ComponentResource):
    name: str
    created: bool

    def __init__(
        self, name: str, args: ClouddriverServiceAccountArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("spinnaker-ecr:access:ClouddriverServiceAccount", name, None, opts)
        service_account = args.access.service_account
        assert service_account is not None, "settings require a service account in the workload-identity modes"
        self.name = service_account.name
        self.created = service_account.create
        annotations = role_annotations(args.access, args.role_arn)
        child = pulumi.ResourceOptions(parent=self)
        if service_account.create:
            k8s.core.v1.ServiceAccount(
                f"{name}-sa",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=service_account.name, namespace=args.namespace, labels=args.labels, annotations=annotations
                ),
                opts=child,
            )
        elif annotations:
            # Destroy relinquishes only the annotations; the service account and its RBAC stay.
            k8s.core.v1.ServiceAccountPatch(
                f"{name}-sa-patch",
                metadata=k8s.meta.v1.ObjectMetaPatchArgs(
                    name=service_account.name,
                    namespace=args.namespace,
                    annotations={**patch_annotations(args.field_manager, args.force), **annotations},
                ),
                opts=child,
            )
        self.register_outputs({"name": self.name, "created": self.created})
